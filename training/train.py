"""Train, evaluate and export the model: the `train` stage of dvc.yaml.

    python -m training.train [--data SOURCE] [--out-dir DIR] [--reports-dir DIR] [--params FILE]
                             [--pipeline-out FILE]

Prints what is wrong or risky with the data right after loading it (training.data_checks), then fits.
Writes serving/app/data/model.npz + model.json (the artifact serving loads) and, for DVC,
training/reports/metrics.json and training/reports/confusion_matrix.csv. `--data` overrides data.source
for this run only, leaving params.yaml (and so the DVC pipeline) untouched. `--pipeline-out` also saves
the fitted scikit-learn pipeline with joblib: a pickle, for analysis and for the test that holds serving
to it, never for serving (loading a pickle runs code).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import joblib

from training import REPO_ROOT, pinned_numerics
from training.analyzer_choice import AUTO, choose_analyzer
from training.data_checks import check_dataset, printed_lines
from training.data_sources import DataError, Dataset, load_dataset
from training.evaluate import evaluate_model, write_confusion_csv
from training.export import DEFAULT_OUT_DIR, export_model
from training.fit import fit_pipeline
from training.params import DEFAULT_PARAMS_PATH, ParamsError, load_params, validate_params
from training.pipeline import UnservableModelError, n_features, vectorizers

DEFAULT_REPORTS_DIR = REPO_ROOT / "training" / "reports"
METRICS_NAME = "metrics.json"
CONFUSION_NAME = "confusion_matrix.csv"


def train(
    params: dict[str, dict[str, Any]], out_dir: Path, reports_dir: Path, pipeline_out: Path | None = None
) -> dict[str, Any]:
    """Run every step, printing progress with timings; returns the metrics written to metrics.json."""
    started = time.perf_counter()

    step = _start("loading data")
    data = params["data"]
    dataset = load_dataset(data["source"], data["test_size"], data["seed"], data["test_source"])
    _done("loading data", step, _describe_dataset(dataset))
    checks = check_dataset(dataset)
    print("\n".join(printed_lines(checks, params["train"]["class_weight"])), flush=True)

    step = _start("fitting")
    if params["featurize"]["analyzer"] == AUTO:
        print(_describe_auto_choice(dataset.train_texts), flush=True)
    pipeline = fit_pipeline(params, dataset.train_texts, dataset.train_labels)
    _done("fitting", step, _describe_fit(pipeline))

    step = _start("evaluating")
    predictions = [str(label) for label in pipeline.predict(dataset.test_texts)]
    # The data checks go last in metrics.json: numbers only, for `dvc metrics diff` and the PR report.
    metrics = evaluate_model(pipeline, dataset, predictions) | {"data_checks": checks.figures}
    _done("evaluating", step, f"accuracy {metrics['accuracy']:.4f} on {metrics['n_test']} test documents")

    step = _start("exporting")
    result = export_model(pipeline, out_dir, _metadata(params, dataset, metrics))
    _done("exporting", step, f"{result.npz_path} ({result.bytes:,} bytes), version {result.version}")

    _write_reports(reports_dir, metrics, dataset.test_labels, predictions)
    if pipeline_out is not None:
        save_pipeline(pipeline, pipeline_out)
    print(f"total: {time.perf_counter() - started:.1f} s")
    _print_summary(metrics)
    return metrics


def save_pipeline(pipeline, path: Path) -> None:
    """Pickle the fitted pipeline with joblib, byte for byte the same on every run of the same commit.

    CountVectorizer remembers `id(stop_words)`, a memory address, to skip a repeated consistency check;
    it is process state, not model, and would make each run's pickle differ. Without it scikit-learn
    simply checks again. Every feature block has its own.
    """
    for _, vectorizer in vectorizers(pipeline):
        if hasattr(vectorizer, "_stop_words_id"):
            del vectorizer._stop_words_id
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, path)


def _start(step: str) -> float:
    print(f"{step} ...", flush=True)
    return time.perf_counter()


def _done(step: str, started: float, outcome: str) -> float:
    """Print `step: outcome in N s`; returns N."""
    seconds = time.perf_counter() - started
    print(f"{step}: {outcome} in {seconds:.1f} s", flush=True)
    return seconds


def _describe_dataset(dataset: Dataset) -> str:
    return (
        f"{dataset.source}: {len(dataset.train_texts)} train + {len(dataset.test_texts)} test documents, "
        f"{len(dataset.labels)} labels"
    )


def _describe_auto_choice(texts: list[str]) -> str:
    analyzer, share = choose_analyzer(texts)
    written_without_spaces = f"{share:.0%} of the letters are in scripts written without spaces"
    return f"featurize.analyzer auto: {analyzer} ({written_without_spaces})"


def _describe_fit(pipeline) -> str:
    classifier = pipeline.named_steps["clf"]
    iterations = int(max(classifier.n_iter_))
    blocks = ", ".join(f"{name} {len(block.vocabulary_):,}" for name, block in vectorizers(pipeline))
    shape = f"{n_features(pipeline):,} features ({blocks}) x {len(classifier.classes_)} classes"
    return f"{shape}, {iterations} solver iterations"


def _metadata(params: dict, dataset: Dataset, metrics: dict[str, Any]) -> dict[str, Any]:
    """The parts of model.json that describe how the model was made and how well it did."""
    return {
        "data": {
            "source": dataset.source,
            "train_documents": len(dataset.train_texts),
            "test_documents": len(dataset.test_texts),
        },
        "metrics": {key: metrics[key] for key in ("accuracy", "macro_f1", "baseline_accuracy")},
        "params": params,
    }


def _write_reports(reports_dir: Path, metrics: dict, actual: list[str], predicted: list[str]) -> None:
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / METRICS_NAME).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_confusion_csv(reports_dir / CONFUSION_NAME, actual, predicted)


def _print_summary(metrics: dict[str, Any]) -> None:
    baseline = metrics["baseline_accuracy"]
    print(f"accuracy           {metrics['accuracy']:.4f}  (always the majority label: {baseline:.4f})")
    if "stripped_accuracy" in metrics:
        stripped = metrics["stripped_accuracy"]
        print(f"stripped accuracy  {stripped:.4f}  (test texts without headers, footers, quotes)")
    print(f"macro-F1           {metrics['macro_f1']:.4f}")
    weakest = sorted(metrics["per_class"].items(), key=lambda item: item[1]["f1"])[:3]
    print("lowest F1          " + ", ".join(f"{label} {scores['f1']:.3f}" for label, scores in weakest))


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", help="data source for this run (overrides data.source, params file untouched)"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="artifact folder (default: %(default)s)"
    )
    parser.add_argument(
        "--reports-dir", type=Path, default=DEFAULT_REPORTS_DIR, help="reports folder (default: %(default)s)"
    )
    parser.add_argument(
        "--params", type=Path, default=DEFAULT_PARAMS_PATH, help="params file (default: %(default)s)"
    )
    parser.add_argument("--pipeline-out", type=Path, help="also save the fitted pipeline here (joblib)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        params = load_params(args.params)
        if args.data is not None:
            params["data"]["source"] = args.data
            params = validate_params(params, f"--data {args.data!r}")
        train(params, args.out_dir, args.reports_dir, args.pipeline_out)
    except (ParamsError, DataError, UnservableModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    pinned_numerics.pin()  # the same bytes on every x86-64 CPU; not in main(), which tests call in-process
    sys.exit(main())
