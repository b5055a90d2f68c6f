"""The `evaluate` stage: the fitted pipeline on the test split; metrics.json and the confusion matrix.

    python -m training.stages.evaluate [--params FILE] [--data SOURCE] [--pipeline FILE]
                                       [--reports-dir DIR]

Reads the pipeline the train stage saved and the data (the same split: data.test_size and data.seed, or
the source's official one), then writes training/reports/metrics.json (training.evaluate's metrics, then
the data checks' figures), confusion_matrix.csv (one actual,predicted row per test document, a DVC
plot) and reliability.csv (the reliability diagram: per bin of the top probability, how sure the model
was and how often it was right, a DVC plot). Nothing measured on the clock goes into any of them:
dvc.lock hashes them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sklearn.pipeline import Pipeline

from training import pinned_numerics
from training.data_checks import DataChecks, check_dataset
from training.dataset import Dataset
from training.evaluate import evaluate_model, reliability_rows, write_confusion_csv, write_reliability_csv
from training.stages import cli
from training.stages.handoff import (
    CONFUSION_NAME,
    METRICS_NAME,
    PIPELINE_PATH,
    RELIABILITY_NAME,
    REPORTS_DIR,
    load_pipeline,
)


def evaluate(pipeline: Pipeline, dataset: Dataset, checks: DataChecks, reports_dir: Path) -> dict[str, Any]:
    """Score the pipeline on the test split, write the reports; returns the metrics written."""
    started = cli.start("evaluating")
    # The test texts are featurized once; the classifier's labels are exactly what pipeline.predict gives.
    features = pipeline.named_steps["features"].transform(dataset.test_texts)
    classifier = pipeline.named_steps["clf"]
    predictions = [str(label) for label in classifier.predict(features)]
    probabilities = classifier.predict_proba(features) if hasattr(classifier, "predict_proba") else None
    # The data checks go last in metrics.json: numbers only, for `dvc metrics diff` and the PR report.
    metrics = evaluate_model(pipeline, dataset, predictions, probabilities) | {"data_checks": checks.figures}
    cli.done("evaluating", started, _describe(metrics))
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / METRICS_NAME).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_confusion_csv(reports_dir / CONFUSION_NAME, dataset.test_labels, predictions)
    if probabilities is not None:
        labels = [str(label) for label in classifier.classes_]
        rows = reliability_rows(probabilities, labels, dataset.test_labels)
        write_reliability_csv(reports_dir / RELIABILITY_NAME, rows)
    return metrics


def _describe(metrics: dict[str, Any]) -> str:
    described = f"accuracy {metrics['accuracy']:.4f} on {metrics['n_test']} test documents"
    if "ece" in metrics:
        described += f", ECE {metrics['ece']:.4f}, log loss {metrics['log_loss']:.4f}"
    return described


def print_summary(metrics: dict[str, Any]) -> None:
    baseline = metrics["baseline_accuracy"]
    print(f"accuracy           {metrics['accuracy']:.4f}  (always the majority label: {baseline:.4f})")
    if "stripped_accuracy" in metrics:
        stripped = metrics["stripped_accuracy"]
        print(f"stripped accuracy  {stripped:.4f}  (test texts without headers, footers, quotes)")
    print(f"macro-F1           {metrics['macro_f1']:.4f}")
    if "ece" in metrics:
        confidence = metrics["mean_confidence"]
        print(
            f"calibration        ECE {metrics['ece']:.4f}, log loss {metrics['log_loss']:.4f}, "
            f"mean top probability {confidence:.4f}"
        )
    weakest = sorted(metrics["per_class"].items(), key=lambda item: item[1]["f1"])[:3]
    print("lowest F1          " + ", ".join(f"{label} {scores['f1']:.3f}" for label, scores in weakest))


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m training.stages.evaluate", __doc__)
    parser.add_argument(
        "--pipeline", type=Path, default=PIPELINE_PATH, help="fitted pipeline (default: %(default)s)"
    )
    parser.add_argument(
        "--reports-dir", type=Path, default=REPORTS_DIR, help="reports folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    def stage() -> None:
        params = cli.read_params(args)
        pipeline = load_pipeline(args.pipeline)
        dataset = cli.load_data(params)
        print_summary(evaluate(pipeline, dataset, check_dataset(dataset), args.reports_dir))

    return cli.run(stage)


if __name__ == "__main__":
    pinned_numerics.pin()  # the same bytes on every x86-64 CPU; not in main(), which tests call in-process
    sys.exit(main())
