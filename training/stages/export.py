"""The `export` stage: the fitted pipeline as serving's artifact, model.npz + model.json.

    python -m training.stages.export [--params FILE] [--data SOURCE] [--pipeline FILE] [--metrics FILE]
                                     [--out-dir DIR]

Reads the pipeline the train stage saved and the metrics the evaluate stage wrote (model.json records the
headline figures and the split's sizes beside the params), and writes serving/app/data/ through
training.export, the artifact's format (serving/MODEL_ARTIFACT.md). Reads the data for its held-out
split only: the exported model, served, is measured on it for model.json's model-quality baseline
(training.baseline).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sklearn.pipeline import Pipeline

from training import baseline, pinned_numerics
from training.export import DEFAULT_OUT_DIR, ExportResult, export_model
from training.stages import cli
from training.stages.handoff import METRICS_NAME, PIPELINE_PATH, REPORTS_DIR, load_pipeline, read_metrics

# The figures of metrics.json that model.json repeats, for GET /model.
HEADLINE_METRICS = ("accuracy", "macro_f1", "baseline_accuracy")


def export(
    pipeline: Pipeline,
    params: dict[str, dict[str, Any]],
    metrics: dict[str, Any],
    out_dir: Path,
    held_out_texts: list[str] | None = None,
) -> ExportResult:
    """Write the artifact into out_dir, announced with its size and version; with the held-out texts,
    its model-quality baseline too (training.baseline: the exported model, served, on those texts)."""
    started = cli.start("exporting")
    result = export_model(pipeline, out_dir, model_metadata(params, metrics))
    cli.done("exporting", started, f"{result.npz_path} ({result.bytes:,} bytes), version {result.version}")
    if held_out_texts:
        started = cli.start("measuring the baseline")
        baseline.write_into(result.json_path, baseline.measure(out_dir, held_out_texts))
        cli.done("measuring the baseline", started, f"{len(held_out_texts)} held-out texts")
    return result


def model_metadata(params: dict[str, dict[str, Any]], metrics: dict[str, Any]) -> dict[str, Any]:
    """The parts of model.json that describe how the model was made and how well it did."""
    return {
        "data": {
            "source": params["data"]["source"],
            "train_documents": metrics["n_train"],
            "test_documents": metrics["n_test"],
        },
        "metrics": {key: metrics[key] for key in HEADLINE_METRICS},
        "params": params,
    }


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m training.stages.export", __doc__)
    parser.add_argument(
        "--pipeline", type=Path, default=PIPELINE_PATH, help="fitted pipeline (default: %(default)s)"
    )
    parser.add_argument(
        "--metrics", type=Path, default=REPORTS_DIR / METRICS_NAME, help="metrics (default: %(default)s)"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="artifact folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    def stage() -> None:
        params = cli.read_params(args)
        texts = cli.load_data(params).test_texts
        export(load_pipeline(args.pipeline), params, read_metrics(args.metrics), args.out_dir, texts)

    return cli.run(stage)


if __name__ == "__main__":
    pinned_numerics.pin()  # the same bytes on every x86-64 CPU; not in main(), which tests call in-process
    sys.exit(main())
