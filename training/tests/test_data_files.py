"""Reading a user's data: every format gives the same examples, encodings, limits, and errors that say
where the problem is and how to fix it."""

import codecs
import json
import os
import sys
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from training.__main__ import main as train_main
from training.data_files import OPENAPI_DOCUMENT, DataError, read_examples, serving_max_chars
from training.data_sources import load_dataset
from training.tests.corpus import (
    FORMAT_NAMES,
    make_corpus,
    write_any,
    write_delimited,
    write_folder,
    write_jsonl,
    write_params,
    write_parquet,
)

# Quoted commas and tabs, a line break inside a text, quotes, non-ASCII, a line separator, a numeric label.
EXAMPLES = [
    ("great film,\nloved it", "good"),
    ('a "quoted"\tword', "bad"),
    ("café naïve 東京", "good"),
    ("one\u2028two", "7"),
    ("awful", "bad"),
]


def _pairs(examples):
    return list(zip(examples.texts, examples.labels, strict=True))


# --- Every format, the same examples ---------------------------------------------------------------------


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_every_format_reads_the_same_examples(tmp_path, name):
    examples = read_examples(write_any(tmp_path / name, EXAMPLES))
    if name == "folder":  # read in sorted order: label, then file name
        assert sorted(_pairs(examples)) == sorted(EXAMPLES)
    else:
        assert _pairs(examples) == EXAMPLES
    assert examples.dropped == {"empty_texts": 0, "over_max_chars": 0}


@pytest.mark.parametrize("name", ["data.csv", "data.tsv", "data.jsonl", "folder"])
def test_a_utf8_byte_order_mark_is_not_part_of_the_data(tmp_path, name):
    if name == "folder":
        path = write_folder(tmp_path / name, EXAMPLES)
        for file in path.rglob("*.txt"):
            file.write_bytes(codecs.BOM_UTF8 + file.read_bytes())
    elif name == "data.jsonl":
        path = write_jsonl(tmp_path / name, EXAMPLES, bom=True)
    else:
        path = write_delimited(
            tmp_path / name, EXAMPLES, delimiter="\t" if name == "data.tsv" else ",", bom=True
        )
    assert path.is_dir() or path.read_bytes().startswith(codecs.BOM_UTF8)
    assert sorted(_pairs(read_examples(path))) == sorted(EXAMPLES)


def test_first_seen_names_where_each_label_first_occurs(tmp_path):
    assert read_examples(write_delimited(tmp_path / "d.csv", EXAMPLES)).first_seen == {
        "good": "line 2",
        "bad": "line 4",  # the first record spans lines 2-3
        "7": "line 6",
    }
    assert read_examples(write_parquet(tmp_path / "d.parquet", EXAMPLES)).first_seen["bad"] == "row 2"
    assert read_examples(write_folder(tmp_path / "f", EXAMPLES)).first_seen["bad"] == "bad/1.txt"


# --- No limit on field size; what is dropped and counted -------------------------------------------------


def test_a_csv_with_a_1_mb_field_is_read_and_trains(tmp_path, capsys):
    """An e-mail export: a 1 MB raw-message column beside each text, one 1 MB text, one text at the limit."""
    texts, labels = make_corpus(per_label=12, seed=5)
    limit = serving_max_chars()
    at_limit = ("oven recipe garlic " * limit)[:limit]
    examples = [*zip(texts, labels, strict=True), (at_limit, "cooking"), ("x" * 1_000_000, "sailing")]
    data = write_delimited(tmp_path / "mail.csv", examples, extra="<html>" + "y" * 1_000_000 + "</html>")
    assert data.stat().st_size > 37 * 1_000_000

    read = read_examples(data)
    assert _pairs(read) == examples[:-1]
    assert read.dropped == {"empty_texts": 0, "over_max_chars": 1}

    params = write_params(tmp_path / "params.yaml", data={"source": str(data), "test_size": 0.25})
    out_dir, reports = tmp_path / "model", tmp_path / "reports"
    assert (
        train_main(["--params", str(params), "--out-dir", str(out_dir), "--reports-dir", str(reports)]) == 0
    )
    metrics = json.loads((reports / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n_train"] + metrics["n_test"] == len(examples) - 1
    assert (out_dir / "model.npz").is_file()
    assert "loading data:" in capsys.readouterr().out


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_blank_and_over_long_texts_are_dropped_and_counted(tmp_path, name):
    limit = serving_max_chars()
    kept = [("fine", "good"), ("a" * limit, "bad"), ("awful", "bad"), ("nice", "good")]
    dropped = [("", "good"), (" \t\n ", "bad"), ("b" * (limit + 1), "good")]
    path = write_any(tmp_path / name, [dropped[0], kept[0], dropped[1], kept[1], dropped[2], *kept[2:]])
    examples = read_examples(path)
    assert sorted(_pairs(examples)) == sorted(kept)
    assert examples.dropped == {"empty_texts": 2, "over_max_chars": 1}
    # The counts reach the Dataset, counted before the split.
    assert load_dataset(str(path), test_size=0.5, seed=0).dropped == examples.dropped


def test_the_limit_is_read_from_servings_openapi_document(tmp_path, monkeypatch):
    document = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    text_schema = document["components"]["schemas"]["ClassifyRequest"]["properties"]["text"]
    assert serving_max_chars() == text_schema["maxLength"]
    text_schema["maxLength"] = 5
    changed = tmp_path / "openapi.json"
    changed.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setattr("training.data_files.OPENAPI_DOCUMENT", changed)
    serving_max_chars.cache_clear()
    try:
        path = write_jsonl(tmp_path / "d.jsonl", [("12345", "x"), ("123456", "y")])
        assert read_examples(path).dropped == {"empty_texts": 0, "over_max_chars": 1}
    finally:
        serving_max_chars.cache_clear()


def test_a_file_with_nothing_but_blank_texts_says_so(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [(" ", "x"), ("", "y")])
    with pytest.raises(DataError, match=r"no examples to train on \(2 blank texts and 0 texts longer"):
        load_dataset(str(path), test_size=0.5, seed=0)


# --- Encodings -------------------------------------------------------------------------------------------


CP1252_FILES = {
    "d.csv": ["text,label", "ok,x", "fine,y", '"caf\u20ac \u201cquoted\u201d",y'],
    "d.tsv": ["text\tlabel", "ok\tx", "fine\ty", "caf\u20ac \u201cquoted\u201d\ty"],
    "d.jsonl": ['{"text": "ok", "label": "x"}', '{"text": "fine", "label": "y"}', '{"text": "caf\u20ac"}'],
}


@pytest.mark.parametrize("name", list(CP1252_FILES))
def test_a_cp1252_file_is_reported_with_line_byte_and_the_iconv_command(tmp_path, name):
    """A Windows export: the euro sign and curly quotes are single bytes in cp1252, not UTF-8."""
    lines = CP1252_FILES[name]
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode("cp1252") + b"\n")
    with pytest.raises(DataError) as error:
        read_examples(path)
    offset = sum(len(line) + 1 for line in lines[:-1]) + lines[-1].index("\u20ac")
    assert str(error.value) == (
        f"{path}: line {len(lines)}: not valid UTF-8 (byte 0x80 at byte offset {offset}); save the file as "
        f"UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8 {path} > {tmp_path / name.replace('.', '.utf8.')}"
    )


def test_bytes_cp1252_lacks_get_the_iso_8859_1_hint_and_a_bom_shifts_no_offset(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"text,label\n\x81bc,x\n")
    with pytest.raises(
        DataError, match=r"line 2: not valid UTF-8 \(byte 0x81 at byte offset 14\).* -f ISO-8859-1"
    ):
        read_examples(path)


def test_a_latin1_document_in_a_folder_is_named_with_its_line(tmp_path):
    folder = write_folder(tmp_path / "f", [("a", "x"), ("b", "y")])
    bad = folder / "y" / "9.txt"
    bad.write_bytes("first line\nna\u00efve\n".encode("latin-1"))
    with pytest.raises(DataError) as error:
        read_examples(folder)
    assert str(error.value).startswith(f"{bad}: line 2: not valid UTF-8 (byte 0xef at byte offset 13)")
    assert "iconv -f WINDOWS-1252 -t UTF-8" in str(error.value)


@pytest.mark.parametrize("name", ["d.csv", "d.jsonl", "d.tsv"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_says_utf16(tmp_path, name, encoding):
    path = tmp_path / name
    content = "text,label\nhello,x\n" if name != "d.jsonl" else '{"text": "hello", "label": "x"}\n'
    bom = codecs.BOM_UTF16_BE if encoding == "utf-16-be" else b""
    path.write_bytes(bom + content.encode(encoding))  # "utf-16" writes its own byte-order mark
    with pytest.raises(DataError) as error:
        read_examples(path)
    assert str(error.value) == (
        f"{path}: line 1: the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8; "
        f"convert it: iconv -f UTF-16 -t UTF-8 {path} > {tmp_path / name.replace('.', '.utf8.')}"
    )


def test_utf16_without_a_byte_order_mark_is_recognised_by_its_nul_bytes(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("text,label\nhello,x\n".encode("utf-16-le"))
    with pytest.raises(DataError, match=r"line 1: NUL bytes, so probably UTF-16 .* e\.g\. iconv -f UTF-16LE"):
        read_examples(path)


def test_a_utf16_document_in_a_folder_says_utf16(tmp_path):
    folder = write_folder(tmp_path / "f", [("a", "x"), ("b", "y")])
    (folder / "y" / "1.txt").write_text("hello", encoding="utf-16")
    with pytest.raises(DataError, match=r"y/1.txt: line 1: the file is UTF-16"):
        read_examples(folder)


# --- Line numbers ----------------------------------------------------------------------------------------


def test_quoted_multi_line_fields_keep_line_numbers_right(tmp_path):
    path = tmp_path / "d.csv"
    rows = ["text,label", '"three\nline\ntext",x', "b,y", "", '"two\r\nlines",x', "c,"]
    path.write_bytes("\r\n".join(rows).encode("utf-8") + b"\r\n")
    with pytest.raises(DataError) as error:
        read_examples(path)
    assert str(error.value) == f"{path}: line 9: empty label; give every text a label, or delete the row"
    path.write_bytes("\r\n".join([*rows[:-1], '"four\nlines\n\n",']).encode("utf-8"))
    with pytest.raises(DataError, match=r"d.csv: line 9: empty label"):
        read_examples(path)
    path.write_bytes("\n".join(rows[:3]).encode("utf-8") + b'\n"never closed,x\nd,y\ne,x\n')
    with pytest.raises(DataError) as error:
        read_examples(path)
    assert str(error.value) == (
        f'{path}: line 6: 1 field(s) in a record that runs on to line 8; is a quote (") opened on line 6 '
        f"and never closed?"
    )


def test_a_decoding_error_after_multi_line_records_has_the_physical_line(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_bytes(b'text\tlabel\n"a\nb\nc"\tx\nok\ty\n\xe9t\xe9\tx\n')
    with pytest.raises(DataError, match=r"d.tsv: line 6: not valid UTF-8 \(byte 0xe9 at byte offset 26\)"):
        read_examples(path)


# --- Bad files: every message names the file, the line (or row, or document) and the problem -----------


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "d.csv",
            "text,category\nhello,x\n",
            "line 1: missing column 'label' (found columns: text, category)",
        ),
        ("d.tsv", "text,label\nhello,x\n", "line 1: missing column 'text' (found columns: text,label)"),
        ("d.csv", "", "line 1: empty file"),
        ("d.csv", "text,label\nfine,x\nno label here,\n", "line 3: empty label"),
        ("d.csv", "text,label\nshort row\n", "line 2: 'label' must be a string, got nothing"),
        ("d.csv", "label,text\nx\n", "line 2: 'text' must be a string, got nothing"),
        ("d.csv", b"text,label\nok,x\ncaf\xe9 latin-1,y\n", "line 3: not valid UTF-8 (byte 0xe9"),
        ("d.jsonl", '{"text": "a", "label": "x"}\n{"text": "b", label: "y"}\n', "line 2: invalid JSON"),
        ("d.jsonl", '{"text": "a", "label": "x"}\n["b", "y"]\n', "line 2: expected a JSON object"),
        ("d.jsonl", '{"text": "a", "label": "x"}\n\n{"text": "b"}\n', "line 3: missing field 'label'"),
        ("d.ndjson", '{"label": "x"}\n', "line 1: missing field 'text'"),
        ("d.jsonl", '{"text": 5, "label": "x"}\n', "line 1: 'text' must be a string, got int"),
        ("d.jsonl", '{"text": "a", "label": ["x"]}\n', "line 1: 'label' must be a string, got list"),
        ("d.jsonl", '{"text": "a", "label": true}\n', "line 1: 'label' must be a string, got bool"),
        ("d.jsonl", '{"text": "a", "label": " "}\n', "line 1: empty label"),
        (
            "d.jsonl",
            b'{"text": "ok", "label": "x"}\n{"text": "\xff", "label": "y"}\n',
            "line 2: not valid UTF-8",
        ),
        ("d.parquet", b"PAR1 but not really", "not a readable Parquet file"),
        # A label model.json could not be written with: half of a surrogate pair.
        (
            "d.jsonl",
            '{"text": "a", "label": "x"}\n{"text": "b", "label": "y\\ud800"}\n',
            "line 2: label 'y\\ud800'",
        ),
        # Old Mac line endings: the whole file is one line to the csv module, which names no cause.
        (
            "d.csv",
            "text,label\rhello,x\rbye,y\r",
            "line 1: not valid CSV (a carriage return (\\r) outside quotes",
        ),
        (
            "d.csv",
            "text,label\r\nhello\rthere,x\r\n",
            "line 2: not valid CSV (a carriage return (\\r) outside quotes",
        ),
    ],
)
def test_bad_file_is_reported_with_file_and_line(tmp_path, name, content, expected):
    path = _write(tmp_path / name, content)
    with pytest.raises(DataError) as error:
        read_examples(path)
    assert str(error.value).startswith(f"{path}: ")
    assert expected in str(error.value)


def test_parquet_missing_a_column_or_holding_bad_values(tmp_path):
    path = write_parquet(tmp_path / "d.parquet", EXAMPLES, columns=("text",))
    with pytest.raises(DataError) as error:
        read_examples(path)
    assert str(error.value) == f"{path}: missing column 'label' (found columns: text)"
    pq.write_table(pa.table({"text": ["a", None], "label": ["x", "y"]}), path)
    with pytest.raises(DataError, match=r"d.parquet: row 2: 'text' must be a string, got nothing"):
        read_examples(path)
    pq.write_table(pa.table({"text": ["a", "b"], "label": [0.5, 1.5]}), path)
    with pytest.raises(DataError, match=r"d.parquet: row 1: 'label' must be a string, got float"):
        read_examples(path)


def test_parquet_integer_and_dictionary_labels_and_extra_columns(tmp_path):
    path = tmp_path / "d.parquet"
    labels = pa.array(["x", "y", "x"]).dictionary_encode()
    pq.write_table(pa.table({"id": [1, 2, 3], "label": labels, "text": ["a", "b", "c"]}), path)
    assert _pairs(read_examples(path)) == [("a", "x"), ("b", "y"), ("c", "x")]
    pq.write_table(pa.table({"text": ["a", "b"], "label": [3, 4]}), path)
    assert _pairs(read_examples(path)) == [("a", "3"), ("b", "4")]


def test_a_folder_name_that_is_not_utf8_is_refused_as_a_label(tmp_path):
    folder = write_folder(tmp_path / "f", [("document 0", "a"), ("document 1", "b")])
    latin1 = Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9"))  # "café" in Latin-1: a lone surrogate
    latin1.mkdir()
    (latin1 / "1.txt").write_text("a document", encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_examples(folder)
    assert f"{latin1.name}/1.txt: label 'caf\\udce9' holds half of a surrogate pair" in str(error.value)
    assert "a folder name must be valid UTF-8" in str(error.value)


def test_bad_folder_documents_are_named(tmp_path):
    folder = write_folder(tmp_path / "f", [("document 0", "a"), ("document 1", "b")])
    stray = _write(folder / "README.md", "about this data")
    with pytest.raises(DataError, match="a file directly in the data folder") as error:
        read_examples(folder)
    assert str(stray) in str(error.value)


# --- Memory: the file is streamed, not copied ------------------------------------------------------------


@pytest.mark.parametrize("name", ["data.csv", "data.jsonl"])
def test_reading_holds_little_more_than_the_texts_it_returns(tmp_path, name):
    """Tens of MB read with a peak near the size of the texts returned: no whole-file copies.

    (Parquet is decoded by Arrow's own allocator, which tracemalloc does not see.)
    """
    texts, labels = make_corpus(per_label=200, seed=2)
    examples = [
        (f"{copy} {text * 8}", label)
        for copy in range(120)
        for text, label in zip(texts, labels, strict=True)
    ]
    path = write_any(tmp_path / name, examples)
    del examples
    assert path.stat().st_size > 30_000_000

    tracemalloc.start()
    try:
        examples = read_examples(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    returned = sys.getsizeof(examples.texts) + sys.getsizeof(examples.labels)
    returned += sum(sys.getsizeof(text) for text in examples.texts)
    assert len(examples.texts) == 120 * 600
    assert peak < 1.5 * returned, f"peak {peak:,} bytes for {returned:,} bytes of texts and labels"
