"""The probability links: how a linear model's raw scores become class probabilities (model.json's
``settings.link``; the names are the contract's, ``contracts.linear_tfidf.LINKS``)."""

import numpy as np

from ..contracts.linear_tfidf import SOFTMAX


def softmax(scores: np.ndarray) -> np.ndarray:
    """Numerically stable softmax along the last axis (shifted by the maximum), as scikit-learn computes
    it: one text's scores, or a batch's rows."""
    exp = np.exp(scores - np.maximum.reduce(scores, axis=-1, keepdims=True))
    return exp / np.add.reduce(exp, axis=-1, keepdims=True)


LINK_FUNCTIONS = {SOFTMAX: softmax}
