"""Counts -> term frequency -> tf-idf -> normalised rows, as scikit-learn's TfidfTransformer computes them.

One pass over a whole batch, in place: a handful of numpy calls rather than a dozen per text. A row's
norm is summed from that row's weights alone, so a text weighs the same alone or in any batch.
Target: batch throughput (``make bench``).
"""

import numpy as np

from ..contracts.linear_tfidf import L2_NORM
from .sparse_rows import SparseRows


def weigh(rows: SparseRows, idf: np.ndarray, binary: bool, sublinear_tf: bool, norm: str | None) -> None:
    """Turn ``rows``' counts into the block's TF-IDF weights, in scikit-learn's order, in place.

    tf = 1 if ``binary``, else 1 + ln(count) if ``sublinear_tf``, else the count; times ``idf``; then
    each row divided by its l2 or l1 norm (a zero row stays zero), or left as it is if ``norm`` is None.
    """
    weights = rows.weights
    if binary:
        weights[:] = 1.0
    if sublinear_tf:
        np.log(weights, out=weights)
        weights += 1.0
    weights *= idf.take(rows.indices)  # take: several times faster than [] for a gather
    if norm is None or not len(weights):
        return
    # l2: the root of the sum of squares; l1: the sum of magnitudes.
    lengths = np.sqrt(rows.sum_rows(weights * weights)) if norm == L2_NORM else rows.sum_rows(np.abs(weights))
    lengths[lengths == 0.0] = 1.0  # a zero vector stays zero
    if rows.n_rows == 1:
        weights /= lengths
    else:
        weights /= np.repeat(lengths, rows.indptr[1:] - rows.indptr[:-1])
