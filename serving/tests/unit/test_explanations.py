"""The explanation's own rules on small hand-made models: exact sums, the listed terms, the two-class
layout, and how features are named."""

import numpy as np
import pytest

from serving.app.artifact.loader import load_model
from serving.app.linear.classifier import LinearClassifier
from serving.app.linear.explanations import explain
from serving.app.linear.links import softmax
from serving.tests.artifact_export import unigram_featurizer
from serving.tests.served_model import feature_names

TERMS = ["goal", "shares", "match", "bank", "the"]
CLASSES = ["sport", "business", "other"]
COEF = np.array(
    [
        [2.0, -1.0, 0.0],  # goal
        [-1.5, 3.0, 0.0],  # shares
        [1.0, 0.0, 0.25],  # match
        [0.0, 2.0, 0.0],  # bank
        [0.0, 0.0, 0.0],  # the: no weight for any class
    ]
)
INTERCEPT = np.array([-0.5, 0.25, 1.0])
FEATURES = (np.array([4, 2, 0, 1]), np.array([0.1, 0.4, 0.5, 0.3]))


def test_contributions_and_intercept_add_up_to_the_score():
    for class_index in range(len(CLASSES)):
        explanation = explain(FEATURES, COEF, INTERCEPT, class_index, 50, TERMS.__getitem__, CLASSES)
        indices, weights = FEATURES
        expected_score = weights @ COEF[indices, class_index] + INTERCEPT[class_index]
        assert explanation.label == CLASSES[class_index]
        assert explanation.intercept == INTERCEPT[class_index]
        assert explanation.score == pytest.approx(expected_score, abs=1e-15)
        listed = sum(contribution for _, contribution in explanation.terms)
        assert listed + explanation.intercept == pytest.approx(explanation.score, abs=1e-15)


def test_terms_are_the_largest_by_magnitude_largest_first_and_zero_contributions_are_left_out():
    explanation = explain(FEATURES, COEF, INTERCEPT, 0, 50, TERMS.__getitem__, CLASSES)
    # goal 0.5 x 2 = 1.0, shares 0.3 x -1.5 = -0.45, match 0.4 x 1 = 0.4, the 0.1 x 0 = 0 (not listed)
    assert explanation.terms == [("goal", 1.0), ("shares", pytest.approx(-0.45)), ("match", 0.4)]


@pytest.mark.parametrize("n_terms", [1, 2, 3])
def test_at_most_n_terms_are_listed(n_terms):
    explanation = explain(FEATURES, COEF, INTERCEPT, 0, n_terms, TERMS.__getitem__, CLASSES)
    full = explain(FEATURES, COEF, INTERCEPT, 0, 50, TERMS.__getitem__, CLASSES)
    assert explanation.terms == full.terms[:n_terms]
    assert explanation.score == full.score


def test_equal_magnitudes_are_ordered_by_feature_index_whatever_the_features_order():
    coef = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    forward = explain(
        (np.array([0, 1, 2]), np.full(3, 0.5)), coef, INTERCEPT, 0, 50, TERMS.__getitem__, CLASSES
    )
    backward = explain(
        (np.array([2, 1, 0]), np.full(3, 0.5)), coef, INTERCEPT, 0, 50, TERMS.__getitem__, CLASSES
    )
    assert [term for term, _ in forward.terms] == ["goal", "shares", "match"]
    assert forward.terms == backward.terms


def test_a_text_without_known_features_is_explained_by_the_intercept_alone():
    empty = (np.array([], dtype=np.intp), np.array([], dtype=np.float64))
    explanation = explain(empty, COEF, INTERCEPT, 2, 10, TERMS.__getitem__, CLASSES)
    assert (explanation.score, explanation.intercept, explanation.terms) == (1.0, 1.0, [])


def test_two_classes_each_label_is_explained_by_its_log_odds_and_the_first_is_the_second_negated():
    """The binary layout: column 0 zeros, so the raw scores are [0, z] and softmax gives sigmoid(z)."""
    coef = np.zeros((5, 2))
    coef[:, 1] = [2.0, -1.5, 1.0, 0.0, 0.0]
    intercept = np.array([0.0, -0.75])
    classes = ["negative", "positive"]
    positive = explain(FEATURES, coef, intercept, 1, 50, TERMS.__getitem__, classes)
    negative = explain(FEATURES, coef, intercept, 0, 50, TERMS.__getitem__, classes)
    z = FEATURES[1] @ coef[FEATURES[0], 1] + intercept[1]
    assert positive.score == pytest.approx(z, abs=1e-15) and positive.intercept == -0.75
    assert (negative.score, negative.intercept) == (-positive.score, -positive.intercept)
    assert negative.terms == [(term, -contribution) for term, contribution in positive.terms]
    assert [term for term, _ in positive.terms] == ["goal", "shares", "match"]
    # What softmax([0, z]) implies: each label's probability is sigmoid of its own score.
    assert 1 / (1 + np.exp(-negative.score)) == pytest.approx(1 / (1 + np.exp(z)))


def test_narrow_weights_are_widened_exactly():
    coef16 = COEF.astype(np.float16)
    wide = explain(FEATURES, COEF, INTERCEPT, 1, 50, TERMS.__getitem__, CLASSES)
    narrow = explain(FEATURES, coef16, INTERCEPT, 1, 50, TERMS.__getitem__, CLASSES)
    assert narrow == wide  # every weight above is exact in float16


def test_the_classifier_explains_what_it_predicts_with_its_feature_names():
    featurizer = unigram_featurizer(TERMS)
    classifier = LinearClassifier(featurizer, COEF, INTERCEPT, CLASSES, softmax, {})
    texts = ["goal goal goal match", "the bank shares"]
    explained = classifier.classify_explained(texts, top_k=2, n_terms=2)
    assert [prediction for prediction, _ in explained] == classifier.classify(texts, top_k=2)
    assert [explanation.label for _, explanation in explained] == ["sport", "business"]
    assert [term for term, _ in explained[1][1].terms] == ["shares", "bank"]  # weights 3 and 2, same tf


def test_a_loaded_model_names_every_feature_by_its_term(bbc_model_dir):
    """Word n-grams are named by their words joined by one space, as scikit-learn names them; every
    feature has its own name, and an explanation lists only names of the model's features."""
    classifier = load_model(bbc_model_dir).classifier
    names = feature_names(classifier.featurizer)
    assert len(names) == len(set(names)) == classifier.featurizer.n_features
    assert any(" " in name for name in names)  # the BBC model has word bigrams
    explained = classifier.classify_explained(["Shares rose after the bank results"], top_k=1, n_terms=3)
    assert explained[0][1].terms
    assert all(term in names for term, _ in explained[0][1].terms)
