"""Corrected `make relabel` exports as training data: read back through data.extra_sources, appended to
the training split only, and refused, naming the file, the line and the fix, when they are not exports."""

import csv

import pytest

from monitoring import relabel
from monitoring.tests.relabel_capture_lines import capture_line, write_day
from training.__main__ import main as train_main
from training.data_sources import DataError, load_dataset, with_extra_sources
from training.dataset import Dataset
from training.params import ParamsError, load_params
from training.relabel_file import COLUMNS, read_relabel_file
from training.stages.handoff import METRICS_NAME
from training.tests.corpus import TOPIC_WORDS, make_corpus, write_csv, write_params

LABELS = sorted(TOPIC_WORDS)


def write_export(path, rows, header=COLUMNS):
    """An export as `make relabel` writes it (rows: (text, label) pairs, the other columns filled)."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for text, label in rows:
            writer.writerow(
                [text, label, "cooking", "0.5000", "0.1000", "1", "01c87c85af71", "2026-12-07T10:00Z"]
            )
    return path


@pytest.fixture
def corpus(tmp_path):
    texts, labels = make_corpus(per_label=20, seed=11)
    return write_csv(tmp_path / "topics.csv", texts, labels)


def test_the_rows_are_read_with_their_labels_stripped(tmp_path):
    path = write_export(tmp_path / "fixed.csv", [("Anchor the boat", " sailing "), ("Bake bread", "cooking")])
    examples = read_relabel_file(path, LABELS)
    assert (examples.texts, examples.labels) == (["Anchor the boat", "Bake bread"], ["sailing", "cooking"])


def test_extra_examples_join_the_training_split_only(tmp_path, corpus):
    base = load_dataset(str(corpus), 0.25, 0)
    rows = [("Telescope sees a comet", "astronomy"), ("Harbour at high tide", "sailing")]
    extra = write_export(tmp_path / "fixed.csv", rows)
    dataset = load_dataset(str(corpus), 0.25, 0, extra_sources=[str(extra)])
    assert dataset.train_texts == [*base.train_texts, "Telescope sees a comet", "Harbour at high tide"]
    assert dataset.train_labels == [*base.train_labels, "astronomy", "sailing"]
    assert (dataset.test_texts, dataset.test_labels) == (base.test_texts, base.test_labels)


@pytest.mark.parametrize(
    ("rows", "header", "where", "says"),
    [
        ([], ("text", "label"), "line 1", "not a relabel export: missing column(s) model_label, probability"),
        (
            [],
            COLUMNS[:-1],
            "line 1",
            "not a relabel export: missing column(s) first_seen (found: text, label,",
        ),
        ([], ("label", *COLUMNS[:1], *COLUMNS[2:]), "line 1", "its header is label, text, model_label,"),
        ([], (), "line 1", "not a relabel export: no header (an empty file, or a blank first line)"),
        ([("fine", "cooking"), ("Boat", "saling")], COLUMNS, "line 3", "label 'saling' is not a class"),
        ([("", "cooking")], COLUMNS, "line 2", "empty text; delete the row"),
        ([("Boat", "  ")], COLUMNS, "line 2", "empty label; write the correct label"),
    ],
)
def test_a_bad_corrected_file_names_the_file_the_line_and_the_fix(
    tmp_path, corpus, rows, header, where, says
):
    extra = write_export(tmp_path / "fixed.csv", rows, header)
    with pytest.raises(DataError) as error:
        load_dataset(str(corpus), 0.25, 0, extra_sources=[str(extra)])
    message = str(error.value)
    assert message.startswith(f"{extra}: {where}: ")
    assert says in message
    assert any(fix in message for fix in ("make relabel", "delete the row", "correct it to one of"))


def test_an_unknown_label_lists_the_allowed_ones(tmp_path, corpus):
    extra = write_export(tmp_path / "fixed.csv", [("Boat", "boats")])
    with pytest.raises(
        DataError, match=r"\(allowed: astronomy, cooking, sailing\); correct it to one of those"
    ):
        load_dataset(str(corpus), 0.25, 0, extra_sources=[str(extra)])


def test_a_row_with_other_fields_or_a_file_of_another_kind_is_refused(tmp_path, corpus):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=rf"{empty}: line 1: not a relabel export: no header .*make relabel"):
        load_dataset(str(corpus), 0.25, 0, extra_sources=[str(empty)])
    extra = tmp_path / "fixed.csv"
    extra.write_text(",".join(COLUMNS) + '\n"Boat",sailing,extra\n', encoding="utf-8")
    with pytest.raises(
        DataError, match=rf"{extra}: line 2: 3 fields, the export has 8 .*change only its label"
    ):
        load_dataset(str(corpus), 0.25, 0, extra_sources=[str(extra)])
    jsonl = tmp_path / "fixed.jsonl"
    jsonl.write_text('{"text": "Boat", "label": "sailing"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=rf"{jsonl}: not a relabel export .*make relabel"):
        load_dataset(str(corpus), 0.25, 0, extra_sources=[str(jsonl)])
    with pytest.raises(DataError, match=r"no such file or folder \(data.extra_sources=.*make relabel"):
        load_dataset(str(corpus), 0.25, 0, extra_sources=[str(tmp_path / "absent.csv")])


@pytest.mark.parametrize("value", ["fixed.csv", [""], ["a.csv", "a.csv"], [3]])
def test_extra_sources_must_be_a_list_of_distinct_paths(tmp_path, value):
    params = write_params(tmp_path / "params.yaml", data={"extra_sources": value})
    with pytest.raises(ParamsError, match=r"data\.extra_sources must be a list of paths"):
        load_params(params)


def test_export_correct_and_retrain_puts_the_corrections_in_the_training_split_only(tmp_path, corpus):
    """The loop: captures -> make relabel -> people correct labels -> train with data.extra_sources."""
    captured = {  # what was asked, what the model said, what it is
        "The comet passed the moon and a galaxy": ("cooking", "astronomy"),
        "Crew raised the sail at the harbour": ("sailing", "sailing"),
        "Roast garlic in the oven with butter": ("astronomy", "cooking"),
    }
    lines = [
        capture_line(text, label=said, probability=0.5, margin=0.1 * number)
        for number, (text, (said, _)) in enumerate(captured.items())
    ]
    write_day(tmp_path / "captures", 2026, 12, 7, lines)
    export = tmp_path / "to-label.csv"
    argv = ["--captures", str(tmp_path / "captures"), "--from", "2026-12-07", "--to", "2026-12-07"]
    assert relabel.main([*argv, "--output", str(export)]) == 0

    with export.open(encoding="utf-8", newline="") as stream:  # people correct the label column
        rows = list(csv.DictReader(stream))
    for row in rows:
        row["label"] = captured[row["text"]][1]
    with export.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)

    params = write_params(
        tmp_path / "params.yaml",
        data={"source": str(corpus), "test_size": 0.25, "extra_sources": [str(export)]},
    )
    reports = tmp_path / "reports"
    argv = ["--params", str(params), "--out-dir", str(tmp_path / "model"), "--reports-dir", str(reports)]
    assert train_main(argv) == 0
    metrics = (reports / METRICS_NAME).read_text(encoding="utf-8")
    assert (
        '"n_train": 48' in metrics and '"n_test": 15' in metrics
    )  # 45 + 3 corrected, the test split as before

    dataset = load_dataset(str(corpus), 0.25, 0, extra_sources=[str(export)])
    learnt = dict(zip(dataset.train_texts, dataset.train_labels, strict=True))
    assert {text: learnt[text] for text in captured} == {text: truth for text, (_, truth) in captured.items()}
    assert not set(captured) & set(dataset.test_texts)


def test_a_file_a_spreadsheet_saved_in_another_encoding_names_the_line_and_the_conversion(tmp_path, corpus):
    extra = tmp_path / "fixed.csv"
    row = "Caf\u00e9 recipe with garlic,cooking,cooking,0.5,0.1,1,v,t\n"
    extra.write_bytes((",".join(COLUMNS) + "\n" + row).encode("cp1252"))
    with pytest.raises(
        DataError, match=rf"{extra}: line 2: not valid UTF-8 .*iconv -f WINDOWS-1252 -t UTF-8"
    ):
        load_dataset(str(corpus), 0.25, 0, extra_sources=[str(extra)])


def test_a_source_with_a_posting_order_ranks_the_extra_examples_newest(tmp_path):
    """20 Newsgroups orders its training documents by posting time (model selection validates on later
    ones): the corrected texts were captured after all of them."""
    texts, labels = ["a", "b", "c"], ["cooking", "sailing", "cooking"]
    dataset = Dataset("ordered", texts, labels, ["d"], ["sailing"], train_posting_order=[30, 10, 20])
    extra = write_export(tmp_path / "fixed.csv", [("Anchor", "sailing"), ("Oven", "cooking")])
    extended = with_extra_sources(dataset, [str(extra)])
    assert extended.train_texts == ["a", "b", "c", "Anchor", "Oven"]
    assert extended.train_posting_order == [30, 10, 20, 31, 32]
    assert (extended.test_texts, extended.test_labels) == (["d"], ["sailing"])


def test_a_source_with_groups_gives_each_extra_example_a_group_of_its_own(tmp_path):
    """20 Newsgroups names each message's thread (the confidence map holds threads out together): a
    corrected text belongs to none of them, nor to another corrected text's."""
    texts, labels = ["a", "b", "c"], ["cooking", "sailing", "cooking"]
    dataset = Dataset("threads", texts, labels, ["d"], ["sailing"], train_groups=["oven", "keel", "oven"])
    extra = write_export(tmp_path / "fixed.csv", [("Anchor", "sailing"), ("Oven", "cooking")])
    groups = with_extra_sources(dataset, [str(extra)]).train_groups
    assert groups[:3] == ["oven", "keel", "oven"]
    assert len(set(groups[3:])) == 2 and not set(groups[3:]) & set(groups[:3])
