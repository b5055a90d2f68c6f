"""The model: TF-IDF features, then a linear layer and a softmax, as scikit-learn's pipeline predicts.

Pure computation on arrays already in memory: no I/O, nothing about HTTP. ``model_artifact`` builds it.
"""

from typing import NamedTuple

import numpy as np

from .explanations import Explanation, explain
from .tfidf_featurizer import FeatureUnion, SparseRows


class Prediction(NamedTuple):  # a NamedTuple: a dataclass costs milliseconds of cold start
    """One text's predicted label and its top classes with probabilities, most probable first."""

    label: str
    scores: list[tuple[str, float]]


class TextClassifier:
    """softmax(features(text) · coef + intercept), with ``coef`` stored feature-major (n_features, n_classes).

    Feature-major rows make a request cheap: only the rows of the features present in its texts are
    read. ``coef`` may be float16 or float32 (the precision the weights were rounded to in training):
    those rows are widened exactly to float64 and multiplied and summed in float64, as scikit-learn
    does, without a float64 copy of every weight at load. A batch is scored in one pass over all its
    texts' features; one text is a batch of one, so both give the same numbers to the last bit.
    """

    def __init__(self, featurizer: FeatureUnion, coef: np.ndarray, intercept: np.ndarray, classes: list[str]):
        self.featurizer = featurizer
        self.classes = classes
        self._coef = coef
        self._intercept = intercept

    def decision_function(self, text: str) -> np.ndarray:
        """The raw per-class scores (logits) of one text."""
        return self.scores(self.featurizer.transform_batch([text]))[0]

    def predict_proba(self, text: str) -> np.ndarray:
        """Class probabilities of one text, in ``classes`` order."""
        return softmax(self.decision_function(text))

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
        return self._rank(self.scores(self.featurizer.transform_batch(texts)), top_k)

    def classify_explained(
        self, texts: list[str], top_k: int, n_terms: int
    ) -> list[tuple[Prediction, Explanation]]:
        """As ``classify``, each prediction with the explanation of its label in at most ``n_terms`` terms.

        The batch is featurized once, for both (see ``explanations`` for what the explanation holds).
        """
        rows = self.featurizer.transform_batch(texts)
        predictions = self._rank(self.scores(rows), top_k)
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

    def _rank(self, scores: np.ndarray, top_k: int) -> list[Prediction]:
        """Each row's label and top classes with probabilities."""
        k = min(top_k, len(self.classes))
        probabilities = softmax(scores)
        # Ordering by the raw scores equals ordering by probability (softmax is monotonic) and a stable
        # sort keeps the first of equal scores first, which is how scikit-learn's predict breaks ties.
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k].tolist()
        classes = self.classes
        return [
            Prediction(label=classes[ranked[0]], scores=[(classes[i], row[i]) for i in ranked])
            for ranked, row in zip(order, probabilities.tolist(), strict=True)
        ]


def softmax(scores: np.ndarray) -> np.ndarray:
    """Numerically stable softmax along the last axis (shifted by the maximum), as scikit-learn computes
    it: one text's scores, or a batch's rows."""
    exp = np.exp(scores - np.maximum.reduce(scores, axis=-1, keepdims=True))
    return exp / np.add.reduce(exp, axis=-1, keepdims=True)
