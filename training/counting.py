"""Count a corpus's terms as CountVectorizer.fit_transform does, in memory that grows with the kept terms.

CountVectorizer learns the vocabulary of every n-gram first and prunes the rare ones (`min_df`) after:
a dict of Python strings over all distinct n-grams, most of which occur once and are dropped. On a
million short documents that dict alone takes gigabytes. `count_terms` gives the same matrix and the same
terms, and holds only what `min_df` could keep:

1. Document frequencies of 64-bit hashes of the terms, a chunk of documents at a time, in sorted numpy
   arrays (12 bytes a distinct term instead of a string, a dict slot and a counter). Two terms that share
   a hash add up, so a hash's count is never below any of its terms' document frequency: every term that
   `min_df` keeps is among the hashes that reach it (the candidates). When `min_df` keeps every term
   there is nothing to prune and this pass is skipped.
2. A second reading counts the candidate terms only, exactly, by their strings. Their exact document
   frequencies then apply `min_df` and `max_df` as scikit-learn does, which also drops any candidate that
   only reached `min_df` through a shared hash.

The result is the very matrix CountVectorizer returns (tested): the same terms in alphabetical order, the
same counts, and within each row the same order of entries (the order in which the terms first occur in
the corpus, which is what its in-place column renumbering leaves). That order matters: sums over a row
(the TF-IDF norm, the solver's updates) are computed in it, and the committed model is reproduced byte for
byte only if it is kept.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

# Documents are read in chunks of about this many characters: a chunk's tokens are held at once.
CHUNK_CHARS = 2_000_000
# A term's count in one document: a document holds far fewer than 2**31 tokens.
COUNT_DTYPE = np.int32
# Merge the chunks' hash counts once they hold this many entries (and at least as many as the merged ones).
MERGE_ENTRIES = 1 << 23
# CountVectorizer's messages, for the same mistakes.
EMPTY_VOCABULARY = "empty vocabulary; perhaps the documents only contain stop words"
NOTHING_KEPT = "After pruning, no terms remain. Try a lower min_df or a higher max_df."
# A term's 64-bit hash (Python's, the same for a string throughout a process). Collisions only add
# candidates, which the exact second count drops; the tests swap in a colliding one to prove it.
_term_hash = hash


def count_terms(counter: CountVectorizer, texts: Sequence[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """`(counter.fit_transform(texts), counter.get_feature_names_out())`, without fitting `counter`.

    Only the settings the pipeline uses are supported (no fixed vocabulary, no `max_features`); any other
    configuration is refused rather than counted differently.
    """
    if counter.vocabulary is not None or counter.max_features is not None:
        raise ValueError("count_terms learns a vocabulary without max_features; use CountVectorizer")
    n_docs = len(texts)
    low, high = _document_count_bounds(counter.min_df, counter.max_df, n_docs)
    analyze = counter.build_analyzer()
    candidates = None if low <= 1 else _frequent_hashes(analyze, texts, low)
    ids, counts, indptr, terms = _count_candidates(analyze, texts, candidates)
    if not terms and candidates is None:
        raise ValueError(EMPTY_VOCABULARY)
    frequency = np.bincount(ids, minlength=len(terms))
    kept = (frequency >= low) & (frequency <= high)
    if not kept.any():
        raise ValueError(NOTHING_KEPT)
    ids, counts, indptr = _keep_columns(ids, counts, indptr, kept)
    kept_terms = [term for term, keep in zip(terms, kept.tolist(), strict=True) if keep]
    alphabetical = sorted(range(len(kept_terms)), key=kept_terms.__getitem__)
    rank = np.empty(len(kept_terms), dtype=ids.dtype)
    rank[alphabetical] = np.arange(len(kept_terms), dtype=ids.dtype)
    values = np.ones(len(counts)) if counter.binary else counts
    matrix = sparse.csr_matrix(
        (values.astype(counter.dtype), rank[ids], indptr), shape=(n_docs, len(kept_terms)), copy=False
    )
    return matrix, np.array([kept_terms[i] for i in alphabetical], dtype=object)


def _document_count_bounds(min_df, max_df, n_docs: int) -> tuple[float, float]:
    """`min_df` and `max_df` as document counts, exactly as CountVectorizer computes them."""
    high = max_df if isinstance(max_df, Integral) else max_df * n_docs
    low = min_df if isinstance(min_df, Integral) else min_df * n_docs
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    return low, high


def _chunks(texts: Sequence[str]) -> Iterator[Sequence[str]]:
    """Consecutive slices of `texts` of about CHUNK_CHARS characters (at least one document each)."""
    start, size = 0, 0
    for end, text in enumerate(texts, start=1):
        size += len(text)
        if size >= CHUNK_CHARS:
            yield texts[start:end]
            start, size = end, 0
    if start < len(texts):
        yield texts[start:]


def _frequent_hashes(analyze: Callable, texts: Sequence[str], low: float) -> np.ndarray:
    """The sorted hashes whose document frequency (summed over the terms sharing the hash) reaches `low`."""
    merged: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.int64), np.empty(0, np.int64))
    pending: list[tuple[np.ndarray, np.ndarray]] = []
    for chunk in _chunks(texts):
        hashes = np.fromiter(
            (_term_hash(term) for doc in chunk for term in set(analyze(doc))), dtype=np.int64
        )
        pending.append(np.unique(hashes, return_counts=True))
        if sum(len(keys) for keys, _ in pending) >= max(MERGE_ENTRIES, len(merged[0])):
            merged, pending = _merge_counts([merged, *pending]), []
    keys, frequency = _merge_counts([merged, *pending])
    if len(keys) == 0:
        raise ValueError(EMPTY_VOCABULARY)
    return keys[frequency >= low]


def _merge_counts(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One sorted (keys, counts) from several, the counts of equal keys added."""
    keys = np.concatenate([keys for keys, _ in parts])
    counts = np.concatenate([counts for _, counts in parts])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    if len(keys) == 0:
        return keys, counts
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return keys[starts], np.add.reduceat(counts, starts)


def _count_candidates(analyze: Callable, texts: Sequence[str], candidates: np.ndarray | None):
    """Each document's counts of the candidate terms (all terms when `candidates` is None).

    Returns (ids, counts, indptr, terms): a term's id is its rank of first occurrence in the corpus, and
    each row's entries are in id order, as CountVectorizer's counting leaves them.
    """
    vocabulary: dict[str, int] = {}
    ids, counts, row_lengths = [], [], []
    for chunk in _chunks(texts):
        chunk_ids, chunk_counts, lengths = _count_chunk(analyze, chunk, candidates, vocabulary)
        ids.append(chunk_ids)
        counts.append(chunk_counts)
        row_lengths.append(lengths)
    index_dtype = _index_dtype(sum(map(len, ids)))
    indptr = np.zeros(len(texts) + 1, dtype=index_dtype)
    np.cumsum(np.concatenate([np.empty(0, np.int64), *row_lengths]), out=indptr[1:])
    all_ids = np.concatenate([np.empty(0, index_dtype), *ids]).astype(index_dtype, copy=False)
    return all_ids, np.concatenate([np.empty(0, COUNT_DTYPE), *counts]), indptr, list(vocabulary)


def _count_chunk(analyze: Callable, chunk: Sequence[str], candidates: np.ndarray | None, vocabulary: dict):
    """(ids, counts, entries per row) of one chunk; new candidate terms join `vocabulary` in order."""
    tokens = [analyze(doc) for doc in chunk]
    rows = np.repeat(np.arange(len(chunk), dtype=np.int64), [len(doc) for doc in tokens])
    flat = list(itertools.chain.from_iterable(tokens))
    del tokens
    if candidates is not None:
        is_candidate = _among(np.fromiter(map(_term_hash, flat), dtype=np.int64, count=len(flat)), candidates)
        flat = list(itertools.compress(flat, is_candidate.tolist()))
        rows = rows[is_candidate]
    term_ids = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in flat), np.int64, len(flat))
    # One entry per (row, term), rows in order and each row's terms in id order.
    pairs, pair_counts = np.unique(rows * (len(vocabulary) + 1) + term_ids, return_counts=True)
    pair_rows, pair_ids = np.divmod(pairs, len(vocabulary) + 1)
    # Every chunk's entries are held until all are read: 4 bytes each for the id and the count, not 8.
    id_dtype = _index_dtype(len(vocabulary))
    return (
        pair_ids.astype(id_dtype),
        pair_counts.astype(COUNT_DTYPE),
        np.bincount(pair_rows, minlength=len(chunk)),
    )


def _among(hashes: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which `hashes` are in the sorted `candidates`.

    The hashes are looked up in ascending order: each search then starts where the previous one ended,
    instead of a cache miss at every step of millions of binary searches over the candidates.
    """
    is_candidate = np.zeros(len(hashes), dtype=bool)
    if len(candidates) == 0:
        return is_candidate
    order = np.argsort(hashes)
    ascending = hashes[order]
    found = np.minimum(np.searchsorted(candidates, ascending), len(candidates) - 1)
    is_candidate[order] = candidates[found] == ascending
    return is_candidate


def _keep_columns(ids: np.ndarray, counts: np.ndarray, indptr: np.ndarray, kept: np.ndarray):
    """The entries of the kept terms, renumbered in order; each row's entries keep their order."""
    entry_kept = kept[ids]
    new_id = (np.cumsum(kept, dtype=np.int64) - 1).astype(ids.dtype)
    # Per-entry arrays in the index type (int32 below 2**31 entries): on a large corpus they are the
    # biggest arrays counting holds.
    kept_before = np.zeros(len(entry_kept) + 1, dtype=indptr.dtype)
    np.cumsum(entry_kept, out=kept_before[1:])
    return new_id[ids[entry_kept]], counts[entry_kept], kept_before[indptr]


def _index_dtype(n_entries: int) -> type:
    """int32 indices as scikit-learn uses them, int64 past what int32 can address."""
    return np.int32 if n_entries <= np.iinfo(np.int32).max else np.int64
