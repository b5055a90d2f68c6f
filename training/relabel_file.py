"""Corrected `make relabel` exports: the CSV's columns, and reading one back as training examples.

`make relabel` (monitoring/relabel.py) writes captured texts with the model's label pre-filled in
`label`; people correct that column (a label left as it was counts as confirmed), the file is tracked
with `dvc add` and named in params.yaml's `data.extra_sources`. training.data_sources appends its rows
to the training split only. Reading refuses anything else: a file whose header is not exactly
``COLUMNS`` (not an export, or one whose columns were edited), an empty text or label, and a label the
main source's training data does not have (the model could never have predicted it, and a typo would
otherwise become a new class); each error names the file, the line and the fix.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from pathlib import Path

from training.data_files import DataError, Examples, _raise_csv_field_limit, _utf8_lines

# The export's header, in order: the one definition the exporter writes and the reader checks.
#   text           the captured text (the first of its occurrences, as received)
#   label          the model's label, pre-filled: the column people correct
#   model_label    the model's label, kept for comparison (never read back)
#   probability, margin   the model's certainty (the least certain rows come first)
#   occurrences    how many captures had this text (after whitespace normalisation)
#   model_version  the model that answered its first occurrence
#   first_seen     the time of its first occurrence (ISO 8601, UTC)
COLUMNS = (
    "text",
    "label",
    "model_label",
    "probability",
    "margin",
    "occurrences",
    "model_version",
    "first_seen",
)
_FIX_EXPORT = (
    "data.extra_sources takes the CSV `make relabel` writes, with only its label column corrected; "
    "export again with make relabel, or remove the file from data.extra_sources"
)


def read_relabel_file(path: Path, allowed_labels: Collection[str]) -> Examples:
    """The corrected export's texts and labels; every label must be one of ``allowed_labels``."""
    if not path.is_file() or path.suffix.lower() != ".csv":
        raise DataError(f"{path}: not a relabel export (a .csv file); {_FIX_EXPORT}")
    examples = Examples()
    for line, text, label in _rows(path):
        if not text.strip():
            raise DataError(f"{path}: line {line}: empty text; delete the row (its text is what is learnt)")
        if not label:
            raise DataError(
                f"{path}: line {line}: empty label; write the correct label (the model's is in "
                f"model_label), or delete the row"
            )
        if label not in allowed_labels:
            allowed = ", ".join(sorted(allowed_labels))
            raise DataError(
                f"{path}: line {line}: label {label!r} is not a class of the training data (allowed: "
                f"{allowed}); correct it to one of those, or delete the row"
            )
        examples.first_seen.setdefault(label, f"line {line}")
        examples.texts.append(text)
        examples.labels.append(label)
    return examples


def _rows(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line a record starts on, text, label stripped of surrounding spaces) for each record."""
    _raise_csv_field_limit()
    with path.open("rb") as stream:
        reader = csv.reader(_utf8_lines(path, stream))
        try:
            header = next(reader, None)
            if header is None or tuple(header) != COLUMNS:
                raise DataError(
                    f"{path}: line 1: not a relabel export: {_header_problem(header)}; {_FIX_EXPORT}"
                )
            end = reader.line_num
            for row in reader:
                start, end = end + 1, reader.line_num
                if not row:  # a blank line
                    continue
                if len(row) != len(COLUMNS):
                    raise DataError(
                        f"{path}: line {start}: {len(row)} fields, the export has {len(COLUMNS)} "
                        f"({', '.join(COLUMNS)}); restore the row from the export and change only its label"
                    )
                yield start, row[0], row[1].strip()
        except csv.Error as exc:
            raise DataError(
                f"{path}: line {reader.line_num}: not valid CSV ({exc}); restore the row from the export"
            ) from None


def _header_problem(header: list[str] | None) -> str:
    """What is wrong with a header that is not COLUMNS: nothing there, missing columns, or their order."""
    if not header:
        return "no header (an empty file, or a blank first line)"
    missing = [column for column in COLUMNS if column not in header]
    found = ", ".join(header)
    if missing:
        return f"missing column(s) {', '.join(missing)} (found: {found})"
    return f"its header is {found}, expected {', '.join(COLUMNS)}"
