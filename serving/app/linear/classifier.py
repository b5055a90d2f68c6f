"""A linear classifier over featurized texts: features · coef + intercept, then the probability link.

Pure computation on arrays already in memory: no I/O, nothing about HTTP. ``families.linear_tfidf``
builds it from the artifact. Target: batch throughput and warm latency (``make bench``).
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from ..families.protocol import Explanation, Prediction, Quality
from ..tfidf.featurizer import FeatureUnion
from ..tfidf.sparse_rows import SparseRows
from .explanations import explain


class LinearClassifier:
    """link(features(text) · coef + intercept), with ``coef`` stored feature-major (n_features, n_classes).

    Feature-major rows make a request cheap: only the rows of the features present in its texts are
    read. ``coef`` may be float16 or float32 (the precision the weights were rounded to in training):
    those rows are widened exactly to float64 and multiplied and summed in float64, as scikit-learn
    does, without a float64 copy of every weight at load. A batch is scored in one pass over all its
    texts' features; one text is a batch of one, so both give the same numbers to the last bit.
    """

    def __init__(
        self,
        featurizer: FeatureUnion,
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: list[str],
        link: Callable[[np.ndarray], np.ndarray],
        description: dict[str, Any],
    ):
        """``link`` turns a batch's scores (n_texts, n_classes) into probabilities and must be monotonic in
        each class's score; ``description`` is what ``describe`` reports (the settings it was built from)."""
        self.featurizer = featurizer
        self.classes = classes
        self.link = link
        self.n_features = featurizer.n_features
        self._coef = coef
        self._intercept = intercept
        self._description = description

    def scores(self, rows: SparseRows) -> np.ndarray:
        """The raw scores (n_texts, n_classes) of featurized texts: the sparse rows times ``coef``.

        Each stored feature's weight times its ``coef`` row, summed per text; a text without known
        features scores the intercepts alone.
        """
        if not len(rows.indices):  # no text holds a known term
            return np.tile(self._intercept, (rows.n_rows, 1))
        # The products are laid out class by class (each class's row contiguous), so that multiplying and
        # summing run along memory: about twice as fast for a batch as (feature, class) rows of 20, with
        # the same sums to the last bit (each text's terms are still added one after the other).
        products = np.empty((self._coef.shape[1], len(rows.indices)))
        products[...] = self._coef.take(rows.indices, axis=0).T
        products *= rows.weights
        scores = rows.sum_rows(products.T)
        scores += self._intercept
        return scores

    def classify(self, texts: list[str], top_k: int) -> list[Prediction]:
        """Predictions in input order, each with its ``top_k`` classes (capped at the number of classes)."""
        rows, coverage = self.featurizer.featurize(texts)
        return self._rank(self.scores(rows), coverage, top_k)

    def classify_explained(
        self, texts: list[str], top_k: int, n_terms: int
    ) -> list[tuple[Prediction, Explanation]]:
        """As ``classify``, each prediction with the explanation of its label in at most ``n_terms`` terms.

        The batch is featurized once, for both (see ``explanations`` for what the explanation holds).
        """
        rows, coverage = self.featurizer.featurize(texts)
        predictions = self._rank(self.scores(rows), coverage, top_k)
        results = []
        for row, prediction in enumerate(predictions):
            start, end = rows.indptr[row], rows.indptr[row + 1]
            features = (rows.indices[start:end], rows.weights[start:end])
            label_index = self.classes.index(prediction.label)
            explanation = explain(
                features,
                self._coef,
                self._intercept,
                label_index,
                n_terms,
                self.featurizer.feature_name,
                self.classes,
            )
            results.append((prediction, explanation))
        return results

    def describe(self) -> dict[str, Any]:
        """The settings the model was built from, as model.json states them."""
        return self._description

    def _rank(self, scores: np.ndarray, coverage: np.ndarray, top_k: int) -> list[Prediction]:
        """Each row's label, top classes with probabilities, and quality (its label's probability, the
        margin to the second class, its text's ``coverage``)."""
        k = min(top_k, len(self.classes))
        probabilities = self.link(scores)
        # Ordering by the raw scores equals ordering by probability (the link is monotonic) and a stable
        # sort keeps the first of equal scores first, which is how scikit-learn's predict breaks ties.
        # At least two classes are ranked, for the margin.
        order = np.argsort(-scores, axis=1, kind="stable")[:, : max(k, 2)].tolist()
        classes = self.classes
        return [
            Prediction(
                label=classes[ranked[0]],
                scores=[(classes[i], row[i]) for i in ranked[:k]],
                quality=Quality(row[ranked[0]], row[ranked[0]] - row[ranked[1]], known),
            )
            for ranked, row, known in zip(order, probabilities.tolist(), coverage.tolist(), strict=True)
        ]
