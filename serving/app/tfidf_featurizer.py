"""TF-IDF featurization identical to scikit-learn's ``FeatureUnion`` of ``TfidfVectorizer`` blocks.

Serving cannot import scikit-learn (it costs most of a second at cold start and hundreds of MB in the
image), so this module re-implements the few steps ``transform`` performs for the settings listed in
MODEL_ARTIFACT.md: each block analyses the text into words, character n-grams (``char``) or character
n-grams within words (``char_wb``), weighs and normalises its own features, and the union places the
blocks' columns one after the other. A document is returned as a sparse vector (feature indices and
their weights) because a request touches a few hundred of the model's features, never all of them.

The character n-grams are cut and counted by ``map``/``zip``/``Counter`` chains that run in C: a
100,000-character text yields about half a million of them, far too many for a Python-level loop per
character.
"""

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain

import numpy as np

ANALYZERS = ("word", "char_wb", "char")
STRIP_ACCENTS = (None, "ascii", "unicode")
NORMS = (None, "l1", "l2")
# scikit-learn's VectorizerMixin._white_spaces: a run of two or more whitespace characters becomes one
# space before character n-grams are cut; a single "\n" or "\t" stays as it is.
_WHITE_SPACES = re.compile(r"\s\s+")


@dataclass(frozen=True)
class FeaturizerSettings:
    """The ``TfidfVectorizer`` parameters that change what one block's ``transform`` computes."""

    analyzer: str
    lowercase: bool
    strip_accents: str | None
    token_pattern: str | None  # the word analyzer's; None for character analyzers, which ignore it
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


def word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """All n-grams for n in [low, high], each the tokens joined by one space (scikit-learn's order)."""
    grams: list[str] = []
    for n in range(low, high + 1):
        if n == 1:
            grams.extend(tokens)
        else:
            grams.extend(map(" ".join, zip(*(tokens[i:] for i in range(n)), strict=False)))
    return grams


def substrings(text: str, n: int) -> Iterable[str]:
    """Every substring of ``text`` of length ``n``, left to right (none if the text is shorter).

    Joining the characters of n shifted copies runs in C, with no bytecode per character: about twice
    as fast as slicing in a comprehension, and three times as fast as ``map`` over ``slice`` objects.
    """
    return map("".join, zip(*(text[i:] for i in range(n)), strict=False))


def char_ngrams(text: str, low: int, high: int) -> Iterable[str]:
    """scikit-learn's ``_char_ngrams``: whitespace runs become one space, then every substring of each
    length in [low, high] (none longer than the text)."""
    text = _WHITE_SPACES.sub(" ", text)
    return chain.from_iterable(substrings(text, n) for n in range(low, high + 1))


def char_wb_ngrams(text: str, low: int, high: int) -> Iterable[str]:
    """scikit-learn's ``_char_wb_ngrams``, computed on the whole text at once.

    scikit-learn pads each word with one space (" word ") and takes its substrings of each length in
    [low, high]; a padded word shorter than ``low`` counts once, whole, and longer n-grams stop at the
    padded word's length. Here the padded words are joined (" w1  w2 ") and the substrings of the joined
    text taken: those inside one padded word are exactly scikit-learn's, and those crossing a boundary
    contain two consecutive spaces, which no char_wb term can (the loader refuses such a vocabulary), so
    they never count. Only the short padded words need adding.
    """
    words = _WHITE_SPACES.sub(" ", text).split()
    if not words:
        return ()
    joined = " " + "  ".join(words) + " "
    short = [f" {word} " for word in words if len(word) + 2 < low]
    return chain(short, *(substrings(joined, n) for n in range(low, high + 1)))


class TfidfFeaturizer:
    """One block: turns a text into the (indices, weights) of its non-zero TF-IDF features."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, settings: FeaturizerSettings):
        self._vocabulary = vocabulary
        self._idf = idf
        self._settings = settings
        self._strip_accents = _ACCENT_FUNCTIONS[settings.strip_accents]
        self._ngrams: Callable[[str], Iterable[str]] = self._analyzer(settings)
        self.n_features = len(idf)

    def _analyzer(self, settings: FeaturizerSettings) -> Callable[[str], Iterable[str]]:
        low, high = settings.ngram_range
        if settings.analyzer == "char":
            return lambda text: char_ngrams(text, low, high)
        if settings.analyzer == "char_wb":
            return lambda text: char_wb_ngrams(text, low, high)
        token_regex = re.compile(settings.token_pattern)
        return lambda text: word_ngrams(token_regex.findall(text), low, high)

    def preprocess(self, text: str) -> str:
        """Lowercase first, then strip accents: scikit-learn's order, for every analyzer."""
        if self._settings.lowercase:
            text = text.lower()
        if self._strip_accents is not None:
            text = self._strip_accents(text)
        return text

    def analyze(self, text: str) -> Iterable[str]:
        """The text's n-grams (words or characters), as the block's scikit-learn analyzer yields them."""
        return self._ngrams(self.preprocess(text))

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The document's non-zero features: feature indices (unordered) and their float64 weights.

        Mapping every n-gram to its index before counting keeps the whole loop in C (map, Counter).
        """
        counts = Counter(map(self._vocabulary.get, self.analyze(text)))
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


class FeatureUnion:
    """The blocks side by side, as scikit-learn's FeatureUnion: block k's columns follow blocks 0..k-1's,
    and each block is normalised on its own."""

    def __init__(self, blocks: list[TfidfFeaturizer]):
        self.blocks = blocks
        self._offsets = [sum(block.n_features for block in blocks[:k]) for k in range(len(blocks))]
        self.n_features = sum(block.n_features for block in blocks)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The document's non-zero features over all blocks: indices (unordered) and float64 weights."""
        parts = [block.transform(text) for block in self.blocks]
        indices = [
            block_indices + offset for (block_indices, _), offset in zip(parts, self._offsets, strict=True)
        ]
        return np.concatenate(indices), np.concatenate([weights for _, weights in parts])
