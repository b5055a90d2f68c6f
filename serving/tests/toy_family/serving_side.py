"""The keyword family, serving's side: what serving builds from its artifact and how it answers.

A text scores, for each class, the number of its words that are that class's keywords; probabilities are
those scores plus one, normalised. Its explanation is additive like the linear family's: the label's
score is its intercept (0) plus the contributions of the keywords found (one per occurrence).

The facts both sides share (KIND, ARRAYS) are defined here; a real family keeps them in an import-free
contract module (serving/app/contracts/<kind>.py) that training reads too.
"""

from collections import Counter
from typing import Any

import numpy as np

from serving.app.artifact.arrays import check_table, decoded_text
from serving.app.artifact.manifest import FilePath, ModelLoadError
from serving.app.families.protocol import Explanation, Prediction

KIND = "toy-keywords"
# model.npz: the keywords (UTF-8, one space between them) and each keyword's class (its column).
ARRAYS = {"keywords": (("uint8",), 1), "keyword_classes": (("int32",), 1)}


def read_settings(section: Any, path: FilePath) -> bool:
    """``{"lowercase": true|false}``: whether texts are lowercased before their words are looked up."""
    if (
        not isinstance(section, dict)
        or set(section) != {"lowercase"}
        or not isinstance(section["lowercase"], bool)
    ):
        raise ModelLoadError(path, "'settings' must be {\"lowercase\": true or false}")
    return section["lowercase"]


def load(lowercase: bool, classes: list[str], arrays: dict[str, np.ndarray], path: FilePath):
    check_table(arrays, ARRAYS, path)
    keywords = decoded_text(arrays["keywords"], "keywords", path).split(" ")
    owners = arrays["keyword_classes"].tolist()
    if len(keywords) != len(owners) or not all(0 <= owner < len(classes) for owner in owners):
        raise ModelLoadError(path, "every keyword needs the index of one of the classes")
    return KeywordClassifier(dict(zip(keywords, owners, strict=True)), classes, lowercase)


class KeywordClassifier:
    """The family's model; it answers what families.protocol.Classifier asks."""

    def __init__(self, owners: dict[str, int], classes: list[str], lowercase: bool):
        self.classes = classes
        self.n_features = len(owners)
        self._owners = owners
        self._lowercase = lowercase

    def classify(self, texts: list[str], top_k: int) -> list[Prediction]:
        return [self._predict(self._found(text), top_k) for text in texts]

    def classify_explained(
        self, texts: list[str], top_k: int, n_terms: int
    ) -> list[tuple[Prediction, Explanation]]:
        results = []
        for text in texts:
            found = self._found(text)
            prediction = self._predict(found, top_k)
            label = self.classes.index(prediction.label)
            terms = sorted(
                ((word, float(count)) for word, count in found.items() if self._owners[word] == label),
                key=lambda term: (-term[1], term[0]),
            )
            score = sum(contribution for _, contribution in terms)
            results.append((prediction, Explanation(prediction.label, score, 0.0, terms[:n_terms])))
        return results

    def describe(self) -> dict[str, Any]:
        return {"lowercase": self._lowercase}

    def _found(self, text: str) -> Counter:
        words = (text.lower() if self._lowercase else text).split()
        return Counter(word for word in words if word in self._owners)

    def _predict(self, found: Counter, top_k: int) -> Prediction:
        scores = np.zeros(len(self.classes))
        for word, count in found.items():
            scores[self._owners[word]] += count
        probabilities = (scores + 1.0) / (scores + 1.0).sum()
        ranked = np.argsort(-scores, kind="stable")[: min(top_k, len(self.classes))].tolist()
        return Prediction(
            self.classes[ranked[0]], [(self.classes[i], float(probabilities[i])) for i in ranked]
        )
