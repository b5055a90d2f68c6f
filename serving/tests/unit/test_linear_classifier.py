"""The classifier's own rules: top-k capping, ordering, ties, the binary layout, batch order."""

import numpy as np
import pytest

from serving.app.linear.classifier import LinearClassifier
from serving.app.linear.links import softmax
from serving.tests.artifact_export import unigram_featurizer
from serving.tests.served_model import decision_function, predict_proba


def classifier(coef, intercept, classes) -> LinearClassifier:
    featurizer = unigram_featurizer(["goal", "shares"])
    coef, intercept = np.array(coef, dtype=float), np.array(intercept, dtype=float)
    return LinearClassifier(featurizer, coef, intercept, classes, softmax, {})


THREE_CLASSES = classifier(
    [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0]], [0.0, 0.0, 1.0], ["sport", "business", "other"]
)


def test_scores_are_sorted_and_the_label_is_the_best():
    (prediction,) = THREE_CLASSES.classify(["goal goal"], top_k=3)
    assert prediction.label == "sport"
    assert [label for label, _ in prediction.scores] == ["sport", "other", "business"]
    expected = softmax(np.array([4.0, 0.0, 1.0]))
    assert dict(prediction.scores) == pytest.approx(
        dict(zip(["sport", "business", "other"], expected, strict=True))
    )


@pytest.mark.parametrize(("top_k", "length"), [(1, 1), (2, 2), (3, 3), (50, 3)])
def test_top_k_is_capped_at_the_number_of_classes(top_k, length):
    (prediction,) = THREE_CLASSES.classify(["shares"], top_k=top_k)
    assert len(prediction.scores) == length


def test_ties_go_to_the_first_class_as_in_scikit_learn():
    tied = classifier([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [0.0, 0.0, 0.0], ["a", "b", "c"])
    (prediction,) = tied.classify(["goal"], top_k=3)
    assert prediction.label == "a"
    assert [label for label, _ in prediction.scores] == ["a", "b", "c"]


def test_binary_layout_gives_sigmoid_probabilities():
    binary = classifier([[0.0, 2.0], [0.0, -3.0]], [0.0, 0.5], ["neg", "pos"])
    z = 2.0 + 0.5  # "goal" alone: l2-normalised weight 1
    probabilities = predict_proba(binary, "goal")
    assert probabilities[1] == pytest.approx(1 / (1 + np.exp(-z)), abs=1e-15)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-15)


def test_a_text_without_known_terms_scores_the_intercepts():
    assert decision_function(THREE_CLASSES, "nothing known here").tolist() == [0.0, 0.0, 1.0]


def test_batch_keeps_input_order():
    labels = [p.label for p in THREE_CLASSES.classify(["shares", "goal", "zzz", "shares goal goal"], 1)]
    assert labels == ["business", "sport", "other", "sport"]


def test_softmax_is_stable_for_large_scores():
    assert softmax(np.array([1000.0, 0.0])).tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    "texts",
    [
        ["zzz", "goal", "", "shares goal", "zzz"],  # texts without known terms first, between and last
        ["zzz", "", "nothing known"],  # no known term in the whole batch
        ["goal shares", "goal shares", "goal"],  # duplicates
    ],
)
def test_a_batch_scores_each_text_as_it_scores_alone(texts):
    rows = THREE_CLASSES.featurizer.transform_batch(texts)
    assert rows.n_rows == len(texts)
    batch_scores = THREE_CLASSES.scores(rows)
    for row, text in enumerate(texts):
        assert batch_scores[row].tolist() == decision_function(THREE_CLASSES, text).tolist()
    assert THREE_CLASSES.classify(texts, 2) == [THREE_CLASSES.classify([text], 2)[0] for text in texts]


def test_an_empty_batch_gives_no_predictions():
    assert THREE_CLASSES.classify([], 3) == []
    assert THREE_CLASSES.scores(THREE_CLASSES.featurizer.transform_batch([])).shape == (0, 3)


def test_batch_features_are_normalised_per_text():
    rows = THREE_CLASSES.featurizer.transform_batch(["goal goal shares", "", "shares"])
    assert rows.indptr.tolist() == [0, 2, 2, 3]
    first = dict(zip(rows.indices[:2].tolist(), rows.weights[:2].tolist(), strict=True))
    assert first == pytest.approx({0: 2 / np.sqrt(5), 1: 1 / np.sqrt(5)}, abs=1e-15)
    assert rows.weights[2:].tolist() == [1.0]
