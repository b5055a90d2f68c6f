"""TF-IDF featurization identical to scikit-learn's ``TfidfVectorizer.transform`` for one document.

Serving cannot import scikit-learn (it costs most of a second at cold start and hundreds of MB in the
image), so this module re-implements the few steps ``transform`` performs for the settings listed in
MODEL_ARTIFACT.md. It returns a document as a sparse vector (feature indices and their weights) because
a request touches a few hundred of the model's features, never all of them.
"""

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

STRIP_ACCENTS = (None, "ascii", "unicode")
NORMS = (None, "l1", "l2")


@dataclass(frozen=True)
class FeaturizerSettings:
    """The ``TfidfVectorizer`` parameters that change what ``transform`` computes."""

    lowercase: bool
    strip_accents: str | None
    token_pattern: str
    ngram_range: tuple[int, int]
    binary: bool
    sublinear_tf: bool
    use_idf: bool
    norm: str | None


def strip_accents_ascii(text: str) -> str:
    """Decompose characters and drop everything that is not ASCII, as scikit-learn does."""
    return unicodedata.normalize("NFKD", text).encode("ASCII", "ignore").decode("ASCII")


def strip_accents_unicode(text: str) -> str:
    """Decompose characters and drop combining marks, as scikit-learn does (ASCII passes unchanged)."""
    if text.isascii():
        return text
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(char for char in normalized if not unicodedata.combining(char))


_ACCENT_FUNCTIONS = {None: None, "ascii": strip_accents_ascii, "unicode": strip_accents_unicode}


class TfidfFeaturizer:
    """Turns a text into the (indices, weights) of its non-zero TF-IDF features."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, settings: FeaturizerSettings):
        self._vocabulary = vocabulary
        self._idf = idf
        self._settings = settings
        self._strip_accents = _ACCENT_FUNCTIONS[settings.strip_accents]
        self._token_regex = re.compile(settings.token_pattern)
        self.n_features = len(idf)

    def tokens(self, text: str) -> list[str]:
        """Preprocess (lowercase first, then strip accents: scikit-learn's order) and tokenize."""
        if self._settings.lowercase:
            text = text.lower()
        if self._strip_accents is not None:
            text = self._strip_accents(text)
        return self._token_regex.findall(text)

    def ngrams(self, tokens: list[str]) -> list[str]:
        """All n-grams for n in ``ngram_range``, each the tokens joined by one space."""
        low, high = self._settings.ngram_range
        grams: list[str] = []
        for n in range(low, high + 1):
            if n == 1:
                grams.extend(tokens)
            else:
                grams.extend(map(" ".join, zip(*(tokens[i:] for i in range(n)), strict=False)))
        return grams

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The document's non-zero features: feature indices (unordered) and their float64 weights.

        Mapping every n-gram to its index before counting keeps the whole loop in C (map, Counter).
        """
        counts = Counter(map(self._vocabulary.get, self.ngrams(self.tokens(text))))
        counts.pop(None, None)  # the n-grams outside the vocabulary
        indices = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        term_counts = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        return indices, self._weigh(indices, term_counts)

    def _weigh(self, indices: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Term frequency -> tf-idf -> normalised, in scikit-learn's order."""
        settings = self._settings
        if settings.binary:
            counts[:] = 1.0
        if settings.sublinear_tf:
            counts = np.log(counts) + 1.0
        weights = counts * self._idf[indices]
        if settings.norm == "l2":
            length = math.sqrt(float(np.dot(weights, weights)))
        elif settings.norm == "l1":
            length = float(np.abs(weights).sum())
        else:
            length = 0.0
        if length > 0.0:
            weights /= length
        return weights
