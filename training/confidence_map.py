"""The confidence map (`train.confidence_map`): how often the top class is right, at each top probability,
on documents the model has not seen, fitted on held-out folds of the training split.

Why: one temperature fits one number to the held-out scores, not the whole curve, and held-out folds
of a shuffled training split flatter the model. On 20 Newsgroups the test split was posted months after
the training split: most of its documents start new threads, while a shuffled fold's documents nearly
always have other messages of their thread (quoting them) among the training documents. The folds here
therefore keep each group of documents together (20 Newsgroups' threads, from their subjects;
`Dataset.train_groups`), and everything fitted on the documents is refitted on each fold's training
part (terms, idf, chi2 selection, weights), so the held-out documents are as new to the fold's model
as unseen traffic is to the served one. Without groups the folds are stratified and shuffled.

The map is an isotonic regression of "the top class was right" (0 or 1) on the top probability the
served link gives the fold's scores: "top-label calibration" (Gupta and Ramdas, "Top-label calibration
and multiclass-to-binary reductions", ICLR 2022). Its knots go to model.json (settings.confidence_map)
and serving interpolates between them (serving/MODEL_ARTIFACT.md). The map never
reaches 1: with n held-out documents it stops at n / (n + 1), so a wrong answer is never impossible.

Cost: the documents are counted once (their counts are shared with the fit, and held, all terms, until
the map is fitted); each fold selects terms, weighs them and fits the classifier again: 11 s for the 5
folds on 20 Newsgroups. `make tune` leaves the map out (it changes no label).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import softmax
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from serving.app.contracts.linear_tfidf import TEMPERATURE
from training.families.linear_estimators import ConfidenceMapped, link_parameters
from training.families.linear_tfidf import round_weights

# Held-out folds the map is fitted on (fewer when a label has fewer training documents).
MAP_FOLDS = 5


def with_confidence_map(
    calibrated: CalibratedClassifierCV,
    fold_features: Callable[[np.ndarray, np.ndarray], tuple[Any, Any]],
    labels: list[str],
    groups: list[str] | None,
    weights_dtype: str,
    seed: int,
) -> ConfidenceMapped | CalibratedClassifierCV:
    """`calibrated` (fitted on all the documents) with a confidence map fitted on held-out folds; alone
    when the held-out documents all got one top probability (a map needs two knots).

    `fold_features(train_rows, test_rows)` gives the features of a fold's training and held-out
    documents with everything refitted on the training ones (training.fit.fold_features); each fold's
    weights are rounded to `weights_dtype`, as the served model's are.
    """
    started = time.perf_counter()
    y = np.asarray(labels)
    folds = held_out_folds(y, groups, seed)
    top_probability = np.empty(len(y))
    right = np.empty(len(y))
    temperature = link_parameters(calibrated)[TEMPERATURE]  # the served one: softmax(scores / T)
    for train_rows, test_rows in folds:
        train_features, test_features = fold_features(train_rows, test_rows)
        model = clone(calibrated.estimator).fit(train_features, y[train_rows])
        round_weights(model, weights_dtype)
        scores = _score_columns(model.decision_function(test_features))
        top_probability[test_rows] = softmax(scores / temperature, axis=1).max(axis=1)
        right[test_rows] = model.classes_[scores.argmax(axis=1)] == y[test_rows]
    isotonic = IsotonicRegression(y_min=0.0, y_max=len(y) / (len(y) + 1), out_of_bounds="clip")
    isotonic.fit(top_probability, right)
    kind = "grouped" if groups is not None else "stratified"
    found = (
        f"{len(folds)} {kind} held-out folds (held-out accuracy {right.mean():.4f}, mean top probability "
        f"{top_probability.mean():.4f}) in {time.perf_counter() - started:.1f} s"
    )
    if len(isotonic.X_thresholds_) < 2:
        # Every held-out document at one top probability: nothing to map from; the temperature stays.
        print(f"  confidence map: none, one level of confidence on {found}", flush=True)
        return calibrated
    print(f"  confidence map: {len(isotonic.X_thresholds_)} knots from {found}", flush=True)
    return ConfidenceMapped(calibrated, isotonic.X_thresholds_.tolist(), isotonic.y_thresholds_.tolist())


def held_out_folds(y: np.ndarray, groups: list[str] | None, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds, each group's documents within one fold when there are groups (as many folds as
    the smallest label's documents and the groups allow, at most MAP_FOLDS)."""
    smallest = int(min(np.unique(y, return_counts=True)[1]))
    n_splits = min(MAP_FOLDS, smallest)
    placeholder = np.zeros(len(y))
    if groups is None:
        return list(StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(placeholder, y))
    splitter = StratifiedGroupKFold(min(n_splits, len(set(groups))), shuffle=True, random_state=seed)
    return list(splitter.split(placeholder, y, np.asarray(groups)))


def _score_columns(scores: np.ndarray) -> np.ndarray:
    """One column per class, as the artifact stores them: a binary model's z becomes [0, z]."""
    return np.column_stack([np.zeros(len(scores)), scores]) if scores.ndim == 1 else scores
