"""The model: TF-IDF features, then a linear layer and a softmax, as scikit-learn's pipeline predicts.

Pure computation on arrays already in memory: no I/O, nothing about HTTP. ``model_artifact`` builds it.
"""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from explanations import Explanation, explain
from tfidf_featurizer import FeatureUnion


@dataclass(frozen=True)
class Prediction:
    """One text's predicted label and its top classes with probabilities, most probable first."""

    label: str
    scores: list[tuple[str, float]]


class TextClassifier:
    """softmax(features(text) · coef + intercept), with ``coef`` stored feature-major (n_features, n_classes).

    Feature-major rows make a request cheap: only the rows of the features present in the text are read.
    ``coef`` may be float16 or float32 (the precision the weights were rounded to in training): the
    product with the float64 features widens those rows exactly to float64 and sums in float64, as
    scikit-learn does, without a float64 copy of every weight at load.

    ``terms`` returns every feature's term in column order; it is called on the first explained request
    only, so naming the features costs nothing at cold start.
    """

    def __init__(
        self,
        featurizer: FeatureUnion,
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: list[str],
        terms: Callable[[], Sequence[str]] | None = None,
    ):
        self.featurizer = featurizer
        self.classes = classes
        self._coef = coef
        self._intercept = intercept
        self._decode_terms = terms

    def decision_function(self, text: str) -> np.ndarray:
        """The raw per-class scores (logits) of one text."""
        return self._scores(self.featurizer.transform(text))

    def _scores(self, features: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        indices, weights = features
        return weights @ self._coef[indices] + self._intercept

    def predict_proba(self, text: str) -> np.ndarray:
        """Class probabilities of one text, in ``classes`` order."""
        return softmax(self.decision_function(text))

    def classify(self, texts: list[str], top_k: int) -> list[Prediction]:
        """Predictions in input order, each with its ``top_k`` classes (capped at the number of classes)."""
        k = min(top_k, len(self.classes))
        return [self._predict(text, k) for text in texts]

    def classify_explained(
        self, texts: list[str], top_k: int, n_terms: int
    ) -> list[tuple[Prediction, Explanation]]:
        """As ``classify``, each prediction with the explanation of its label in at most ``n_terms`` terms.

        Each text is featurized once, for both (see ``explanations`` for what the explanation holds).
        """
        k = min(top_k, len(self.classes))
        results = []
        for text in texts:
            features = self.featurizer.transform(text)
            prediction = self._rank(self._scores(features), k)
            label_index = self.classes.index(prediction.label)
            explanation = explain(
                features, self._coef, self._intercept, label_index, n_terms, self.terms, self.classes
            )
            results.append((prediction, explanation))
        return results

    @functools.cached_property
    def terms(self) -> Sequence[str]:
        """Every feature's term, by feature index: decoded once, on first use."""
        if self._decode_terms is None:
            raise ValueError("this classifier was built without its feature terms: it cannot explain")
        return self._decode_terms()

    def _predict(self, text: str, k: int) -> Prediction:
        return self._rank(self.decision_function(text), k)

    def _rank(self, scores: np.ndarray, k: int) -> Prediction:
        probabilities = softmax(scores)
        # Ordering by the raw scores equals ordering by probability (softmax is monotonic) and a stable
        # sort keeps the first of equal scores first, which is how scikit-learn's predict breaks ties.
        order = np.argsort(-scores, kind="stable")[:k]
        top = [(self.classes[i], float(probabilities[i])) for i in order]
        return Prediction(label=top[0][0], scores=top)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Numerically stable softmax (shifted by the maximum), as scikit-learn computes it."""
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()
