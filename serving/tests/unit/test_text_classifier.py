"""The classifier's own rules: top-k capping, ordering, ties, the binary layout, batch order."""

import numpy as np
import pytest
from text_classifier import TextClassifier, softmax
from tfidf_featurizer import FeatureUnion, FeaturizerSettings, TfidfFeaturizer

SETTINGS = FeaturizerSettings(
    analyzer="word",
    lowercase=True,
    strip_accents=None,
    token_pattern=r"(?u)\b\w+\b",
    ngram_range=(1, 1),
    binary=False,
    sublinear_tf=False,
    use_idf=True,
    norm="l2",
)


def classifier(coef, intercept, classes) -> TextClassifier:
    vocabulary = {"goal": 0, "shares": 1}
    featurizer = FeatureUnion([TfidfFeaturizer(vocabulary, np.ones(2), SETTINGS)])
    return TextClassifier(featurizer, np.array(coef, dtype=float), np.array(intercept, dtype=float), classes)


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
    probabilities = binary.predict_proba("goal")
    assert probabilities[1] == pytest.approx(1 / (1 + np.exp(-z)), abs=1e-15)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-15)


def test_a_text_without_known_terms_scores_the_intercepts():
    assert THREE_CLASSES.decision_function("nothing known here").tolist() == [0.0, 0.0, 1.0]


def test_batch_keeps_input_order():
    labels = [p.label for p in THREE_CLASSES.classify(["shares", "goal", "zzz", "shares goal goal"], 1)]
    assert labels == ["business", "sport", "other", "sport"]


def test_softmax_is_stable_for_large_scores():
    assert softmax(np.array([1000.0, 0.0])).tolist() == [1.0, 0.0]
