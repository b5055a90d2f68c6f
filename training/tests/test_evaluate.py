"""Metrics against small cases worked out by hand."""

import csv

import pytest

from training.analyzer_choice import resolve_analyzer
from training.dataset import Dataset
from training.evaluate import baseline_accuracy, classification_metrics, evaluate_model, write_confusion_csv
from training.params import validate_params
from training.pipeline import build_pipeline
from training.rounding import rounded
from training.tests.corpus import make_corpus, repo_params

ACTUAL = ["a", "a", "a", "b", "b", "c"]
PREDICTED = ["a", "a", "b", "b", "c", "c"]


def test_classification_metrics_by_hand():
    metrics = classification_metrics(ACTUAL, PREDICTED, ["a", "b", "c", "d"])
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    # a: 2 of 2 predictions right, 2 of 3 found; b: 1 of 2, 1 of 2; c: 1 of 2, 1 of 1; d: never seen.
    assert metrics["per_class"]["a"] == pytest.approx(
        {"precision": 1, "recall": 2 / 3, "f1": 0.8, "support": 3}
    )
    assert metrics["per_class"]["b"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    )
    assert metrics["per_class"]["c"] == pytest.approx(
        {"precision": 0.5, "recall": 1, "f1": 2 / 3, "support": 1}
    )
    assert metrics["per_class"]["d"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3 + 0) / 4)
    assert list(metrics["per_class"]) == ["a", "b", "c", "d"]


def test_baseline_is_the_majority_training_label():
    assert baseline_accuracy(["x", "x", "y"], ["x", "y", "y", "y"]) == 0.25
    # Tie between a and b: the first in sorted order wins, so the result does not depend on input order.
    assert baseline_accuracy(["b", "a"], ["a", "b", "b"]) == pytest.approx(1 / 3)
    assert baseline_accuracy(["a", "b"], ["a", "b", "b"]) == pytest.approx(1 / 3)


def test_rounded_reaches_nested_floats_only():
    assert rounded({"a": 0.123456, "b": {"c": 2 / 3, "n": 7}, "s": "x"}) == {
        "a": 0.1235,
        "b": {"c": 0.6667, "n": 7},
        "s": "x",
    }


def test_confusion_csv_has_one_row_per_document(tmp_path):
    path = tmp_path / "reports" / "confusion.csv"
    write_confusion_csv(path, ["a", "b, with comma"], ["b, with comma", "b, with comma"])
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows == [["actual", "predicted"], ["a", "b, with comma"], ["b, with comma", "b, with comma"]]


def test_evaluate_model_reports_headline_sizes_and_the_stripped_accuracy():
    texts, labels = make_corpus(per_label=12, seed=5)
    params = resolve_analyzer(validate_params(repo_params()), texts, labels)
    pipeline = build_pipeline(params).fit(texts, labels)
    test_texts = ["comet orbit star", "anchor keel tide", "garlic flour oven"]
    test_labels = ["astronomy", "sailing", "cooking"]
    stripped = ["the very new", "anchor keel tide", "the great day"]
    dataset = Dataset("generated", texts, labels, test_texts, test_labels, stripped, test_labels)
    predictions = [str(label) for label in pipeline.predict(test_texts)]
    metrics = evaluate_model(pipeline, dataset, predictions)
    assert list(metrics) == [
        "accuracy",
        "macro_f1",
        "baseline_accuracy",
        "stripped_accuracy",
        "n_train",
        "n_test",
        "n_features",
        "n_classes",
        "per_class",
    ]
    assert metrics["accuracy"] == 1.0
    expected_stripped = sum(
        p == y for p, y in zip(pipeline.predict(stripped), test_labels, strict=True)
    ) / len(test_labels)
    assert metrics["stripped_accuracy"] == round(expected_stripped, 4)
    assert metrics["baseline_accuracy"] == round(1 / 3, 4)
    assert (metrics["n_train"], metrics["n_test"], metrics["n_classes"]) == (36, 3, 3)
    assert metrics["n_features"] == len(pipeline.named_steps["features"].get_feature_names_out())
    no_stripped = Dataset("generated", texts, labels, test_texts, test_labels)
    assert "stripped_accuracy" not in evaluate_model(pipeline, no_stripped, predictions)
