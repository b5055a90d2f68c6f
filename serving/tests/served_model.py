"""Test helper: what the tests ask of a served linear TF-IDF model beyond what serving itself runs.

Serving's modules hold only what the handler uses; one text's raw scores, its probabilities, its features
and the whole vocabulary's names are for comparing with scikit-learn, so they are computed here from the
same public parts the handler's path uses (``transform_batch``, ``scores``, ``link``, ``feature_name``).
"""

import numpy as np


def decision_function(classifier, text: str) -> np.ndarray:
    """The raw per-class scores (logits) of one text, as scikit-learn's ``decision_function`` names them."""
    return classifier.scores(classifier.featurizer.transform_batch([text]))[0]


def predict_proba(classifier, text: str) -> np.ndarray:
    """Class probabilities of one text, in ``classes`` order: the model's link over its scores."""
    return classifier.link(decision_function(classifier, text))


def transform(featurizer, text: str) -> tuple[np.ndarray, np.ndarray]:
    """One document's non-zero features over all blocks: indices (block by block, unordered within a
    block) and float64 weights."""
    rows = featurizer.transform_batch([text])
    return rows.indices, rows.weights


def feature_names(featurizer) -> list[str]:
    """Every feature's term, in column order (the whole vocabulary)."""
    return [featurizer.feature_name(column) for column in range(featurizer.n_features)]
