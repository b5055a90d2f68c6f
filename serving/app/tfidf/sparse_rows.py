"""A batch of documents as the rows of one CSR matrix: what every index counts into and weighting weighs."""

from typing import NamedTuple

import numpy as np


class SparseRows(NamedTuple):  # a NamedTuple: a dataclass costs milliseconds of cold start
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


def known_shares(known: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per text, the share of its tokens (or n-grams) a vocabulary knows: its coverage, ``known / total``,
    and 0 for a text with none at all (nothing known to predict from)."""
    return np.divide(known, total, out=np.zeros(len(total)), where=total > 0)
