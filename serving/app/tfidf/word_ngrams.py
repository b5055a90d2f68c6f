"""Word n-grams -> columns, found by number: the lookup that makes a batch fast.

Benchmark target (``make bench``, docs/performance.md): batch throughput at least twice the reference's
(the row "batch throughput (docs/s)"), with the single-text warm p50 at most 0.35x the reference's and a
cold start at most 50 ms above a bare ``import numpy``. Check any change here with ``make bench`` (it
needs 20 Newsgroups, SCIKIT_LEARN_DATA) and compare those three rows' verdicts before and after; the
parity tests (serving/tests/unit/test_classifier_parity.py) hold the answers to scikit-learn's.

How: each word of the vocabulary has an id, and an n-gram of words has a number (its ids as digits in
base W, ``contracts.linear_tfidf.ngram_number``). A batch then costs one dict lookup per token, after
which every n-gram of every text is built, found and counted by a few numpy calls on the whole batch: no
n-gram string is ever joined or hashed. Unigrams are found by indexing a table, longer n-grams in a
``NumberTable`` (binary search for one text's few numbers, an open-addressing hash table for a batch's
many, built at the first batch so that a cold start answering one text does not pay for it).
"""

from itertools import chain, repeat
from typing import NamedTuple

import numpy as np

from ..contracts.linear_tfidf import PADDING, ngram_number
from .sparse_rows import SparseRows, known_shares


class SortedTerms(NamedTuple):
    """The word block's terms sorted by (number of words, number): the i-th is column ``order[i]``,
    of ``lengths[i]`` words and number ``numbers[i]``."""

    order: np.ndarray
    lengths: np.ndarray
    numbers: np.ndarray


def term_lengths(ngrams: np.ndarray) -> np.ndarray:
    """Each term's number of words: its ids before the padding (which must come last), in the smallest
    unsigned type (column by column: ``np.count_nonzero`` along rows is several times slower)."""
    lengths = np.ones(len(ngrams), np.min_scalar_type(ngrams.shape[1]))
    for j in range(1, ngrams.shape[1]):
        lengths += ngrams[:, j] != PADDING
    return lengths


def sorted_terms(ngrams: np.ndarray, order: np.ndarray, lengths: np.ndarray, n_words: int) -> SortedTerms:
    """The terms in ``order``, which must list them by length (the caller checks ``lengths`` under it):
    each one's number of words and its number (int64: the caller ensures W**n does not overflow).

    The terms of each length are a run of the ordered terms, numbered together: slices, not masks, so a
    cold start pays a few numpy calls on contiguous memory.
    """
    ordered, ordered_lengths = ngrams.take(order, axis=0), lengths.take(order)
    numbers = np.empty(len(order), np.int64)
    ends = np.searchsorted(ordered_lengths, np.arange(ngrams.shape[1] + 1), side="right")
    for n in range(1, ngrams.shape[1] + 1):
        run = slice(ends[n - 1], ends[n])
        numbers[run] = ngram_number([ordered[run, j].astype(np.int64) for j in range(n)], n_words)
    return SortedTerms(order, ordered_lengths, numbers)


class WordNgramIndex:
    """The word block's vocabulary, keyed by numbers instead of strings (MODEL_ARTIFACT.md)."""

    def __init__(
        self, words: list[str], ngrams: np.ndarray, sorted_terms: SortedTerms, ngram_range: tuple[int, int]
    ):
        """``ngrams[i]`` holds term i's word ids, then padding; ``sorted_terms`` lists the terms by
        (length, number). The loader checks them (tfidf.vocabulary)."""
        self._words = words
        self._ngrams = ngrams
        self._word_ids = dict(zip(words, range(len(words)), strict=True))
        self.n_words = len(words)
        self.n_distinct_words = len(self._word_ids)  # fewer than n_words if a word repeats (refused)
        self.n_terms = len(ngrams)
        self._range = ngram_range
        # Column of each word as a unigram, -1 if it is none; the extra last entry answers the id -1
        # (a token outside the vocabulary) with -1 too.
        self._unigram_columns = np.full(self.n_words + 1, -1, np.int32)
        self._longer: dict[int, NumberTable] = {}
        for n in range(ngram_range[0], ngram_range[1] + 1):
            # The terms of n words are a run of the sorted terms, their numbers ascending: used in place.
            start, end = np.searchsorted(sorted_terms.lengths, [n, n + 1])
            columns = sorted_terms.order[start:end]
            if n == 1:
                self._unigram_columns[ngrams[columns, 0]] = columns
            elif end > start:
                self._longer[n] = NumberTable(sorted_terms.numbers[start:end], columns)

    def name(self, column: int) -> str:
        """The term of ``column``: its words joined by one space, as scikit-learn names an n-gram."""
        return " ".join(self._words[word] for word in self._ngrams[column].tolist() if word != PADDING)

    def count(self, texts_tokens: list[list[str]]) -> tuple[SparseRows, np.ndarray]:
        """Per text, the columns of its n-grams found here and how often each occurs (as float64), and
        the share of its tokens that are words of the vocabulary (its coverage, 0 for a text without
        tokens): read off the word ids the lookup finds anyway.

        scikit-learn's n-grams are the runs of n consecutive tokens of one text; a run holding a word
        outside the vocabulary cannot be a term and is skipped. Each n-gram found becomes the number
        text * n_terms + column (``row_starts`` holds each token's text * n_terms), so that counting
        is sorting one array; for one text (the common request) it is the column itself.
        """
        low = self._range[0]
        lengths = list(map(len, texts_tokens))
        n_tokens = sum(lengths)
        ids = np.fromiter(
            map(self._word_ids.get, chain.from_iterable(texts_tokens), repeat(-1)), np.intp, n_tokens
        )
        row_starts = None
        if len(texts_tokens) > 1:
            pair_type = _pair_type(len(texts_tokens), self.n_terms)
            row_starts = np.repeat(np.arange(len(texts_tokens), dtype=pair_type) * self.n_terms, lengths)
        pairs = []
        # Positions and take rather than boolean masks and []: several times faster gathers.
        if low == 1:
            columns = self._unigram_columns.take(ids)
            at = _positions(columns >= 0)
            pairs.append(columns.take(at) if row_starts is None else row_starts.take(at) + columns.take(at))
        for n, table in self._longer.items():
            if n_tokens < n:
                break
            starts, numbers = self._ngram_numbers(ids, row_starts, n)
            at, columns = table.find(numbers)
            pairs.append(columns if row_starts is None else row_starts.take(starts.take(at)) + columns)
        return _counted(pairs, len(texts_tokens), self.n_terms), _coverage(ids, lengths)

    def _ngram_numbers(
        self, ids: np.ndarray, row_starts: np.ndarray | None, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The start positions and numbers of the n-grams of ``ids`` that lie within one text and hold
        known words only."""
        count = len(ids) - n + 1
        known = ids[:count] >= 0
        for j in range(1, n):
            known &= ids[j : j + count] >= 0
        if row_starts is not None:
            known &= row_starts[:count] == row_starts[n - 1 :]
        starts = _positions(known)
        word_ids = [ids.take(starts), *(ids.take(starts + j) for j in range(1, n))]
        return starts, ngram_number(word_ids, self.n_words)


class NumberTable:
    """Distinct non-negative numbers -> columns, looked up for a whole array of numbers at once.

    A few numbers (one text's n-grams) are found by binary search in the sorted numbers: a handful of
    numpy calls. Many (a batch's) go through an open-addressing hash table with linear probing, at most
    a sixth full (6 MB for the committed model's 78,000 bigrams), probed in two rounds of numpy
    gathers: each round settles every pending number whose slot holds it (found) or is empty (absent)
    and moves the rest one slot on; the few still pending are then searched for. That is several times
    faster than a binary search for every n-gram, whose every step misses the cache. The table is built
    at the first batch, not at load: a cold start answering one text does not pay for it.
    """

    _EMPTY = -1
    _ROUNDS = 2
    _FEW = 4096
    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: 2**64 / the golden ratio, odd

    def __init__(self, numbers: np.ndarray, columns: np.ndarray):
        """``numbers`` ascending, ``columns[i]`` the column of ``numbers[i]``."""
        self._sorted_numbers, self._sorted_columns = numbers, columns
        self._table: tuple[np.ndarray, np.ndarray, np.uint64, int] | None = None

    def _hash_table(self) -> tuple[np.ndarray, np.ndarray, np.uint64, int]:
        """(the number in each slot, its column, the hash's shift, the slot mask), built once."""
        if self._table is None:
            numbers, columns = self._sorted_numbers, self._sorted_columns
            bits = max(1, int(len(numbers) * 6 - 1).bit_length())
            shift, mask = np.uint64(64 - bits), (1 << bits) - 1
            slot_numbers = np.full(1 << bits, self._EMPTY, np.int64)
            slot_columns = np.full(1 << bits, self._EMPTY, np.int32)
            pending, slots = np.arange(len(numbers)), self._slots(numbers, shift)
            while len(pending):
                free = slot_numbers[slots] == self._EMPTY
                slot_numbers[slots[free]] = numbers[pending[free]]  # of numbers sharing a slot, one wins
                placed = free & (slot_numbers[slots] == numbers[pending])
                slot_columns[slots[placed]] = columns[pending[placed]]
                pending, slots = pending[~placed], (slots[~placed] + 1) & mask
            self._table = (slot_numbers, slot_columns, shift, mask)
        return self._table

    def _slots(self, numbers: np.ndarray, shift: np.uint64) -> np.ndarray:
        return ((numbers.astype(np.uint64) * self._MULTIPLIER) >> shift).astype(np.intp)

    def find(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions in ``numbers`` of those that are here, ascending, and their columns."""
        columns = np.full(len(numbers), self._EMPTY, np.int32)
        pending, wanted = np.arange(len(numbers)), numbers  # positions still unsettled, their numbers
        if len(numbers) >= self._FEW:
            slot_numbers, slot_columns, shift, mask = self._hash_table()
            slots = self._slots(numbers, shift)
            for _ in range(self._ROUNDS):
                held = slot_numbers.take(slots)
                found = held == wanted
                at = _positions(found)
                columns[pending.take(at)] = slot_columns.take(slots.take(at))
                going_on = _positions(~found & (held != self._EMPTY))
                pending, wanted = pending.take(going_on), wanted.take(going_on)
                slots = (slots.take(going_on) + 1) & mask
        if len(pending):
            # Searched in ascending order: numpy starts each search where the last one ended, and the
            # steps of neighbouring numbers share cache lines that featurizing has just evicted (about
            # 9 µs less of a warm single-text request, alternating A/B in one process).
            order = wanted.argsort()
            ascending = wanted.take(order)
            position = np.searchsorted(self._sorted_numbers, ascending)
            position[position == len(self._sorted_numbers)] = 0
            at = _positions(self._sorted_numbers.take(position) == ascending)
            columns[pending.take(order.take(at))] = self._sorted_columns.take(position.take(at))
        at = _positions(columns != self._EMPTY)
        return at, columns.take(at)


def _positions(mask: np.ndarray) -> np.ndarray:
    """Where a 1-D boolean array is true: ``np.flatnonzero`` without its Python-level wrapper, which
    costs as much as the work for one text's few hundred values."""
    return mask.nonzero()[0]


def _coverage(ids: np.ndarray, lengths: list[int]) -> np.ndarray:
    """Per text (``lengths`` tokens each, in order), the share of its word ids that are known (not -1)."""
    if len(lengths) == 1:  # the common request: no cut into texts, a division in Python
        return np.array([np.count_nonzero(ids >= 0) / lengths[0] if lengths[0] else 0.0])
    total = np.array(lengths, np.float64)
    known_so_far = np.zeros(len(ids) + 1)
    np.cumsum(ids >= 0, out=known_so_far[1:])
    ends = np.cumsum(lengths, dtype=np.intp)
    known = known_so_far.take(ends) - known_so_far.take(ends - np.array(lengths, np.intp))
    return known_shares(known, total)


def _pair_type(n_texts: int, n_columns: int) -> type:
    """The integer type of text * n_columns + column numbers: int32 when it holds them (it sorts about
    twice as fast as int64)."""
    return np.int32 if n_texts * n_columns < 2**31 else np.int64


def _counted(pairs: list[np.ndarray], n_texts: int, n_columns: int) -> SparseRows:
    """The found text * n_columns + column numbers counted: one entry per distinct number, rows in
    order."""
    found = np.concatenate(pairs) if pairs else np.zeros(0, _pair_type(n_texts, n_columns))
    numbers, counts = _distinct(found)
    if n_texts == 1:  # the common request: the numbers are the columns
        return SparseRows(np.array([0, len(numbers)]), numbers.astype(np.intp), counts)
    rows = numbers // n_columns
    indptr = np.zeros(n_texts + 1, np.intp)
    np.cumsum(np.bincount(rows, minlength=n_texts), out=indptr[1:])
    return SparseRows(indptr, (numbers - rows * n_columns).astype(np.intp), counts)


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values, ascending, and how often each occurs (float64): ``np.unique(values,
    return_counts=True)`` in a handful of calls, which matters for a single text's few hundred values."""
    values = np.sort(values)
    if not len(values):
        return values, np.zeros(0)
    first = np.empty(len(values), bool)
    first[0] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    starts = first.nonzero()[0]
    counts = np.empty(len(starts))
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = len(values) - starts[-1]
    return values.take(starts), counts
