"""Metrics against small cases worked out by hand."""

import csv

import numpy as np
import pytest

from training.analyzer_choice import resolve_analyzer
from training.dataset import Dataset
from training.evaluate import (
    RELIABILITY_COLUMNS,
    baseline_accuracy,
    classification_metrics,
    evaluate_model,
    probability_metrics,
    reliability_rows,
    write_confusion_csv,
    write_reliability_csv,
)
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


def _probabilities_example():
    """Four documents, two classes: sure and right, sure and wrong, unsure and right, unsure and right."""
    classes = ["a", "b"]
    probabilities = np.array([[0.95, 0.05], [0.92, 0.08], [0.4, 0.6], [0.55, 0.45]])
    return probabilities, classes, ["a", "b", "b", "a"]


def test_ece_is_the_share_weighted_gap_between_confidence_and_accuracy_per_bin():
    probabilities, classes, truth = _probabilities_example()
    metrics = probability_metrics(probabilities, classes, truth)
    # Bin 0.9-1.0: two documents, mean confidence 0.935, accuracy 0.5; bins 0.5-0.6 and 0.6-0.7: one
    # right document each, at confidence 0.55 and 0.6.
    expected = (2 * abs(0.5 - 0.935) + abs(1 - 0.55) + abs(1 - 0.6)) / 4
    assert metrics["ece"] == pytest.approx(expected)
    assert metrics["log_loss"] == pytest.approx(
        -(np.log(0.95) + np.log(0.08) + np.log(0.6) + np.log(0.55)) / 4
    )
    assert metrics["mean_confidence"] == pytest.approx((0.95 + 0.92 + 0.6 + 0.55) / 4)


def test_perfectly_calibrated_probabilities_have_no_calibration_error():
    # In the 0.7-0.8 bin, 3 of 4 documents are right at confidence 0.75.
    probabilities = np.array([[0.75, 0.25]] * 4)
    assert probability_metrics(probabilities, ["a", "b"], ["a", "a", "a", "b"])["ece"] == pytest.approx(0.0)


def test_reliability_rows_list_the_non_empty_bins_and_a_top_probability_of_one_falls_in_the_last(tmp_path):
    probabilities, classes, truth = _probabilities_example()
    probabilities = np.vstack([probabilities, [[1.0, 0.0]]])
    rows = reliability_rows(probabilities, classes, [*truth, "a"])
    assert rows == [("0.5-0.6", 0.55, 1.0, 1), ("0.6-0.7", 0.6, 1.0, 1), ("0.9-1.0", 0.9567, 0.6667, 3)]
    write_reliability_csv(tmp_path / "reliability.csv", rows)
    with (tmp_path / "reliability.csv").open(encoding="utf-8", newline="") as stream:
        written = list(csv.reader(stream))
    assert written[0] == list(RELIABILITY_COLUMNS) and len(written) == 4
