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
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from monitoring import capture_source, captures
from monitoring.drift_check import DRIFT, DriftInputError, assess, model_baseline
from monitoring.drift_figure import write_figure
from monitoring.drift_report import headline, markdown, write, write_summary
from monitoring.drift_settings import EXIT_CALM, EXIT_DRIFT, EXIT_ERROR, THRESHOLDS
from monitoring.window import WindowError
from ops.stage import StageError
from serving.app.artifact.loader import default_model_dir, load_model
from serving.app.artifact.manifest import ModelLoadError

DEFAULT_OUTPUT = Path("monitoring/reports/drift.md")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    capture_source.add_arguments(parser)
    parser.add_argument("--model-dir", type=Path, help="the model folder (default serving's, $MODEL_DIR)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the Markdown report's path")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, today: date, session: Any = None) -> int:
    """Reads, compares, writes; returns the exit code. Raises on bad input."""
    args.output.with_suffix(".json").unlink(missing_ok=True)  # no earlier verdict outlives a failed run
    model_dir = args.model_dir or Path(default_model_dir())
    model = load_model(model_dir)
    baseline = model_baseline(model, model_dir)
    window = capture_source.window(args, today)
    try:
        texts, source = capture_source.read_captures(window, args.captures, args.stage, session)
    except StageError as error:
        raise DriftInputError(str(error)) from None
    except (BotoCoreError, ClientError) as error:
        raise DriftInputError(f"reading stage {args.stage}'s captures: {error} (AWS credentials?)") from None
    drift = assess(texts, model, baseline, THRESHOLDS)
    figure = write_figure(args.output.with_suffix(".svg"), drift) if drift.metrics else None
    report = markdown(drift, source, f"{window.describe()} (UTC)", figure.name if figure else None)
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
