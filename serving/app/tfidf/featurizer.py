"""The featurizer: each block analyses, counts and weighs a batch; the union puts the blocks side by side."""

from bisect import bisect_right
from typing import NamedTuple

import numpy as np

from ..contracts.linear_tfidf import CHAR_WB_ANALYZER, WORD_ANALYZER
from .sparse_rows import SparseRows
from .term_index import TermIndex
from .text_analysis import char_wb_ngram_count, preprocessor, splitter
from .weighting import weigh
from .word_ngrams import WordNgramIndex


class FeaturizerSettings(NamedTuple):  # a NamedTuple: a dataclass costs milliseconds of cold start
    """The ``TfidfVectorizer`` parameters that change what one block's ``transform`` computes: the
    contract's BLOCK_SETTINGS, in its order (a unit test holds the two together)."""

    analyzer: str
    lowercase: bool
    strip_accents: str | None
    token_pattern: str | None  # the word analyzer's; None for character analyzers, which ignore it
    ngram_range: tuple[int, int]
    binary: bool
    sublinear_tf: bool
    use_idf: bool
    norm: str | None


class TfidfFeaturizer:
    """One block: turns texts into the (indices, weights) of their non-zero TF-IDF features.

    ``index`` finds the block's terms: a ``WordNgramIndex`` for the word analyzer (it is given each
    text's tokens), a ``TermIndex`` for the character analyzers (given each text's n-grams).
    """

    def __init__(self, index: TermIndex | WordNgramIndex, idf: np.ndarray, settings: FeaturizerSettings):
        needed = WordNgramIndex if settings.analyzer == WORD_ANALYZER else TermIndex
        if not isinstance(index, needed):
            raise ValueError(f"the {settings.analyzer} analyzer needs a {needed.__name__}")
        self.index = index
        self._idf = idf
        self._settings = settings
        self.analyzer = settings.analyzer
        self._preprocess = preprocessor(settings.lowercase, settings.strip_accents)
        self._split = splitter(settings.analyzer, settings.token_pattern, settings.ngram_range)
        self.n_features = len(idf)

    def transform_batch(self, texts: list[str]) -> SparseRows:
        """The documents' non-zero features, one row per text in input order."""
        return self.featurize(texts, with_coverage=False)[0]

    def featurize(self, texts: list[str], with_coverage: bool = True) -> tuple[SparseRows, np.ndarray | None]:
        """The documents' non-zero features, one row per text in input order, counted by the index then
        weighed in one pass over the whole batch; and, if asked, each text's vocabulary coverage, from the
        same count (None if not asked)."""
        texts = list(map(self._preprocess, texts))
        split = list(map(self._split, texts))
        if with_coverage and self.analyzer == CHAR_WB_ANALYZER:
            # Its substrings across words are no n-grams: the text's own are counted from its words.
            low, high = self._settings.ngram_range
            rows, shares = self.index.count(split, [char_wb_ngram_count(text, low, high) for text in texts])
        else:
            rows, shares = self.index.count(split)
        coverage = shares if with_coverage else None
        settings = self._settings
        weigh(rows, self._idf, settings.binary, settings.sublinear_tf, settings.norm)
        return rows, coverage


class FeatureUnion:
    """The blocks side by side, as scikit-learn's FeatureUnion: block k's columns follow blocks 0..k-1's,
    and each block is normalised on its own."""

    def __init__(self, blocks: list[TfidfFeaturizer]):
        self.blocks = blocks
        # The block whose coverage is the texts': the word block (a share of words, which people read),
        # else the first block (a share of character n-grams).
        analyzers = [block.analyzer for block in blocks]
        self._coverage_block = analyzers.index(WORD_ANALYZER) if WORD_ANALYZER in analyzers else 0
        self._offsets = [sum(block.n_features for block in blocks[:k]) for k in range(len(blocks))]
        self.n_features = sum(block.n_features for block in blocks)

    def feature_name(self, column: int) -> str:
        """The term of feature ``column`` (over all blocks): what an explanation calls it."""
        block = bisect_right(self._offsets, column) - 1
        return self.blocks[block].index.name(column - self._offsets[block])

    def transform_batch(self, texts: list[str]) -> SparseRows:
        """The documents' non-zero features over all blocks, one row per text."""
        return self.featurize(texts, with_coverage=False)[0]

    def featurize(self, texts: list[str], with_coverage: bool = True) -> tuple[SparseRows, np.ndarray | None]:
        """The documents' non-zero features over all blocks, one row per text (within a row, block 0's
        features, then block 1's, and so on), and, if asked, each text's vocabulary coverage
        (``_coverage_block``'s; the other blocks do not measure theirs)."""
        featurized = [
            block.featurize(texts, with_coverage and k == self._coverage_block)
            for k, block in enumerate(self.blocks)
        ]
        parts, coverage = [rows for rows, _ in featurized], featurized[self._coverage_block][1]
        if len(parts) == 1:
            return parts[0], coverage
        indptr = np.sum([part.indptr for part in parts], axis=0)
        # A stable sort by row keeps each row's features in block order.
        row_numbers = [np.repeat(np.arange(len(texts)), np.diff(part.indptr)) for part in parts]
        order = np.argsort(np.concatenate(row_numbers), kind="stable")
        indices = np.concatenate(
            [part.indices + offset for part, offset in zip(parts, self._offsets, strict=True)]
        )
        weights = np.concatenate([part.weights for part in parts])
        return SparseRows(indptr, indices[order], weights[order]), coverage
