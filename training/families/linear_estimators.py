"""The scikit-learn classifiers the linear TF-IDF family serves: each one's probability link, and its
scores as weights and intercepts.

All of them score a text as features · coef.T + intercept, one row per class (one row for a binary model
scored by z, the second class's score against the first); they differ only in how the scores become
probabilities, which is the link model.json records (serving/app/contracts/linear_tfidf.py, checked
against each estimator's own ``predict_proba`` in scikit-learn 1.9's source):

- ``LogisticRegression`` (a multinomial solver): softmax; for two classes a sigmoid of z, which is
  softmax([0, z]).
- ``OneVsRestClassifier(LogisticRegression)`` and ``SGDClassifier(loss="log_loss")``: one sigmoid per
  class, normalised (``_predict_proba_lr``).
- ``SGDClassifier(loss="modified_huber")``: (clip(s, -1, 1) + 1) / 2, normalised, uniform when all are 0.
- ``MultinomialNB``: softmax of the joint log likelihood, X · feature_log_prob_.T + class_log_prior_
  (predict_proba is exp(jll - logsumexp(jll))).
- ``ComplementNB``: the same with no prior (scikit-learn adds class_log_prior_ only for a single class);
  its feature_log_prob_ already holds the negated (or, with ``norm=True``, normalised) complement
  log-probabilities, so the scores rank as its ``predict`` does.
- ``CalibratedClassifierCV(estimator, method="temperature", ensemble=False)`` around LinearSVC,
  RidgeClassifier, LogisticRegression or SGDClassifier: one estimator fitted on all the training data,
  softmax(scores / T) with T fitted on its out-of-fold scores; for two classes scikit-learn scales
  (-z, z), so the artifact's temperature for [0, z] is half of 1 / beta_. (One scikit-learn heuristic
  serving does not copy: when every row of a whole batch of three or more classes' scores lies in [0, 1]
  and sums to 1, CalibratedClassifierCV takes them for probabilities and calibrates their logarithms.
  Serving always calibrates the scores, which is what the temperature was fitted on.)
- ``ScoreAverage`` (below) of such classifiers, calibrated the same way: the average of their scores,
  each scaled to a root mean square of 1 on the training documents, is itself one linear classifier.
- ``ConfidenceMapped`` (below) around such a calibrated classifier: the same probabilities, then the
  top class's recalibrated by a map fitted on held-out folds (settings.confidence_map).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.svm import LinearSVC

from serving.app.contracts.linear_tfidf import (
    CALIBRATED,
    CONFIDENCE_MAP,
    MODIFIED_HUBER,
    OVR_SIGMOID,
    SOFTMAX,
    TEMPERATURE,
    TEMPERATURE_SOFTMAX,
    TOP_PROBABILITY,
)
from training.params import MULTINOMIAL_SOLVERS

# What serving reproduces, as the refusal of anything else lists it.
SERVED = (
    f"LogisticRegression (solver {', '.join(MULTINOMIAL_SOLVERS)})",
    "OneVsRestClassifier(LogisticRegression)",
    "SGDClassifier (loss log_loss or modified_huber)",
    "MultinomialNB",
    "ComplementNB",
    "CalibratedClassifierCV(LinearSVC, RidgeClassifier, LogisticRegression or SGDClassifier (any loss), "
    "method='temperature', ensemble=False)",
    "CalibratedClassifierCV(ScoreAverage of those and naive Bayes, method='temperature', ensemble=False)",
    "ConfidenceMapped(one of those CalibratedClassifierCV)",
)
_SGD_LINKS = {"log_loss": OVR_SIGMOID, "modified_huber": MODIFIED_HUBER}
_NAIVE_BAYES = (MultinomialNB, ComplementNB)
_CALIBRATED = (LinearSVC, RidgeClassifier, LogisticRegression, SGDClassifier)


class ScoreAverage(ClassifierMixin, BaseEstimator):
    """The average of linear classifiers' scores, each classifier's scaled to a root mean square of 1
    over the training documents (its scores centred per document first: a shift common to a document's
    classes changes no probability).

    Why: a margin classifier and naive Bayes err on different documents. On the 20 Newsgroups test split
    LinearSVC averaged with ComplementNB is half a point more accurate than LinearSVC alone (0.873
    against 0.868), though cross-validation on the training split ties them
    (docs/training.md#the-classifier). The scaling makes "average" mean the same on any data, with no
    weight to tune.

    It is one linear classifier: ``coef_`` and ``intercept_`` are the scaled members' weights averaged
    (for two classes, of z: a naive Bayes member's two rows become their difference), so serving stores
    and explains it as it does LinearSVC. It has no probabilities of its own: the pipeline calibrates it
    with a temperature, as it does LinearSVC.
    """

    def __init__(self, estimators: list[Any]) -> None:
        self.estimators = estimators

    def fit(self, X: Any, y: Any) -> ScoreAverage:
        members = [clone(estimator).fit(X, y) for estimator in self.estimators]
        self.classes_ = members[0].classes_
        self.n_features_in_ = X.shape[1]
        coefs, intercepts = [], []
        for member in members:
            coef, intercept = _rows_of_z(*weights(member), n_classes=len(self.classes_))
            scale = _root_mean_square(X @ coef.T + intercept)
            coefs.append(coef / scale)
            intercepts.append(intercept / scale)
        self.coef_ = np.mean(coefs, axis=0)
        self.intercept_ = np.mean(intercepts, axis=0)
        self.estimators_ = members
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """features · coef_.T + intercept_; one column (z) for two classes, as in scikit-learn."""
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X: Any) -> np.ndarray:
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)]


class ConfidenceMapped(ClassifierMixin, BaseEstimator):
    """A fitted temperature-calibrated classifier whose top probability is then recalibrated by a map
    (knots of an isotonic fit on held-out folds, training.confidence_map), as serving computes it
    (serving/MODEL_ARTIFACT.md, settings.confidence_map). Labels and scores are the calibrated classifier's.
    """

    def __init__(self, calibrated: CalibratedClassifierCV, top_probability: Any, calibrated_probability: Any):
        self.calibrated = calibrated
        self.top_probability = top_probability
        self.calibrated_probability = calibrated_probability

    @property
    def classes_(self) -> np.ndarray:
        return self.calibrated.classes_

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X: Any, y: Any) -> ConfidenceMapped:
        """Already fitted: the map is fitted from texts (training.confidence_map), not from features."""
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        return self.calibrated.decision_function(X)

    def predict(self, X: Any) -> np.ndarray:
        return self.calibrated.predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """The calibrated classifier's probabilities with the top one mapped (serving/MODEL_ARTIFACT.md,
        settings.confidence_map): written here from the contract, as scikit-learn writes the links,
        and held to serving's implementation by the parity tests."""
        probabilities = self.calibrated.predict_proba(X)
        return map_top_probability(probabilities, self.top_probability, self.calibrated_probability)


def map_top_probability(probabilities: np.ndarray, top_probability: Any, calibrated: Any) -> np.ndarray:
    """Each row's top probability p becomes c = interp(p, top_probability, calibrated), raised to the
    second's share where lower; the others share 1 - c in their ratios (equally when all are 0)."""
    rows = np.arange(len(probabilities))
    n_classes = probabilities.shape[1]
    top = probabilities.argmax(axis=1)
    others = probabilities.copy()
    others[rows, top] = 0.0
    rest, second = others.sum(axis=1), others.max(axis=1)
    has_rest = rest > 0
    safe_rest = np.where(has_rest, rest, 1.0)
    floor = np.where(has_rest, second / (safe_rest + second), 1.0 / n_classes)
    c = np.maximum(np.interp(probabilities[rows, top], top_probability, calibrated), floor)
    shares = np.where(has_rest[:, None], others / safe_rest[:, None], 1.0 / (n_classes - 1))
    mapped = shares * (1.0 - c)[:, None]
    mapped[rows, top] = c
    return mapped


def _rows_of_z(coef: np.ndarray, intercept: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """A binary model's two rows as one, of z = score(second) - score(first); other weights as they are."""
    if n_classes == 2 and coef.shape[0] == 2:
        return coef[1:] - coef[:1], intercept[1:] - intercept[:1]
    return coef, intercept


def _root_mean_square(scores: np.ndarray) -> float:
    """Of the scores centred per document; one column z stands for the centred pair (-z/2, z/2)."""
    centred = scores / 2 if scores.shape[1] == 1 else scores - scores.mean(axis=1, keepdims=True)
    value = float(np.sqrt(np.mean(np.square(centred))))
    return value if value > 0 else 1.0


def problems(classifier: object) -> list[str]:
    """Why serving could not reproduce this classifier's probabilities exactly (empty when it can)."""
    if isinstance(classifier, ConfidenceMapped):
        if not isinstance(classifier.calibrated, CalibratedClassifierCV):
            return [f"ConfidenceMapped of {_unserved(classifier.calibrated)}"]
        return _calibration_problems(classifier.calibrated)
    if isinstance(classifier, CalibratedClassifierCV):
        return _calibration_problems(classifier)
    if isinstance(classifier, OneVsRestClassifier) and not isinstance(
        classifier.estimator, LogisticRegression
    ):
        return [f"OneVsRestClassifier of {_unserved(classifier.estimator)}"]
    if isinstance(classifier, LogisticRegression) and classifier.solver not in MULTINOMIAL_SOLVERS:
        return [f"solver={classifier.solver!r} (must be one of {', '.join(MULTINOMIAL_SOLVERS)})"]
    if isinstance(classifier, SGDClassifier) and classifier.loss not in _SGD_LINKS:
        return [
            f"SGDClassifier loss={classifier.loss!r} has no probabilities (use one of {list(_SGD_LINKS)}, "
            "or calibrate it: CalibratedClassifierCV(method='temperature', ensemble=False))"
        ]
    if isinstance(classifier, (OneVsRestClassifier, LogisticRegression, SGDClassifier, *_NAIVE_BAYES)):
        return []
    return [_unserved(classifier)]


def _calibration_problems(calibrated: CalibratedClassifierCV) -> list[str]:
    """One linear classifier with a decision function, one temperature fitted on its held-out scores."""
    estimator = calibrated.estimator
    if isinstance(estimator, ScoreAverage):
        found = [
            f"ScoreAverage of {_unserved(member)}"
            for member in estimator.estimators
            if not isinstance(member, (*_CALIBRATED, *_NAIVE_BAYES))
        ]
    else:
        found = [] if isinstance(estimator, _CALIBRATED) else [_unserved(estimator)]
    if calibrated.method != "temperature":
        found.append(f"CalibratedClassifierCV method={calibrated.method!r} (must be 'temperature')")
    if calibrated.ensemble is not False:
        found.append(f"CalibratedClassifierCV ensemble={calibrated.ensemble!r} (must be False: one model)")
    return found


def _unserved(classifier: object) -> str:
    served = "; ".join(SERVED)
    return f"a {type(classifier).__name__} (serving reproduces: {served})"


def link(classifier: object) -> str:
    """The link serving applies to the scores of a classifier ``problems`` accepts."""
    classifier = without_map(classifier)
    if isinstance(classifier, CalibratedClassifierCV):
        return TEMPERATURE_SOFTMAX
    if isinstance(classifier, SGDClassifier):
        return _SGD_LINKS[classifier.loss]
    if isinstance(classifier, OneVsRestClassifier):
        return OVR_SIGMOID
    return SOFTMAX


def link_parameters(classifier: object) -> dict[str, float]:
    """The link's parameters (contracts.linear_tfidf.LINK_PARAMETERS) of a fitted classifier."""
    classifier = without_map(classifier)
    if not isinstance(classifier, CalibratedClassifierCV):
        return {}
    (calibrated,) = classifier.calibrated_classifiers_
    beta = float(calibrated.calibrators[0].beta_)
    scored_by_z = coefficients(classifier).shape[0] == 1
    # Two classes: scikit-learn computes softmax(beta * (-z, z)) = sigmoid(2 beta z), the artifact
    # softmax((0, z) / T) = sigmoid(z / T).
    return {TEMPERATURE: (0.5 if scored_by_z else 1.0) / beta}


def confidence_map(classifier: object) -> dict[str, dict[str, list[float]]]:
    """model.json's settings.confidence_map of a ConfidenceMapped classifier; nothing for the others."""
    if not isinstance(classifier, ConfidenceMapped):
        return {}
    knots = {
        TOP_PROBABILITY: [float(x) for x in classifier.top_probability],
        CALIBRATED: [float(y) for y in classifier.calibrated_probability],
    }
    return {CONFIDENCE_MAP: knots}


def without_map(classifier: Any) -> Any:
    """The calibrated classifier inside a ConfidenceMapped one; any other as it is."""
    return classifier.calibrated if isinstance(classifier, ConfidenceMapped) else classifier


def scorer(classifier: Any) -> Any:
    """The fitted estimator that holds the weights (inside a calibration wrapper, the one fitted on all
    the training data)."""
    classifier = without_map(classifier)
    if isinstance(classifier, CalibratedClassifierCV):
        (calibrated,) = classifier.calibrated_classifiers_
        return calibrated.estimator
    return classifier


def weights(classifier: Any) -> tuple[np.ndarray, np.ndarray]:
    """(coef of shape (n_rows, n_features), intercept of shape (n_rows,)), float64: one row per class,
    or one row (z) for a binary model that scikit-learn stores so."""
    model, coef = scorer(classifier), coefficients(classifier)
    if isinstance(model, OneVsRestClassifier):
        intercept = np.concatenate([np.ravel(estimator.intercept_) for estimator in model.estimators_])
    elif isinstance(model, MultinomialNB):
        intercept = model.class_log_prior_
    elif isinstance(model, ComplementNB):
        intercept = np.zeros(len(model.classes_))
    else:
        intercept = model.intercept_
    return coef, np.broadcast_to(np.asarray(intercept, dtype=np.float64), coef.shape[:1]).copy()


def coefficients(classifier: Any) -> np.ndarray:
    """The weights, float64, of shape (n_rows, n_features) (see ``weights``)."""
    model = scorer(classifier)
    if isinstance(model, OneVsRestClassifier):
        coef = np.vstack([estimator.coef_ for estimator in model.estimators_])
    elif isinstance(model, _NAIVE_BAYES):
        coef = model.feature_log_prob_
    else:
        coef = model.coef_
    return np.atleast_2d(np.asarray(coef, dtype=np.float64))  # a binary RidgeClassifier's is 1-D


def set_coef(classifier: Any, coef: np.ndarray) -> None:
    """Replace the fitted weights (same shape as ``coefficients`` gives) in place."""
    model = scorer(classifier)
    if isinstance(model, OneVsRestClassifier):
        for row, estimator in zip(coef, model.estimators_, strict=True):
            estimator.coef_ = row[np.newaxis, :].copy()
    elif isinstance(model, _NAIVE_BAYES):
        model.feature_log_prob_ = coef
    else:
        model.coef_ = coef.reshape(np.shape(model.coef_))


def iterations(classifier: Any) -> int | None:
    """The solver's iterations (the most of any class), None for a classifier fitted without any."""
    model = scorer(classifier)
    found = (
        [estimator.n_iter_ for estimator in model.estimators_]
        if isinstance(model, OneVsRestClassifier)
        else getattr(model, "n_iter_", None)
    )
    return None if found is None else int(np.max(found))
