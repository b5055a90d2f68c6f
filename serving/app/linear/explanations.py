"""Why a text got its label: each of the text's features' exact share of the label's score.

The model is linear: a class's score is its intercept plus, over the text's features, TF-IDF value x the
class's weight. Each term is that feature's contribution, so the contributions of all the text's features
plus the intercept add up to the score exactly; no sampling, no approximation. Pure computation on arrays
already in memory: the caller supplies the text's sparse features and the names of the features.

Two classes. A binary model is stored as two classes with column 0 all zeros (MODEL_ARTIFACT.md), so its
raw scores are [0, z]: explained column by column, the first class would always have a zero score and no
terms. What the model says about either class is its log-odds against the other, softmax([s0, s1])
giving p1 / p0 = exp(s1 - s0); for two classes the explanation of class c is therefore of s_c - s_other,
with weights coef[:, c] - coef[:, other] and intercept likewise. For a stored binary model that is z
(scikit-learn's ``decision_function``) for the second class and exactly -z, term by term, for the first.
With three or more classes, the score is the class's own raw decision score (its logit).
"""

from collections.abc import Callable, Sequence

import numpy as np

from ..families.protocol import Explanation


def explain(
    features: tuple[np.ndarray, np.ndarray],
    coef: np.ndarray,
    intercept: np.ndarray,
    class_index: int,
    n_terms: int,
    feature_name: Callable[[int], str],
    classes: Sequence[str],
) -> Explanation:
    """The explanation of ``classes[class_index]`` for one text's ``(indices, weights)`` features.

    ``coef`` is feature-major (n_features, n_classes), of any float type: only the text's weights for the
    class (and, with two classes, the other one) are read and widened to float64. ``feature_name(i)``
    names feature ``i``; only the listed terms are named.
    """
    indices, weights = features
    column = coef[indices, class_index].astype(np.float64)
    bias = float(intercept[class_index])
    if len(classes) == 2:
        other = 1 - class_index
        column -= coef[indices, other]
        bias -= float(intercept[other])
    contributions = weights * column
    listed = largest(contributions, indices, n_terms)
    return Explanation(
        label=classes[class_index],
        score=float(contributions.sum()) + bias,
        intercept=bias,
        terms=[(feature_name(int(indices[i])), float(contributions[i])) for i in listed],
    )


def largest(contributions: np.ndarray, indices: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` largest non-zero |contributions|, largest first.

    Equal magnitudes are ordered by feature index, so the answer does not depend on the order the
    featurizer lists a text's features in. A zero contribution (a present feature whose weight for the
    label is zero) explains nothing and is never listed.
    """
    magnitude = np.abs(contributions)
    candidates = np.flatnonzero(magnitude)
    order = np.lexsort((indices[candidates], -magnitude[candidates]))
    return candidates[order[:n]]
