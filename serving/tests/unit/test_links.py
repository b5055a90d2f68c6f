"""Each probability link computes what its scikit-learn estimators' ``predict_proba`` computes from the same
scores, edge cases included: scores far out (sigmoids that underflow, softmax shifts), every
modified-Huber score at or below -1 (scikit-learn's uniform fallback), exact ties, and two classes
(scikit-learn scores them by one z, the artifact by [0, z]).

The oracle is scikit-learn itself: an estimator whose weights are the identity and intercepts zero has
``decision_function(x) == x``, so its ``predict_proba`` of a row of scores is its link of them.
"""

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.svm import LinearSVC

from serving.app.contracts.linear_tfidf import (
    LINKS,
    MODIFIED_HUBER,
    OVR_SIGMOID,
    SOFTMAX,
    TEMPERATURE_SOFTMAX,
)
from serving.app.linear.links import LINK_FUNCTIONS, bound_link, confidence_mapped

RNG = np.random.default_rng(5)
SCORES = np.vstack(
    [
        RNG.normal(0, 3, size=(200, 4)),
        RNG.uniform(-1.5, 1.5, size=(200, 4)),
        [[-2.0, -1.0, -1.5, -7.0], [-1.0, -1.0, -1.0, -1.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 3.0, -1.0]],
        [[-800.0, -900.0, -760.0, -1000.0], [-40.0, -41.0, -39.0, -45.0], [800.0, 0.0, -800.0, 799.0]],
    ]
)


def identity_estimator(estimator, n_classes: int):
    """``estimator`` 'fitted' with identity weights: its decision function returns its input."""
    rows = 1 if n_classes == 2 else n_classes
    estimator.coef_ = np.eye(rows, n_classes if rows > 1 else 1)
    estimator.intercept_ = np.zeros(rows)
    estimator.classes_ = np.arange(n_classes)
    estimator.n_features_in_ = estimator.coef_.shape[1]
    return estimator


def sklearn_probabilities(link: str, scores: np.ndarray) -> np.ndarray:
    """scikit-learn's predict_proba of these scores, for multiclass rows or binary z (a column)."""
    n_classes = scores.shape[1] if scores.shape[1] > 1 else 2
    if link == SOFTMAX:
        return identity_estimator(LogisticRegression(), n_classes).predict_proba(scores)
    loss = "log_loss" if link == OVR_SIGMOID else "modified_huber"
    return identity_estimator(SGDClassifier(loss=loss), n_classes).predict_proba(scores)


@pytest.mark.parametrize("link", [SOFTMAX, OVR_SIGMOID, MODIFIED_HUBER])
def test_a_link_equals_its_estimators_predict_proba(link):
    expected = sklearn_probabilities(link, SCORES)
    actual = LINK_FUNCTIONS[link](SCORES)
    assert np.abs(actual - expected).max() <= 1e-15
    for row, probabilities in zip(SCORES, actual, strict=True):  # one text at a time: the same numbers
        assert LINK_FUNCTIONS[link](row).tolist() == probabilities.tolist()


@pytest.mark.parametrize("link", [SOFTMAX, OVR_SIGMOID, MODIFIED_HUBER])
def test_a_binary_link_is_of_z_as_scikit_learns_binary_estimators(link):
    z = np.concatenate([SCORES[:, 0], [0.0, 1.0, -1.0, 1e-300, -800.0, 800.0]])[:, np.newaxis]
    expected = sklearn_probabilities(link, z)
    stored = np.hstack([np.zeros_like(z), z])  # the artifact's binary layout
    assert np.abs(LINK_FUNCTIONS[link](stored) - expected).max() <= 1e-15


def test_the_edge_cases_are_met():
    """Guards the tests above: rows where modified Huber falls back to uniform and sigmoids underflow."""
    assert (SCORES <= -1).all(axis=1).any()
    assert (sklearn_probabilities(MODIFIED_HUBER, SCORES) == 0.25).all(axis=1).any()
    with np.errstate(over="ignore"):
        assert (1.0 / (1.0 + np.exp(-SCORES)) == 0).all(axis=1).any()


@pytest.mark.parametrize("n_classes", [2, 4])
def test_the_temperature_softmax_equals_calibrated_classifier_cvs(n_classes):
    """CalibratedClassifierCV(method="temperature") computes softmax(beta * logits), with logits (-z, z)
    for two classes; the artifact stores T = 1 / beta, halved for two classes scored as [0, z]."""
    scores = SCORES if n_classes > 2 else SCORES[:, :1]
    fold_scores = RNG.normal(0, 2, size=(90, scores.shape[1]))
    labels = np.argmax(fold_scores, axis=1) if n_classes > 2 else (fold_scores[:, 0] > 0).astype(int)
    noisy = RNG.random(len(labels)) < 0.2  # some labels against the scores: a temperature above 1
    labels[noisy] = (labels[noisy] + 1) % n_classes
    calibrated = CalibratedClassifierCV(LinearSVC(), method="temperature", ensemble=False, cv=3)
    calibrated.fit(fold_scores, labels)  # a real fitted temperature; then identity weights in its place
    (pair,) = calibrated.calibrated_classifiers_
    pair.estimator = identity_estimator(LinearSVC(), n_classes)
    beta = float(pair.calibrators[0].beta_)
    assert not np.isclose(beta, 1.0)
    expected = calibrated.predict_proba(scores)
    if n_classes == 2:
        stored, temperature = np.hstack([np.zeros_like(scores), scores]), 0.5 / beta
    else:
        stored, temperature = scores, 1.0 / beta
    actual = bound_link(TEMPERATURE_SOFTMAX, {"temperature": temperature})(stored)
    assert np.abs(actual - expected).max() <= 1e-12


def test_every_link_the_contract_lists_ranks_the_classes_as_their_scores():
    """Monotonic: a higher score never gets a lower probability (the handler ranks by scores)."""
    for link in LINKS:
        parameters = {"temperature": 0.7} if link == TEMPERATURE_SOFTMAX else {}
        probabilities = bound_link(link, parameters)(SCORES)
        order = np.argsort(SCORES, axis=1, kind="stable")
        ranked = np.take_along_axis(probabilities, order, axis=1)
        assert (np.diff(ranked, axis=1) >= 0).all(), link


# A confidence map as training fits one: the top probability lowered in the middle, raised near the top,
# never reaching 1 (settings.confidence_map).
MAP_TOP = np.array([0.25, 0.5, 0.7, 0.9, 0.99])
MAP_CALIBRATED = np.array([0.1, 0.3, 0.6, 0.93, 0.995])


def mapped(probabilities: np.ndarray) -> np.ndarray:
    return confidence_mapped(probabilities, MAP_TOP, MAP_CALIBRATED)


def test_the_confidence_map_sets_the_top_probability_and_keeps_the_others_ratios():
    probabilities = np.array([0.1, 0.8, 0.06, 0.04])
    result = mapped(probabilities)
    expected_top = np.interp(0.8, MAP_TOP, MAP_CALIBRATED)  # 0.6 + 0.33 / 2 = 0.765
    assert result[1] == pytest.approx(expected_top, abs=1e-15)
    others = np.delete(result, 1)
    assert others == pytest.approx(np.array([0.1, 0.06, 0.04]) / 0.2 * (1 - expected_top), abs=1e-15)
    assert result.sum() == pytest.approx(1.0, abs=1e-15)


def test_the_confidence_map_clips_outside_its_knots_and_never_promises_certainty():
    low = mapped(np.array([0.24, 0.26, 0.25, 0.25]))
    assert low[1] >= low.max() and low.sum() == pytest.approx(1.0)
    certain = mapped(np.array([0.0, 1.0, 0.0, 0.0]))
    assert certain[1] == MAP_CALIBRATED[-1] < 1.0


def test_the_top_class_never_drops_below_the_second():
    """Where the map would put the top below the second's rescaled share, the top is raised to it, so
    the probabilities rank the classes as the scores do."""
    probabilities = np.array([0.45, 0.05, 0.42, 0.08])  # mapped top 0.3 < second 0.42 * 0.7 / 0.55
    result = mapped(probabilities)
    assert result[0] == result[2] == pytest.approx(0.42 / (0.55 + 0.42), abs=1e-15)
    assert result.sum() == pytest.approx(1.0, abs=1e-15)


def test_when_the_other_classes_underflowed_they_share_the_rest_equally():
    result = mapped(np.array([0.0, 0.0, 1.0, 0.0]))
    assert result[2] == MAP_CALIBRATED[-1]
    assert np.delete(result, 2) == pytest.approx(np.full(3, (1 - MAP_CALIBRATED[-1]) / 3), abs=1e-15)


def test_a_confidence_mapped_link_ranks_the_classes_as_their_scores_and_a_batch_equals_its_rows():
    link = bound_link(TEMPERATURE_SOFTMAX, {"temperature": 0.7}, (MAP_TOP, MAP_CALIBRATED))
    probabilities = link(SCORES)
    order = np.argsort(SCORES, axis=1, kind="stable")
    ranked = np.take_along_axis(probabilities, order, axis=1)
    assert (np.diff(ranked, axis=1) >= 0).all()
    assert np.allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    rows = np.vstack([link(row) for row in SCORES])
    assert np.array_equal(rows, probabilities)
    unmapped = bound_link(TEMPERATURE_SOFTMAX, {"temperature": 0.7})(SCORES)
    top = unmapped.max(axis=1)
    assert np.array_equal(
        probabilities.max(axis=1) >= np.interp(top, MAP_TOP, MAP_CALIBRATED), np.ones(len(top), bool)
    )


def test_two_classes_get_the_mapped_top_and_its_complement():
    result = mapped(np.array([0.3, 0.7]))
    assert result == pytest.approx([1 - 0.6, 0.6], abs=1e-15)
    assert mapped(np.array([0.55, 0.45]))[0] == 0.5  # mapped below a half: the two tie
