"""`make relabel`: the texts the service captured, as a CSV for people to label, the least certain first.

    python -m monitoring.relabel [--captures DIR | --stage STAGE] [--since 7d | --from DATE [--to DATE]]
                                 [--limit N] [--output FILE]

Reads the window's captures (monitoring.capture_source), keeps one row per distinct text (texts equal
once runs of whitespace are one space and the ends are stripped; `occurrences` counts them), orders the
rows by the model's margin, then its probability, lowest first (the texts a correction teaches the model
most), and writes a UTF-8 CSV whose columns are training.relabel_file.COLUMNS. The `label` column holds
the model's label: people correct it where it is wrong; the file then joins training through
params.yaml's `data.extra_sources` (docs/monitoring.md#relabel). An existing file is never overwritten:
it may hold someone's corrections.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitoring import capture_source
from monitoring.captures import CapturedText, CaptureError
from monitoring.window import WindowError, today
from ops.stage import StageError
from training.relabel_file import COLUMNS

DEFAULT_FOLDER = Path("relabel")


class RelabelError(ValueError):
    """Nothing to export, or nowhere safe to write it; the message says what to do."""


@dataclass
class Row:
    """One distinct text: its first occurrence's text and time, the latest occurrence's model figures."""

    text: str
    first_seen: str
    model_label: str
    probability: float
    margin: float
    model_version: str
    occurrences: int = 1

    def values(self) -> list[str]:
        """The CSV fields in COLUMNS' order; `label` starts as the model's label, for people to correct."""
        fields = {
            "text": self.text,
            "label": self.model_label,
            "model_label": self.model_label,
            "probability": f"{self.probability:.4f}",
            "margin": f"{self.margin:.4f}",
            "occurrences": str(self.occurrences),
            "model_version": self.model_version,
            "first_seen": self.first_seen,
        }
        return [fields[column] for column in COLUMNS]


def normalised(text: str) -> str:
    """The text as deduplication compares it: runs of whitespace made one space, ends stripped."""
    return " ".join(text.split())


def distinct_texts(captures: Iterable[CapturedText]) -> list[Row]:
    """One row per distinct text, the least certain first: margin, then probability, then first seen."""
    rows: dict[str, Row] = {}
    for item in sorted(captures, key=lambda item: item.timestamp):
        key = normalised(item.text)
        if not key:
            continue  # a blank text teaches nothing, and training refuses it
        row = rows.get(key)
        if row is None:
            rows[key] = Row(
                text=item.text,
                first_seen=item.timestamp,
                model_label=item.label,
                probability=item.probability,
                margin=item.margin,
                model_version=item.model_version,
            )
            continue
        # The latest answer is the one the model in service gives.
        row.occurrences += 1
        row.model_label, row.model_version = item.label, item.model_version
        row.probability, row.margin = item.probability, item.margin
    return sorted(rows.values(), key=lambda row: (row.margin, row.probability, row.first_seen, row.text))


def write_csv(rows: Iterable[Row], path: Path) -> int:
    """Write the header and the rows to a new file (refusing an existing one); returns the row count.

    The file holds users' texts: only its owner may read it (mode 0600), as with any export of them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow(row.values())
                count += 1
    except FileExistsError:
        raise RelabelError(
            f"{path} exists and may hold corrections; give another OUTPUT=..., or move it away"
        ) from None
    return count


def default_output() -> Path:
    return DEFAULT_FOLDER / f"to-label-{today()}.csv"


def main(argv: list[str] | None = None, session: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitoring.relabel", description=__doc__.split("\n")[0])
    capture_source.add_arguments(parser)
    parser.add_argument("--limit", type=int, help="at most this many rows, the least certain")
    parser.add_argument("--output", type=Path, help="CSV to write (default: relabel/to-label-<today>.csv)")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be a positive number of rows")
    try:
        window = capture_source.window(args)
        captures, origin = capture_source.read_captures(window, args.captures, args.stage, session)
        rows = distinct_texts(captures)
        if not rows:
            raise RelabelError(
                f"no captured texts in {origin} for {window.describe()}; is capture on (CAPTURE_RATE "
                f"locally, capture_rate in the stage's settings)? Widen SINCE, or read another CAPTURES "
                f"folder or STAGE"
            )
        output = args.output or default_output()
        written = write_csv(rows[: args.limit], output)
    except (WindowError, CaptureError, RelabelError, StageError, BotoCoreError, ClientError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"{output}: {written} texts to label (of {len(rows)} distinct in {len(captures)} captures, "
        f"{origin}, {window.describe()}), the least certain first; correct the label column"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
