"""The `train` stage: load the data, check it, fit the pipeline, save the fitted pipeline.

    python -m training.stages.train [--params FILE] [--data SOURCE] [--pipeline-out FILE]

Prints what is wrong or risky with the data right after loading it (training.data_checks; the checks
never stop training, and the evaluate stage records their figures), then fits (training.fit) and saves
the fitted scikit-learn pipeline (training/model/pipeline.joblib by default) for the evaluate and
export stages. It imports neither of them: editing the evaluation or the export does not refit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sklearn.pipeline import Pipeline

from training import pinned_numerics
from training.analyzer_choice import AUTO, choose_analyzer, with_analyzer
from training.data_checks import DataChecks, check_dataset, printed_lines
from training.dataset import Dataset
from training.families import linear_estimators
from training.fit import fit_pipeline
from training.pipeline import n_features, vectorizers
from training.stages import cli
from training.stages.handoff import ANALYZER_CHOICE_NAME, PIPELINE_PATH, REPORTS_DIR, save_pipeline


def check_data(dataset: Dataset, params: dict[str, dict[str, Any]]) -> DataChecks:
    """Print one line per data check (warnings first); returns the checks."""
    checks = check_dataset(dataset)
    print("\n".join(printed_lines(checks, params["train"]["class_weight"])), flush=True)
    return checks


def fit(params: dict[str, dict[str, Any]], dataset: Dataset, reports_dir: Path) -> Pipeline:
    """The pipeline fitted on the training split, announced with its size and the time it took."""
    started = cli.start("fitting")
    params = resolve_auto_analyzer(params, dataset, reports_dir)
    pipeline = fit_pipeline(params, dataset.train_texts, dataset.train_labels, dataset.train_groups)
    cli.done("fitting", started, _describe_fit(pipeline))
    return pipeline


def resolve_auto_analyzer(
    params: dict[str, dict[str, Any]], dataset: Dataset, reports_dir: Path
) -> dict[str, dict[str, Any]]:
    """`params` with `featurize.analyzer: auto` decided on the training split (training.analyzer_choice),
    the reasons printed; what the analyzer is and why goes to reports_dir/ANALYZER_CHOICE_NAME (a DVC
    metric: the PR report shows a changed choice)."""
    analyzer = params["featurize"]["analyzer"]
    if analyzer == AUTO:
        featurize, seed = params["featurize"], params["data"]["seed"]
        choice = choose_analyzer(dataset.train_texts, dataset.train_labels, featurize, seed)
        print(choice.describe(), flush=True)
        record = {**choice.summary(), "chosen_by": "auto"}
        params = with_analyzer(params, choice.analyzer)
    else:
        record = {"analyzer": analyzer, "chosen_by": "params.yaml"}
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / ANALYZER_CHOICE_NAME).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return params


def _describe_fit(pipeline: Pipeline) -> str:
    classifier = pipeline.named_steps["clf"]
    iterations = linear_estimators.iterations(classifier)
    blocks = ", ".join(f"{name} {len(block.vocabulary_):,}" for name, block in vectorizers(pipeline))
    shape = f"{n_features(pipeline):,} features ({blocks}) x {len(classifier.classes_)} classes"
    return f"{shape}, {iterations} solver iterations" if iterations is not None else shape


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("python -m training.stages.train", __doc__)
    parser.add_argument(
        "--pipeline-out", type=Path, default=PIPELINE_PATH, help="fitted pipeline (default: %(default)s)"
    )
    parser.add_argument(
        "--reports-dir", type=Path, default=REPORTS_DIR, help="reports folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    def stage() -> None:
        params = cli.read_params(args)
        dataset = cli.load_data(params)
        check_data(dataset, params)
        save_pipeline(fit(params, dataset, args.reports_dir), args.pipeline_out)
        print(f"saved: {args.pipeline_out} ({args.pipeline_out.stat().st_size:,} bytes)")

    return cli.run(stage)


if __name__ == "__main__":
    pinned_numerics.pin()  # the same bytes on every x86-64 CPU; not in main(), which tests call in-process
    sys.exit(main())
