"""Read a user's labelled texts: a CSV, TSV, JSONL or Parquet file, or a folder with one sub-folder per label.

Files are streamed: CSV, TSV and JSONL one line at a time (each line decoded on its own, so an encoding
error is reported with its line and byte), Parquet in record batches. Only the resulting texts and labels
are kept, so a 1 GB file needs about the memory of its texts, not several copies of the file.

Every example is checked as it is read; a problem raises DataError naming the file, the line (or row, or
document) and what to fix, before any training starts. Two kinds of text are dropped and counted rather
than refused, because a large export nearly always holds some and the user can do nothing useful about
them: blank texts, and texts longer than serving accepts (`text.maxLength` in serving's OpenAPI document;
a model trained on texts it can never be asked about learns nothing useful from them).
"""

from __future__ import annotations

import codecs
import csv
import functools
import json
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from training import REPO_ROOT

# The file types read (.ndjson is another common name for JSONL).
FILE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".parquet")
# Serving's request schema: the one place the longest accepted text is written down.
OPENAPI_DOCUMENT = REPO_ROOT / "serving" / "app" / "openapi.json"
# The keys of Examples.dropped, always all present.
EMPTY_TEXTS = "empty_texts"
OVER_MAX_CHARS = "over_max_chars"
# Rows per Parquet record batch: a few MB of text at a time even when documents are long.
PARQUET_BATCH_ROWS = 1024
PARQUET_BUFFER_BYTES = 1 << 20
# Byte-order marks of encodings that are not UTF-8 (UTF-32's first, as it starts like UTF-16's).
_FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


class DataError(ValueError):
    """The configured data cannot be loaded; the message says where the problem is and what to do."""


@dataclass
class Examples:
    """The texts and labels of one file or folder, where each label first occurs, and what was dropped.

    Where each label first occurs ("line 7", "row 3", "spam/a.txt") is what error messages need (a label
    with one example, a test label never seen in training); keeping it per label rather than per example
    costs nothing, where a place per example would add tens of bytes to every short text.
    """

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    first_seen: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=lambda: {EMPTY_TEXTS: 0, OVER_MAX_CHARS: 0})


def check_file_type(path: Path) -> None:
    """Raise DataError for a file whose suffix names no supported format."""
    if path.is_file() and path.suffix.lower() not in FILE_SUFFIXES:
        raise DataError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; use {supported_formats()} with text "
            f"and label fields, or a folder with one sub-folder per label"
        )


def supported_formats() -> str:
    """The accepted suffixes, for messages: ".csv, .tsv, .jsonl, .ndjson or .parquet"."""
    return ", ".join(FILE_SUFFIXES[:-1]) + " or " + FILE_SUFFIXES[-1]


def read_examples(path: Path, fallback_encoding: str | None = None) -> Examples:
    """The examples of a file (by its suffix) or of a label-per-sub-folder folder."""
    suffix = path.suffix.lower()
    # Places are a document's relative path in a folder, else "row N" (Parquet) or "line N".
    collector = _Collector(path, unit="row" if suffix == ".parquet" else "line")
    if path.is_dir():
        _read_folder(path, collector, fallback_encoding)
    elif suffix in (".csv", ".tsv"):
        _read_delimited(path, collector, delimiter="\t" if suffix == ".tsv" else ",")
    elif suffix == ".parquet":
        _read_parquet(path, collector)
    else:
        _read_jsonl(path, collector)
    return collector.examples


@functools.cache
def serving_max_chars() -> int:
    """The longest text, in characters, that serving classifies (longer ones get an HTTP 413)."""
    document = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    return document["components"]["schemas"]["ClassifyRequest"]["properties"]["text"]["maxLength"]


class _Collector:
    """Checks each example and keeps the ones training can use; errors name the file and the place."""

    def __init__(self, path: Path, unit: str) -> None:
        self.path = path
        self.unit = unit
        self.max_chars = serving_max_chars()
        self.examples = Examples()

    def where(self, place: int | str) -> str:
        return f"{self.unit} {place}" if isinstance(place, int) else place

    def error(self, place: int | str, problem: str) -> DataError:
        return DataError(f"{self.path}: {self.where(place)}: {problem}")

    def add(self, place: int | str, text: object, label: object) -> None:
        if not isinstance(text, str):
            raise self.error(place, f"'text' must be a string, got {_type_name(text)}")
        if isinstance(label, int) and not isinstance(label, bool):
            label = str(label)
        if not isinstance(label, str):
            raise self.error(place, f"'label' must be a string, got {_type_name(label)}")
        dropped = self.examples.dropped
        if not text or text.isspace():
            dropped[EMPTY_TEXTS] += 1
            return
        label = label.strip()
        if not label:
            raise self.error(place, "empty label; give every text a label, or delete the row")
        if not _is_unicode_text(label):
            raise self.error(
                place,
                f"label {label!r} holds half of a surrogate pair, which model.json and the API's JSON "
                "answers cannot carry; write it as Unicode text (in JSON, \\ud800-\\udfff escapes come "
                "in pairs; a folder name must be valid UTF-8)",
            )
        if len(text) > self.max_chars:
            dropped[OVER_MAX_CHARS] += 1
            return
        first_seen = self.examples.first_seen
        if label not in first_seen:
            first_seen[label] = self.where(place)
        # One string object per distinct label, shared by every example that has it.
        self.examples.labels.append(sys.intern(label))
        self.examples.texts.append(text)


def _is_unicode_text(value: str) -> bool:
    """False for a string holding a lone surrogate (a JSON escape like "\\ud800", or an undecodable byte
    of a file name): it has no UTF-8 form."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _type_name(value: object) -> str:
    return "nothing (missing value)" if value is None else type(value).__name__


# --- CSV, TSV, JSONL: UTF-8 lines -----------------------------------------------------------------------


def _utf8_lines(path: Path, stream: BinaryIO) -> Iterator[str]:
    """The file's lines as text, line endings kept (what csv.reader expects), a UTF-8 BOM dropped.

    Decoding line by line keeps one line in memory at a time and knows where a decoding error is.
    Lines end at "\\n" only: a text holding U+2028 or a lone "\\r" stays one line.
    """
    offset = 0  # bytes before the current line
    for number, raw in enumerate(stream, start=1):
        line = raw
        if number == 1:
            _refuse_foreign_encoding(path, raw)
            if raw.startswith(codecs.BOM_UTF8):
                line = raw[len(codecs.BOM_UTF8) :]
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_byte = line[exc.start]
            position = offset + len(raw) - len(line) + exc.start
            raise DataError(_not_utf8(path, number, position, bad_byte, line)) from None
        offset += len(raw)


def _raise_csv_field_limit() -> None:
    """Lift the csv module's 131,072-character field limit: e-mail exports hold far longer fields.

    The limit is a C long: 64 bits on Linux and macOS, 32 bits on Windows, where sys.maxsize overflows.
    """
    try:
        csv.field_size_limit(sys.maxsize)
    except OverflowError:
        csv.field_size_limit(2**31 - 1)


def _read_delimited(path: Path, collector: _Collector, delimiter: str) -> None:
    """A header row naming at least `text` and `label` (other columns are ignored), then one record a row.

    A quoted field may span lines; a record's place is the line it starts on.
    """
    _raise_csv_field_limit()
    with path.open("rb") as stream:
        reader = csv.reader(_utf8_lines(path, stream), delimiter=delimiter)
        kind = "TSV" if delimiter == "\t" else "CSV"
        try:
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path}: line 1: empty file; expected a header row naming text and label")
            for column in ("text", "label"):
                if column not in header:
                    found = ", ".join(header)
                    raise DataError(f"{path}: line 1: missing column {column!r} (found columns: {found})")
            text_at, label_at = header.index("text"), header.index("label")
            end = reader.line_num
            for row in reader:
                start, end = end + 1, reader.line_num
                if not row:  # a blank line
                    continue
                if len(row) <= max(text_at, label_at) and end > start:
                    raise DataError(
                        f"{path}: line {start}: {len(row)} field(s) in a record that runs on to line {end}; "
                        f'is a quote (") opened on line {start} and never closed?'
                    )
                text = row[text_at] if text_at < len(row) else None
                label = row[label_at] if label_at < len(row) else None
                collector.add(start, text, label)
        except csv.Error as exc:
            reason = str(exc)
            if "new-line character seen in unquoted field" in reason:  # the csv module's words for it
                reason = (
                    "a carriage return (\\r) outside quotes: the file's lines end in \\r alone (old Mac "
                    "line endings; convert them, e.g. tr '\\r' '\\n' < old.csv > new.csv) or a text "
                    'holds a line break and needs quotes (")'
                )
            raise DataError(f"{path}: line {reader.line_num}: not valid {kind} ({reason})") from None


def _read_jsonl(path: Path, collector: _Collector) -> None:
    """One JSON object per line with `text` and `label` fields; blank lines are skipped."""
    with path.open("rb") as stream:
        for number, line in enumerate(_utf8_lines(path, stream), start=1):
            if not line or line.isspace():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise collector.error(number, f"invalid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(record, dict):
                raise collector.error(number, "expected a JSON object with text and label fields")
            for name in ("text", "label"):
                if name not in record:
                    raise collector.error(number, f"missing field {name!r}")
            collector.add(number, record["text"], record["label"])


# --- Parquet --------------------------------------------------------------------------------------------


def _read_parquet(path: Path, collector: _Collector) -> None:
    """Columns `text` and `label` (other columns are not read), a record batch at a time.

    A buffered stream reads a row group's pages as they are decoded, rather than each whole column
    chunk up front (up to the whole file when it has one row group).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path, buffer_size=PARQUET_BUFFER_BYTES, pre_buffer=False)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    names = parquet.schema_arrow.names
    for column in ("text", "label"):
        if column not in names:
            raise DataError(f"{path}: missing column {column!r} (found columns: {', '.join(names)})")
    row = 0
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=["text", "label"]):
        texts, labels = batch.column("text").to_pylist(), batch.column("label").to_pylist()
        for text, label in zip(texts, labels, strict=True):
            row += 1
            collector.add(row, text, label)


# --- A folder with one sub-folder per label -------------------------------------------------------------


def _read_folder(folder: Path, collector: _Collector, fallback_encoding: str | None) -> None:
    """One document per file, in sorted order so reruns are identical.

    `fallback_encoding` is for corpora known to mix in legacy encodings (BBC News has one Latin-1 file);
    a user's folder gets none, so a non-UTF-8 file is reported rather than silently mangled.
    """
    for file in folder_documents(folder):
        relative = file.relative_to(folder)
        collector.add(relative.as_posix(), _decode_document(file, fallback_encoding), relative.parts[0])


def folder_documents(folder: Path) -> list[Path]:
    """The document files of a label-per-sub-folder corpus, sorted; hidden files (.DS_Store) are skipped."""
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if len(relative.parts) == 1:
            raise DataError(
                f"{path}: a file directly in the data folder; put each document in a sub-folder named "
                f"after its label ({folder}/<label>/<document>.txt)"
            )
        files.append(path)
    return files


def _decode_document(path: Path, fallback_encoding: str | None) -> str:
    """One document's text (documents are read whole: each is one example)."""
    data = path.read_bytes()
    _refuse_foreign_encoding(path, data)
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        if fallback_encoding:
            return data.decode(fallback_encoding)
        start = bom + exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", start)
        line = data[line_start : line_end if line_end >= 0 else len(data)]
        line_number = data.count(b"\n", 0, start) + 1
        raise DataError(_not_utf8(path, line_number, start, data[start], line)) from None


# --- Encoding errors: where, and the command that fixes them --------------------------------------------


def _refuse_foreign_encoding(path: Path, first_bytes: bytes) -> None:
    """A UTF-16/32 file (byte-order mark, or NUL bytes, which UTF-8 text never holds) named as such."""
    for bom, encoding in _FOREIGN_BOMS:
        if first_bytes.startswith(bom):
            raise DataError(
                f"{path}: line 1: the file is {encoding} (it starts with a {encoding} byte-order mark), not "
                f"UTF-8; convert it: {_iconv(path, encoding)}"
            )
    first_line = first_bytes.split(b"\n", 1)[0]
    if b"\x00" in first_line:
        raise DataError(
            f"{path}: line 1: NUL bytes, so probably UTF-16 without a byte-order mark, not UTF-8; convert "
            f"it, e.g. {_iconv(path, 'UTF-16LE')}"
        )


def _not_utf8(path: Path, line_number: int, offset: int, bad_byte: int, line: bytes) -> str:
    """The message for a line that is not UTF-8, with a guess at its encoding: cp1252 covers most files
    from Windows and Excel; ISO-8859-1 decodes any byte, so it is the guess when cp1252 cannot be it."""
    try:
        line.decode("cp1252")
        encoding = "WINDOWS-1252"
    except UnicodeDecodeError:
        encoding = "ISO-8859-1"
    return (
        f"{path}: line {line_number}: not valid UTF-8 (byte 0x{bad_byte:02x} at byte offset {offset}); "
        f"save the file as UTF-8, e.g. {_iconv(path, encoding)}"
    )


def _iconv(path: Path, encoding: str) -> str:
    converted = path.with_name(f"{path.stem}.utf8{path.suffix}")
    return f"iconv -f {encoding} -t UTF-8 {shlex.quote(str(path))} > {shlex.quote(str(converted))}"
