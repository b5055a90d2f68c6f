"""The keyword family, training's side: the fitted model and what the exporter writes of it.

``KeywordModel`` keeps, for each class, the words found in at least ``min_texts`` of its training texts
and in no other class's; ``predict`` is the reference serving must equal.
"""

from collections import Counter
from typing import Any

import numpy as np

from serving.app.contracts.artifact import TEXT_ENCODING
from serving.tests.toy_family.serving_side import ARRAYS, KIND
from training.families.protocol import UnservableModelError

__all__ = ["KIND", "STORED_ARRAYS", "KeywordModel", "arrays", "check_servable", "classes", "owns", "settings"]

STORED_ARRAYS: tuple[str, ...] = ()  # small arrays: all deflated


class KeywordModel:
    def __init__(self, min_texts: int = 3):
        self.min_texts = min_texts

    def fit(self, texts: list[str], labels: list[str]) -> "KeywordModel":
        self.classes_ = sorted(set(labels))
        texts_with = {label: Counter() for label in self.classes_}
        for text, label in zip(texts, labels, strict=True):
            texts_with[label].update(set(text.lower().split()))
        owners = {}
        for index, label in enumerate(self.classes_):
            others = set().union(*(texts_with[other] for other in self.classes_ if other != label))
            owners |= {
                word: index
                for word, count in texts_with[label].items()
                if count >= self.min_texts and word not in others
            }
        self.owners_ = dict(sorted(owners.items()))
        return self

    def predict(self, texts: list[str]) -> list[str]:
        predictions = []
        for text in texts:
            scores = [0] * len(self.classes_)
            for word in text.lower().split():
                if word in self.owners_:
                    scores[self.owners_[word]] += 1
            predictions.append(self.classes_[scores.index(max(scores))])
        return predictions


def owns(model: object) -> bool:
    return isinstance(model, KeywordModel)


def check_servable(model: KeywordModel) -> None:
    if not model.owners_ or any(" " in word or not word for word in model.owners_):
        raise UnservableModelError("keywords must be non-empty words without spaces, and at least one")


def classes(model: KeywordModel) -> list[str]:
    return list(model.classes_)


def settings(model: KeywordModel) -> dict[str, Any]:
    return {"lowercase": True}


def arrays(model: KeywordModel) -> dict[str, np.ndarray]:
    keywords = " ".join(model.owners_).encode(*TEXT_ENCODING)
    return {
        "keywords": np.frombuffer(keywords, dtype=ARRAYS["keywords"][0][0]),
        "keyword_classes": np.array(list(model.owners_.values()), dtype=ARRAYS["keyword_classes"][0][0]),
    }
