"""`make drift`: compares a window of captured texts with the served model's baseline; writes a report.

Reads the captures from `make serve`'s local folder (``--captures``, default ``$CAPTURE_DIR`` as for
`make serve`, else ``captures``) or from a deployed stage's capture bucket (``--stage``: the bucket named
by the stack's outputs, read with the caller's AWS credentials), over a window of UTC days (``--since 7d``
by default, or ``--from``/``--to``), and the baseline from the model folder (``--model-dir``, default the
one `make train` writes). Writes the Markdown report, its SVG figure and a JSON summary beside it. Exit
codes: ``drift_settings`` (0 calm or too few texts, 3 a threshold crossed, 2 bad input).
docs/monitoring.md, "Drift", explains every figure.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitoring import captures
from monitoring.drift_check import DRIFT, DriftInputError, assess, model_baseline
from monitoring.drift_figure import write_figure
from monitoring.drift_report import headline, markdown, write, write_summary
from monitoring.drift_settings import EXIT_CALM, EXIT_DRIFT, EXIT_ERROR, THRESHOLDS
from monitoring.window import DEFAULT_SINCE, WindowError, parse_window
from ops.stage import StageError, capture_bucket
from serving.app.artifact.loader import default_model_dir, load_model
from serving.app.artifact.manifest import ModelLoadError
from serving.app.contracts import capture

DEFAULT_OUTPUT = Path("monitoring/reports/drift.md")


def read_local(folder: Path, first: date, last: date) -> list[captures.CapturedText]:
    """The local folder's captures; a missing folder is an error that says how to fill it."""
    if not folder.is_dir():
        raise DriftInputError(
            f"no captures folder {folder}: serve with capture on (make serve CAPTURE_RATE=1 "
            f"{capture.LOCAL_DIR_ENV}={folder}) and send it traffic, or name the folder with CAPTURES=..."
        )
    return captures.read_local(folder, first, last)


def read_stage(stage: str, first: date, last: date, session: Any = None) -> tuple[list, str]:
    """The stage bucket's captures and the bucket's name, with the caller's AWS credentials."""
    if session is None:
        import boto3  # a session only for a stage: a local run makes no AWS client

        session = boto3.Session()
    try:
        bucket = capture_bucket(stage, session.client("cloudformation"))
        return captures.read_bucket(session.client("s3"), bucket, first, last), bucket
    except StageError as error:
        raise DriftInputError(str(error)) from None
    except (BotoCoreError, ClientError) as error:
        raise DriftInputError(
            f"reading stage {stage}'s captures: {error} (AWS credentials of the stage?)"
        ) from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--captures",
        type=Path,
        help=f"local captures folder (default ${capture.LOCAL_DIR_ENV}, else {capture.DEFAULT_LOCAL_DIR})",
    )
    source.add_argument("--stage", help="a deployed stage: read its capture bucket")
    parser.add_argument("--since", help=f"the last N days, e.g. 7d (default {DEFAULT_SINCE})")
    parser.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (UTC)")
    parser.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (UTC; default today)")
    parser.add_argument("--model-dir", type=Path, help="the model folder (default serving's, $MODEL_DIR)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the Markdown report's path")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, today: date, session: Any = None) -> int:
    """Reads, compares, writes; returns the exit code. Raises on bad input."""
    args.output.with_suffix(".json").unlink(missing_ok=True)  # no earlier verdict outlives a failed run
    model_dir = args.model_dir or Path(default_model_dir())
    model = load_model(model_dir)
    baseline = model_baseline(model, model_dir)
    first, last = parse_window(args.since, args.first, args.last, today)
    if args.stage:
        texts, bucket = read_stage(args.stage, first, last, session)
        source = f"stage {args.stage} (s3://{bucket})"
    else:
        folder = args.captures or Path(os.environ.get(capture.LOCAL_DIR_ENV) or capture.DEFAULT_LOCAL_DIR)
        texts, source = read_local(folder, first, last), f"folder {folder}"
    drift = assess(texts, model, baseline, THRESHOLDS)
    figure = write_figure(args.output.with_suffix(".svg"), drift) if drift.metrics else None
    report = markdown(drift, source, f"{first} to {last} (UTC)", figure.name if figure else None)
    write(args.output, report)
    write_summary(args.output.with_suffix(".json"), drift)
    print(f"drift: {headline(drift)}\ndrift: report {args.output}")
    return EXIT_DRIFT if drift.verdict == DRIFT else EXIT_CALM


def main(argv: list[str] | None = None, session: Any = None, today: date | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args, today or datetime.now(UTC).date(), session)
    except (DriftInputError, WindowError, captures.CaptureError, ModelLoadError) as error:
        print(f"drift: {error}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
