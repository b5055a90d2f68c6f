"""Character n-grams -> columns: each term's text is its key, one dict lookup per n-gram, in C."""

from collections import Counter
from collections.abc import Iterable
from itertools import accumulate, chain

import numpy as np

from .sparse_rows import SparseRows


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

    def count(self, texts_ngrams: list[Iterable[str]]) -> SparseRows:
        """Per text, the columns of its n-grams found here and how often each occurs (as float64).

        The counting stays in C (map, Counter): every n-gram is mapped to its column first, so the
        Counter hashes small integers.
        """
        columns_get = self._columns.get
        rows_found = []
        for ngrams in texts_ngrams:
            found = Counter(map(columns_get, ngrams))
            found.pop(None, None)  # the n-grams outside the vocabulary
            rows_found.append(found)
        indptr = np.fromiter(accumulate(map(len, rows_found), initial=0), np.intp, len(rows_found) + 1)
        nnz = int(indptr[-1])
        return SparseRows(
            indptr=indptr,
            indices=np.fromiter(chain.from_iterable(rows_found), np.intp, nnz),
            weights=np.fromiter(chain.from_iterable(map(Counter.values, rows_found)), np.float64, nnz),
        )
