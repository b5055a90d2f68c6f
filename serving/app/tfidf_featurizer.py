"""TF-IDF featurization identical to scikit-learn's ``FeatureUnion`` of ``TfidfVectorizer`` blocks.

Serving cannot import scikit-learn (it costs most of a second at cold start and hundreds of MB in the
image), so this module re-implements the few steps ``transform`` performs for the settings listed in
MODEL_ARTIFACT.md: each block analyses the text into words, character n-grams (``char``) or character
n-grams within words (``char_wb``), weighs and normalises its own features, and the union places the
blocks' columns one after the other. A document is returned as a sparse vector (feature indices and
their weights) because a request touches a few hundred of the model's features, never all of them; a
batch as the rows of one sparse matrix (``SparseRows``), weighed and normalised in a handful of numpy
calls for the whole batch rather than a dozen per text.

The character n-grams are cut and counted by ``map``/``zip``/``Counter`` chains that run in C: a
100,000-character text yields about half a million of them, far too many for a Python-level loop per
character.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate, chain

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


@dataclass(frozen=True)
class SparseRows:
    """Documents as the rows of a CSR matrix: row i's features are ``indices[indptr[i]:indptr[i + 1]]``
    (column numbers, unordered within a row) with those ``weights`` (float64); an empty row has none."""

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def sum_rows(self, values: np.ndarray) -> np.ndarray:
        """Per row, the sum of ``values`` (one entry, or one row of a 2-D array, per stored feature); an
        empty row sums to zero.

        Each row is summed from its own values alone (``np.add.reduceat``, whose segments must not be
        empty), so a text sums the same alone or in any batch.
        """
        indptr = self.indptr
        if self.n_rows == 1 and len(values):  # one text (the common request): no empty row to skip
            return np.add.reduceat(values, indptr[:1], axis=0)
        if self.n_rows == 0:
            return np.zeros((0, *values.shape[1:]))
        filled = (indptr[1:] != indptr[:-1]).nonzero()[0]
        if len(filled) == self.n_rows:
            return np.add.reduceat(values, indptr[:-1], axis=0)
        sums = np.zeros((self.n_rows, *values.shape[1:]))
        if len(filled):
            sums[filled] = np.add.reduceat(values, indptr[filled], axis=0)
        return sums


class TfidfFeaturizer:
    """One block: turns texts into the (indices, weights) of their non-zero TF-IDF features."""

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

    def transform_batch(self, texts: list[str]) -> SparseRows:
        """The documents' non-zero features, one row per text in input order.

        Only the counting is per text, and it stays in C (map, Counter): every n-gram is mapped to its
        index first, so the Counter hashes small integers. The counts of all texts are then read into
        two arrays and weighed in one pass.
        """
        vocabulary_get, analyze = self._vocabulary.get, self.analyze
        rows_found = []
        for text in texts:
            found = Counter(map(vocabulary_get, analyze(text)))
            found.pop(None, None)  # the n-grams outside the vocabulary
            rows_found.append(found)
        row_lengths = list(map(len, rows_found))
        indptr = np.fromiter(accumulate(row_lengths, initial=0), np.intp, len(texts) + 1)
        nnz = int(indptr[-1])
        rows = SparseRows(
            indptr=indptr,
            indices=np.fromiter(chain.from_iterable(rows_found), np.intp, nnz),
            weights=np.fromiter(chain.from_iterable(map(Counter.values, rows_found)), np.float64, nnz),
        )
        self._weigh(rows, row_lengths)
        return rows

    def _weigh(self, rows: SparseRows, row_lengths: list[int]) -> None:
        """Counts -> term frequency -> tf-idf -> normalised per row, in scikit-learn's order, in place.

        A row's norm is summed from that row's weights alone, so a text weighs the same alone or in any
        batch.
        """
        settings, weights = self._settings, rows.weights
        if settings.binary:
            weights[:] = 1.0
        if settings.sublinear_tf:
            np.log(weights, out=weights)
            weights += 1.0
        weights *= self._idf.take(rows.indices)  # take: several times faster than [] for a gather
        if settings.norm is None or not len(weights):
            return
        if settings.norm == "l2":
            lengths = np.sqrt(rows.sum_rows(weights * weights))
        else:
            lengths = rows.sum_rows(np.abs(weights))
        lengths[lengths == 0.0] = 1.0  # a zero vector stays zero
        weights /= lengths if rows.n_rows == 1 else np.repeat(lengths, row_lengths)


class FeatureUnion:
    """The blocks side by side, as scikit-learn's FeatureUnion: block k's columns follow blocks 0..k-1's,
    and each block is normalised on its own."""

    def __init__(self, blocks: list[TfidfFeaturizer]):
        self.blocks = blocks
        self._offsets = [sum(block.n_features for block in blocks[:k]) for k in range(len(blocks))]
        self.n_features = sum(block.n_features for block in blocks)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One document's non-zero features over all blocks: indices (block by block, unordered within a
        block) and float64 weights."""
        rows = self.transform_batch([text])
        return rows.indices, rows.weights

    def transform_batch(self, texts: list[str]) -> SparseRows:
        """The documents' non-zero features over all blocks, one row per text: within a row, block 0's
        features, then block 1's, and so on."""
        parts = [block.transform_batch(texts) for block in self.blocks]
        if len(parts) == 1:
            return parts[0]
        indptr = np.sum([part.indptr for part in parts], axis=0)
        # A stable sort by row keeps each row's features in block order.
        row_numbers = [np.repeat(np.arange(len(texts)), np.diff(part.indptr)) for part in parts]
        order = np.argsort(np.concatenate(row_numbers), kind="stable")
        indices = np.concatenate(
            [part.indices + offset for part, offset in zip(parts, self._offsets, strict=True)]
        )
        weights = np.concatenate([part.weights for part in parts])
        return SparseRows(indptr, indices[order], weights[order])
