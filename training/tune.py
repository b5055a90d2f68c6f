"""Choose hyperparameters by cross-validation on the training split only: `make tune`.

    python -m training.tune [--params FILE] [--folds N] [--report FILE] [--only KEY] [--apply]
    python -m training.tune --only train.estimator     # compare the linear classifiers on your data

Each candidate is params.yaml with a few values changed (a search around the current settings, not
a full grid: one fit costs tens of seconds). Every candidate is fitted exactly as `make train` fits
(term selection, weight rounding included) on N-1 folds and scored on the held-out fold. The test split
is never read, so the accuracy `make train` reports stays an honest estimate.

Folds: when the source knows when each document was posted (20 Newsgroups' article numbers), each
label's documents are cut into N consecutive blocks of posting time and each block is held out in turn.
The official test split was posted after the training split; shuffled folds would put replies to the
same thread, by the same authors, on both sides and reward memorising them. Other sources get
stratified, shuffled folds (seeded by data.seed).

Writes the table to training/reports/tuning.json and prints it. `--apply` writes the best candidate's
values into params.yaml when it beats the current settings by at least `--min-gain` (default 0.002, about
the spread of a setting's score between folds: smaller differences are noise, not a better model).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from serving.app.contracts.linear_tfidf import WORD_ANALYZER
from training import REPO_ROOT
from training.analyzer_choice import AUTO, resolve_analyzer, with_analyzer
from training.data_sources import DataError, load_dataset
from training.dataset import Dataset
from training.fit import fit_pipeline
from training.params import (
    C_ESTIMATORS,
    DEFAULT_PARAMS_PATH,
    ESTIMATORS,
    LINEAR_SVC,
    SVC_WITH_COMPLEMENT_NB,
    WEIGHTED_ESTIMATORS,
    ParamsError,
    load_params,
    set_param,
    validate_params,
)
from training.pipeline import n_features as count_features

DEFAULT_REPORT = REPO_ROOT / "training" / "reports" / "tuning.json"
DEFAULT_MIN_GAIN = 0.002
EMAIL_AND_HOST_TOKENS = r"(?u)\w++(?:[.@]\w++)*+"  # possessive: params.yaml says why

# The search: changes to params.yaml, each tried on its own. Token patterns: single words (scikit-learn's
# usual pattern with 1-character tokens) against words that keep e-mail addresses, host names and
# decimal numbers whole (authors and sites recur between the training and test periods). Feature blocks:
# words beside character n-grams within words (char_wb), at two ranges and with room for more terms,
# and char_wb alone (what languages written without spaces need; each costs a fold several times a
# word model's time).
CANDIDATES: list[dict[str, Any]] = [
    {"featurize.token_pattern": r"(?u)\b\w+\b", "featurize.select_features": None},
    {"featurize.token_pattern": EMAIL_AND_HOST_TOKENS, "featurize.select_features": None},
    {"featurize.token_pattern": EMAIL_AND_HOST_TOKENS},
    {"featurize.select_features": 50_000},
    {"featurize.select_features": 150_000},
    {"featurize.min_df": 1},
    {"featurize.min_df": 3},
    {"featurize.ngram_range": [1, 3]},
    {"featurize.max_df": 0.5},
    {"train.tol": 0.002},
    # What `featurize.analyzer: auto` chooses between, and words and characters side by side.
    {"featurize.analyzer": "word"},
    {"featurize.analyzer": "char_wb"},
    {"featurize.analyzer": "word+char_wb", "featurize.char_ngram_range": [1, 4]},
    {"featurize.analyzer": "word+char_wb", "featurize.char_ngram_range": [2, 5]},
]
# Each linear classifier train.estimator names (params.ESTIMATORS), with what it needs beside it: the C
# each scored best with on 20 Newsgroups (docs/training.md#the-classifier), no class_weight for the
# estimators that take none.
ESTIMATOR_SETTINGS: dict[str, dict[str, Any]] = {
    "logistic_regression": {"train.C": 100.0},
    "logistic_regression_ovr": {"train.C": 100.0},
    LINEAR_SVC: {"train.C": 1.0},
    SVC_WITH_COMPLEMENT_NB: {"train.C": 1.0},
}
# Regularisation: params.yaml's C times each factor (100 -> 30 and 300 for logistic regression, 1 -> 0.3
# and 3 for linear_svc), tried when the estimator takes C (see candidates()).
C_FACTORS = (0.3, 3.0)
CANDIDATES += [
    {
        "train.estimator": estimator,
        **ESTIMATOR_SETTINGS.get(estimator, {}),
        **({} if estimator in WEIGHTED_ESTIMATORS else {"train.class_weight": None}),
    }
    for estimator in ESTIMATORS
]


def cv_folds(dataset: Dataset, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train indices, validation indices) per fold, over the training split (see the module docstring)."""
    labels = np.array(dataset.train_labels)
    if dataset.train_posting_order is None:
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(labels)), labels))
    order = np.array(dataset.train_posting_order)
    block = np.empty(len(labels), dtype=int)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        by_time = members[np.argsort(order[members], kind="stable")]
        for index, part in enumerate(np.array_split(by_time, n_folds)):
            block[part] = index
    return [(np.flatnonzero(block != k), np.flatnonzero(block == k)) for k in range(n_folds)]


def with_changes(params: dict[str, dict[str, Any]], changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A validated copy of `params` with `section.key` values replaced."""
    changed = copy.deepcopy(params)
    for dotted, value in changes.items():
        section, key = dotted.split(".")
        changed[section][key] = value
    return validate_params(changed, f"candidate {changes}")


def cross_validate(params: dict, dataset: Dataset, folds: list) -> dict[str, Any]:
    """Mean and per-fold accuracy of `params`, fitted as `make train` fits, plus size and time.

    Without the confidence map: it changes no label, only the top probability, and would fit the
    classifier five times more per fold (`seconds_per_fold` leaves it out).
    """
    params = with_changes(params, {"train.confidence_map": False})
    texts, labels = dataset.train_texts, dataset.train_labels
    accuracies, n_features, started = [], [], time.perf_counter()
    for train_index, valid_index in folds:
        pipeline = fit_pipeline(params, [texts[i] for i in train_index], [labels[i] for i in train_index])
        predicted = pipeline.predict([texts[i] for i in valid_index])
        accuracies.append(float(np.mean(predicted == np.array(labels)[valid_index])))
        n_features.append(count_features(pipeline))
    return {
        "cv_accuracy": round(float(np.mean(accuracies)), 4),
        "fold_accuracies": [round(a, 4) for a in accuracies],
        "n_features": int(np.mean(n_features)),
        "seconds_per_fold": round((time.perf_counter() - started) / len(folds), 1),
    }


def search(params: dict, dataset: Dataset, n_folds: int, only: str | None = None) -> Iterator[dict[str, Any]]:
    """The current settings first, then each candidate that changes them; one result row each.

    `only` keeps the candidates that change that key (e.g. featurize.analyzer, train.estimator). A
    candidate that comes to the same model as the current settings on this data (the estimator params.yaml
    already names, or `word` where `auto` means word) is skipped.
    """
    folds = cv_folds(dataset, n_folds, params["data"]["seed"])
    # `auto` is measured once, on the whole training split, as the train stage measures it.
    current = resolve_analyzer(params, dataset.train_texts, dataset.train_labels)
    yield {
        "changes": {},
        "analyzer": current["featurize"]["analyzer"],
        **cross_validate(current, dataset, folds),
    }
    for changes in candidates(params):
        if only is not None and only not in changes:
            continue
        candidate = with_changes(params, changes)
        if candidate["featurize"]["analyzer"] == AUTO:
            candidate = with_analyzer(candidate, current["featurize"]["analyzer"])
        if candidate == current:
            continue
        analyzer = candidate["featurize"]["analyzer"]
        yield {"changes": changes, "analyzer": analyzer, **cross_validate(candidate, dataset, folds)}


def candidates(params: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The search around `params`: C scaled by C_FACTORS when its estimator takes C, then CANDIDATES.

    C is relative because its useful range depends on the estimator (about 1 for LinearSVC, 100 for
    logistic regression on TF-IDF): a fixed grid would search one estimator's neighbourhood only.
    """
    train = params["train"]
    scaled = [{"train.C": round(train["C"] * factor, 6)} for factor in C_FACTORS]
    return [*(scaled if train["estimator"] in C_ESTIMATORS else []), *CANDIDATES]


def choose(rows: list[dict[str, Any]], min_gain: float) -> dict[str, Any]:
    """The best row if it beats the current settings (the first row) by `min_gain`, else the current."""
    current, best = rows[0], max(rows, key=lambda row: row["cv_accuracy"])
    return best if best["cv_accuracy"] - current["cv_accuracy"] >= min_gain - 1e-9 else current


def character_cost_notice(current: dict[str, Any], best: dict[str, Any]) -> str | None:
    """A warning when the best row adds character n-grams the current settings do not have: every request
    pays for them, which cross-validated accuracy does not show."""
    if _has_characters(best["analyzer"]) and not _has_characters(current["analyzer"]):
        return (
            f"note: {best['analyzer']} adds character n-grams, which every request pays for (several times "
            "what words cost: docs/training.md#auto-what-it-decides-and-why); measure it with `make bench` "
            "before keeping it"
        )
    return None


def _has_characters(analyzer: str) -> bool:
    return any(block != WORD_ANALYZER for block in analyzer.split("+"))


def format_row(row: dict[str, Any]) -> str:
    changes = ", ".join(f"{key}={value!r}" for key, value in row["changes"].items()) or "(params.yaml)"
    folds = " ".join(f"{a:.4f}" for a in row["fold_accuracies"])
    return (
        f"| {changes} | {row['cv_accuracy']:.4f} | {folds} | {row['n_features']:,} | "
        f"{row['seconds_per_fold']:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.tune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS_PATH, help="params file")
    parser.add_argument("--folds", type=int, default=3, help="number of folds (default: %(default)s)")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="where to write the table")
    parser.add_argument("--apply", action="store_true", help="write the best candidate into the params file")
    parser.add_argument(
        "--only", metavar="KEY", help="only the candidates that change KEY, e.g. featurize.analyzer"
    )
    parser.add_argument(
        "--min-gain",
        type=float,
        default=DEFAULT_MIN_GAIN,
        help="CV accuracy a candidate must gain over the current settings to be chosen (default %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
        data = params["data"]
        dataset = load_dataset(
            data["source"], data["test_size"], data["seed"], data["test_source"], data["extra_sources"]
        )
    except (ParamsError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scheme = "posting-time blocks" if dataset.train_posting_order is not None else "stratified, shuffled"
    print(f"{args.folds}-fold CV ({scheme}) on {len(dataset.train_texts)} training documents", flush=True)
    print("| changes | CV accuracy | folds | features | s/fold |\n|---|---|---|---|---|", flush=True)
    rows = []
    for row in search(params, dataset, args.folds, args.only):
        rows.append(row)
        print(format_row(row), flush=True)
    best = choose(rows, args.min_gain)
    report = {
        "source": data["source"],
        "folds": args.folds,
        "scheme": scheme,
        "min_gain": args.min_gain,
        "only": args.only,
        "rows": rows,
        "chosen": best,
    }
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    chosen = best["changes"] or f"params.yaml as it is (no candidate gains {args.min_gain} or more)"
    print(f"best: {chosen} ({best['cv_accuracy']:.4f}); table in {args.report}")
    notice = character_cost_notice(rows[0], best)
    if notice is not None:
        print(notice)
    if args.apply:
        try:
            for dotted, value in best["changes"].items():
                set_param(assignment(dotted, value), args.params)
        except ParamsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{args.params}: {'updated' if best['changes'] else 'unchanged'}")
    return 0


def assignment(dotted: str, value: Any) -> str:
    """`section.key=value` for training.params.set_param: text as is, other values as YAML (JSON) scalars."""
    return f"{dotted}={value if isinstance(value, str) else json.dumps(value)}"


if __name__ == "__main__":
    sys.exit(main())
