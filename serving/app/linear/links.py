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


def confidence_mapped(
    probabilities: np.ndarray, top_probability: np.ndarray, calibrated: np.ndarray
) -> np.ndarray:
    """The top class's probability p replaced by c = interpolate(p, top_probability, calibrated), the
    others scaled to share 1 - c in the ratios they had (model.json's settings.confidence_map).

    Why: one temperature cannot fit the whole curve of how often the top class is right at each
    probability, and text posted later than the training data is harder than held-out training texts.
    Training fits the knots by isotonic regression of held-out correctness on p ("top-label
    calibration", Gupta and Ramdas, ICLR 2022). The top class stays at least as probable as the second
    (c is raised to the second's share where the map would put it below), so the ranking of the classes
    stays the ranking of their scores.
    """
    rows = probabilities.reshape(-1, probabilities.shape[-1])
    if len(rows) == 1:  # one text: the same operations on scalars, several times faster
        mapped = _confidence_mapped_row(rows[0], top_probability, calibrated)
        if mapped is not None:
            return mapped.reshape(probabilities.shape)
    return _confidence_mapped_rows(rows, top_probability, calibrated).reshape(probabilities.shape)


def _confidence_mapped_row(
    row: np.ndarray, top_probability: np.ndarray, calibrated: np.ndarray
) -> np.ndarray | None:
    """confidence_mapped of one row, bit for bit (the same IEEE operations in the same order); None when
    the other classes all underflowed to 0."""
    top = int(row.argmax())
    others = row.copy()
    others[top] = 0.0
    rest = float(np.add.reduce(others))
    if rest == 0.0:
        return None
    second = float(np.maximum.reduce(others))
    c = max(float(np.interp(row[top], top_probability, calibrated)), second / (rest + second))
    others /= rest
    others *= 1.0 - c
    others[top] = max(c, float(np.maximum.reduce(others)))
    return others


def _confidence_mapped_rows(
    rows: np.ndarray, top_probability: np.ndarray, calibrated: np.ndarray
) -> np.ndarray:
    """confidence_mapped of a batch's rows: the operations of _confidence_mapped_row, row by row the same
    numbers. Where a row's other classes all underflowed to 0 they share 1 - c equally and the top keeps
    at least 1 / n."""
    index = np.arange(len(rows))
    top = rows.argmax(axis=1)
    others = rows.copy()
    others[index, top] = 0.0
    rest = np.add.reduce(others, axis=1)
    second = np.maximum.reduce(others, axis=1)
    has_rest = rest > 0
    safe_rest = np.where(has_rest, rest, 1.0)
    # The top is raised to the second's share where the map would put it below (1 - c times
    # second / rest >= c exactly when c >= second / (rest + second)).
    floor = np.where(has_rest, second / (safe_rest + second), 1.0 / rows.shape[1])
    c = np.maximum(np.interp(rows[index, top], top_probability, calibrated), floor)
    share = others / safe_rest[:, np.newaxis]
    share[~has_rest] = 1.0 / (rows.shape[1] - 1)
    share[index[~has_rest], top[~has_rest]] = 0.0
    mapped = share * (1.0 - c)[:, np.newaxis]
    # Rounding can leave the second's share a hair above c where the floor applied: the top takes it.
    mapped[index, top] = np.maximum(c, np.maximum.reduce(mapped, axis=1))
    return mapped


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


def bound_link(
    name: str, parameters: dict[str, float], confidence_map: tuple[np.ndarray, np.ndarray] | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    """The link ``name`` with its parameters (from model.json's settings) fixed, followed by the
    confidence map (its knots: top probabilities, calibrated) when there is one: a function of the
    scores."""
    function = LINK_FUNCTIONS[name]
    link = functools.partial(function, **parameters) if parameters else function
    if confidence_map is None:
        return link
    top_probability, calibrated = confidence_map
    return lambda scores: confidence_mapped(link(scores), top_probability, calibrated)
