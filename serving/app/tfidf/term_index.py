"""Character n-grams -> columns: each term's text is its key, one dict lookup per n-gram, in C."""

from collections import Counter
from collections.abc import Iterable
from itertools import accumulate, chain

import numpy as np

from .sparse_rows import SparseRows, known_shares


class TermIndex:
    """A character block's vocabulary: term i is column i."""

    def __init__(self, terms: list[str]):
        self._terms = terms
        self._columns = dict(zip(terms, range(len(terms)), strict=True))
        self.n_terms = len(terms)
        self.n_distinct_terms = len(self._columns)  # fewer than n_terms if a term repeats (refused)

    def name(self, column: int) -> str:
        """The term of ``column``."""
        return self._terms[column]

    def count(
        self, texts_ngrams: list[Iterable[str]], totals: list[int] | None = None
    ) -> tuple[SparseRows, np.ndarray]:
        """Per text, the columns of its n-grams found here and how often each occurs (as float64), and
        the share of its n-grams found here (its coverage, 0 for a text without n-grams). ``totals``
        gives each text's number of n-grams when some of those given are not the text's (char_wb's
        substrings across words, never found here); by default every one given counts.

        The counting stays in C (map, Counter): every n-gram is mapped to its column first, so the
        Counter hashes small integers. The coverage comes from the same count: the n-grams outside the
        vocabulary are the Counter's ``None``.
        """
        columns_get = self._columns.get
        rows_found, unknown = [], []
        for ngrams in texts_ngrams:
            found = Counter(map(columns_get, ngrams))
            unknown.append(found.pop(None, 0))  # the n-grams outside the vocabulary
            rows_found.append(found)
        indptr = np.fromiter(accumulate(map(len, rows_found), initial=0), np.intp, len(rows_found) + 1)
        nnz = int(indptr[-1])
        rows = SparseRows(
            indptr=indptr,
            indices=np.fromiter(chain.from_iterable(rows_found), np.intp, nnz),
            weights=np.fromiter(chain.from_iterable(map(Counter.values, rows_found)), np.float64, nnz),
        )
        known = rows.sum_rows(rows.weights)
        total = known + np.array(unknown, np.float64) if totals is None else np.array(totals, np.float64)
        return rows, known_shares(known, total)
