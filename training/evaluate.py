"""Held-out metrics of a fitted model, shaped for DVC: metrics.json and confusion-matrix rows.

Accuracy alone hides a model that ignores small classes, so macro-F1 and per-class figures sit beside it;
the majority-class baseline says what accuracy is worth on this label distribution.
"""

from __future__ import annotations

import collections
import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.pipeline import Pipeline

from training.dataset import Dataset
from training.pipeline import n_features
from training.rounding import rounded


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


def evaluate_model(pipeline: Pipeline, dataset: Dataset, predictions: list[str]) -> dict[str, Any]:
    """metrics.json's content, in a stable key order: headline figures, sizes, then per-class detail.

    Nothing measured on the clock goes in: metrics.json is hashed into dvc.lock, and the same commit
    must give the same bytes on every run (`make train` prints the timings instead).

    `predictions` are the pipeline's labels for dataset.test_texts (computed once, also used for the
    confusion matrix). For 20 Newsgroups the same model is also scored on the stripped test texts.
    """
    labels = [str(label) for label in pipeline.named_steps["clf"].classes_]
    scores = classification_metrics(dataset.test_labels, predictions, labels)
    metrics: dict[str, Any] = {
        "accuracy": scores["accuracy"],
        "macro_f1": scores["macro_f1"],
        "baseline_accuracy": baseline_accuracy(dataset.train_labels, dataset.test_labels),
    }
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
