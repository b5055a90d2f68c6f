"""Held-out metrics of a fitted model, shaped for DVC: metrics.json, confusion-matrix and reliability rows.

Accuracy alone hides a model that ignores small classes, so macro-F1 and per-class figures sit beside it;
the majority-class baseline says what accuracy is worth on this label distribution. The API returns
probabilities, so whether they mean what they say is measured too: the expected calibration error (ECE,
RELIABILITY_BINS equal-width bins of the top probability: the share-weighted gap between how sure the
model was and how often it was right), the log loss, and the reliability diagram's rows.
"""

from __future__ import annotations

import collections
import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_recall_fscore_support
from sklearn.pipeline import Pipeline

from training.dataset import Dataset
from training.pipeline import n_features
from training.rounding import rounded

# Equal-width bins of the top probability for the ECE and the reliability diagram (the usual 10).
RELIABILITY_BINS = 10
RELIABILITY_COLUMNS = ("bin", "confidence", "accuracy", "documents")


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1 and per-class precision/recall/F1/support over `labels` (in that order).

    A class never predicted gets precision 0 rather than a warning: that is the honest score.
    """
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(labels), zero_division=0
    )
    per_class = {
        label: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=list(labels), average="macro", zero_division=0)),
        "per_class": per_class,
    }


def probability_metrics(
    probabilities: np.ndarray, classes: Sequence[str], y_true: Sequence[str]
) -> dict[str, float]:
    """ECE, log loss and the mean top probability of `probabilities` (rows in `classes` order)."""
    top, correct = _top_and_correct(probabilities, classes, y_true)
    ece = sum(abs(float(correct[b].mean()) - float(top[b].mean())) * b.sum() for b in _bins(top)) / len(top)
    return {
        "ece": ece,
        "log_loss": float(log_loss(list(y_true), probabilities, labels=list(classes))),
        "mean_confidence": float(top.mean()),
    }


def reliability_rows(
    probabilities: np.ndarray, classes: Sequence[str], y_true: Sequence[str]
) -> list[tuple[str, float, float, int]]:
    """The reliability diagram: per non-empty bin, its range, mean top probability, accuracy, size."""
    top, correct = _top_and_correct(probabilities, classes, y_true)
    rows = []
    for index, members in enumerate(_bins(top, keep_empty=True)):
        if members.any():
            low, high = index / RELIABILITY_BINS, (index + 1) / RELIABILITY_BINS
            mean_top, accuracy = float(top[members].mean()), float(correct[members].mean())
            rows.append((f"{low:.1f}-{high:.1f}", round(mean_top, 4), round(accuracy, 4), int(members.sum())))
    return rows


def _top_and_correct(
    probabilities: np.ndarray, classes: Sequence[str], y_true: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    best = np.argmax(probabilities, axis=1)
    predicted = np.asarray(classes, dtype=object)[best]
    return probabilities[np.arange(len(best)), best], predicted == np.asarray(y_true, dtype=object)


def _bins(top: np.ndarray, keep_empty: bool = False) -> list[np.ndarray]:
    """Masks of the documents in each bin [i/B, (i+1)/B); a top probability of 1 falls in the last."""
    index = np.minimum((top * RELIABILITY_BINS).astype(int), RELIABILITY_BINS - 1)
    masks = [index == i for i in range(RELIABILITY_BINS)]
    return masks if keep_empty else [mask for mask in masks if mask.any()]


def write_reliability_csv(path: Path, rows: list[tuple[str, float, float, int]]) -> None:
    """The reliability diagram's rows, for DVC's plot (confidence against accuracy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(RELIABILITY_COLUMNS)
        writer.writerows(rows)


def evaluate_model(
    pipeline: Pipeline,
    dataset: Dataset,
    predictions: list[str],
    probabilities: np.ndarray | None = None,
) -> dict[str, Any]:
    """metrics.json's content, in a stable key order: headline figures, sizes, then per-class detail.

    Nothing measured on the clock goes in: metrics.json is hashed into dvc.lock, and the same commit
    must give the same bytes on every run (`make train` prints the timings instead).

    `predictions` are the pipeline's labels for dataset.test_texts (computed once, also used for the
    confusion matrix), `probabilities` its predict_proba for them (when the model gives probabilities).
    For 20 Newsgroups the same model is also scored on the stripped test texts.
    """
    labels = [str(label) for label in pipeline.named_steps["clf"].classes_]
    scores = classification_metrics(dataset.test_labels, predictions, labels)
    metrics: dict[str, Any] = {
        "accuracy": scores["accuracy"],
        "macro_f1": scores["macro_f1"],
        "baseline_accuracy": baseline_accuracy(dataset.train_labels, dataset.test_labels),
    }
    if probabilities is not None:
        metrics |= probability_metrics(probabilities, labels, dataset.test_labels)
    if dataset.stripped_test_texts is not None:
        stripped_predictions = [str(label) for label in pipeline.predict(dataset.stripped_test_texts)]
        stripped = classification_metrics(dataset.stripped_test_labels, stripped_predictions, labels)
        metrics["stripped_accuracy"] = stripped["accuracy"]
    metrics |= {
        "n_train": len(dataset.train_texts),
        "n_test": len(dataset.test_texts),
        "n_features": n_features(pipeline),
        "n_classes": len(labels),
        "per_class": scores["per_class"],
    }
    return rounded(metrics)


def baseline_accuracy(train_labels: Sequence[str], test_labels: Sequence[str]) -> float:
    """Accuracy of always answering the most frequent training label (ties: the first in sorted order)."""
    counts = collections.Counter(train_labels)
    majority = min(counts, key=lambda label: (-counts[label], label))
    return sum(label == majority for label in test_labels) / len(test_labels)


def write_confusion_csv(path: Path, y_true: Sequence[str], y_pred: Sequence[str]) -> None:
    """One `actual,predicted` row per test document: the input DVC's confusion template expects."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["actual", "predicted"])
        writer.writerows(zip(y_true, y_pred, strict=True))
