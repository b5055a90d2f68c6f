"""The probability links: how a linear model's raw scores become class probabilities (model.json's
``settings.link``; the names are the contract's, ``contracts.linear_tfidf.LINKS``).

Each link takes one text's scores or a batch's rows (the classes along the last axis) and computes what
scikit-learn's ``predict_proba`` computes from the same scores, in the same order of operations. With two
classes the artifact holds the scores [0, z] (MODEL_ARTIFACT.md) and scikit-learn's binary estimators
work on z alone: the links then use z = s1 - s0, which is z exactly.
"""

import functools
from collections.abc import Callable

import numpy as np

from ..contracts.linear_tfidf import MODIFIED_HUBER, OVR_SIGMOID, SOFTMAX, TEMPERATURE_SOFTMAX


def softmax(scores: np.ndarray) -> np.ndarray:
    """Numerically stable softmax along the last axis (shifted by the maximum), as scikit-learn computes
    it: one text's scores, or a batch's rows."""
    exp = np.exp(scores - np.maximum.reduce(scores, axis=-1, keepdims=True))
    return exp / np.add.reduce(exp, axis=-1, keepdims=True)


def ovr_sigmoid(scores: np.ndarray) -> np.ndarray:
    """One sigmoid per class, normalised to sum to one (scikit-learn's ``_predict_proba_lr``: one-vs-rest
    logistic regression, SGD with log_loss); a text whose sigmoids all underflow to zero gets the uniform
    distribution, as there."""
    if scores.shape[-1] == 2:
        return _binary(_sigmoid(scores[..., 1] - scores[..., 0]))
    return _normalised(_sigmoid(scores))


def modified_huber(scores: np.ndarray) -> np.ndarray:
    """(clip(s, -1, 1) + 1) / 2 per class, normalised, uniform when all are zero (every score at or below
    -1): SGDClassifier(loss="modified_huber").predict_proba."""
    if scores.shape[-1] == 2:
        return _binary((np.clip(scores[..., 1] - scores[..., 0], -1, 1) + 1.0) / 2.0)
    return _normalised((np.clip(scores, -1, 1) + 1.0) / 2.0)


def temperature_softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(scores / temperature): one fitted temperature calibrates the scores of a classifier without
    probabilities of its own (LinearSVC, RidgeClassifier) into probabilities, as scikit-learn's
    ``CalibratedClassifierCV(method="temperature")`` computes them."""
    return softmax(scores / temperature)


def _sigmoid(scores: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-s)), scipy's ``expit``; a very negative score gives 0 (exp overflows to inf)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-scores))


def _binary(positive: np.ndarray) -> np.ndarray:
    """[1 - p, p] along a new last axis."""
    return np.stack([1.0 - positive, positive], axis=-1)


def _normalised(probabilities: np.ndarray) -> np.ndarray:
    """Each row divided by its sum; a row summing to zero becomes uniform."""
    total = np.add.reduce(probabilities, axis=-1, keepdims=True)
    zero = total == 0
    if zero.any():
        probabilities = np.where(zero, 1.0, probabilities)
        total = np.where(zero, probabilities.shape[-1], total)
    return probabilities / total


# Each link's function: scores first, then the link's parameters (contracts.linear_tfidf.LINK_PARAMETERS)
# by name.
LINK_FUNCTIONS = {
    SOFTMAX: softmax,
    OVR_SIGMOID: ovr_sigmoid,
    MODIFIED_HUBER: modified_huber,
    TEMPERATURE_SOFTMAX: temperature_softmax,
}


def bound_link(name: str, parameters: dict[str, float]) -> Callable[[np.ndarray], np.ndarray]:
    """The link ``name`` with its parameters (from model.json's settings) fixed: a function of the scores."""
    function = LINK_FUNCTIONS[name]
    return functools.partial(function, **parameters) if parameters else function
