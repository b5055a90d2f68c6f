"""TF-IDF featurization identical to scikit-learn's ``FeatureUnion`` of ``TfidfVectorizer`` blocks.

Serving cannot import scikit-learn (it costs most of a second at cold start and hundreds of MB in the
image), so this module re-implements the few steps ``transform`` performs for the settings listed in
MODEL_ARTIFACT.md: each block analyses the text into words, character n-grams (``char``) or character
n-grams within words (``char_wb``), weighs and normalises its own features, and the union places the
blocks' columns one after the other. A document is returned as a sparse vector (feature indices and
their weights) because a request touches a few hundred of the model's features, never all of them; a
batch as the rows of one sparse matrix (``SparseRows``), weighed and normalised in a handful of numpy
calls for the whole batch rather than a dozen per text.

Word n-grams are found by number (``WordNgramIndex``): one dict lookup per token, then numpy on the
whole batch. Character n-grams are cut and counted by ``map``/``zip``/``Counter`` chains that run in C
(``TermIndex``): a 100,000-character text yields about half a million of them, far too many for a
Python-level loop per character.
"""

import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import accumulate, chain, repeat
from typing import NamedTuple

import numpy as np

from .contracts.linear_tfidf import CHAR_ANALYZER, CHAR_WB_ANALYZER, WORD_ANALYZER

# scikit-learn's VectorizerMixin._white_spaces: a run of two or more whitespace characters becomes one
# space before character n-grams are cut; a single "\n" or "\t" stays as it is.
_WHITE_SPACES = re.compile(r"\s\s+")


class FeaturizerSettings(NamedTuple):  # a NamedTuple: a dataclass costs milliseconds of cold start
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


# Escapes that mean the same on ASCII text in a Unicode pattern and in an ASCII one: \w, \d, \b and their
# negations, and an escaped ASCII punctuation character. \s does not: Unicode counts \x1c-\x1f as space.
_ASCII_SAFE_ESCAPES = re.compile(r"\\[wWdDbB]|\\[!-/:-@\[-`{-~]")


def word_tokenizer(token_pattern: str) -> Callable[[str], list[str]]:
    r"""``re.findall`` of the pattern, with an ASCII twin of the pattern for ASCII texts when one exists.

    A str pattern tests ``\w`` with Unicode's tables, a call per character; with ``re.ASCII`` it is one
    table lookup, which tokenizes about a quarter faster. On a text that is all ASCII both find the same
    tokens, provided the pattern itself is ASCII and uses no escape whose ASCII meaning differs (only
    those in ``_ASCII_SAFE_ESCAPES``; ``\u``, ``\x`` and the like could name a non-ASCII character).
    Any other pattern is used as it is.
    """
    findall = re.compile(token_pattern).findall
    body = token_pattern.removeprefix("(?u)")  # the Unicode flag, which cannot be combined with re.ASCII
    if not body.isascii() or "\\" in _ASCII_SAFE_ESCAPES.sub("", body):
        return findall
    try:
        ascii_findall = re.compile(body, re.ASCII).findall
    except re.error:  # e.g. a scoped (?u:...) group
        return findall
    return lambda text: ascii_findall(text) if text.isascii() else findall(text)


class SparseRows(NamedTuple):
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


class TermIndex:
    """Character n-grams -> columns: each term's text is its key. One dict lookup per n-gram, in C."""

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


class WordNgramIndex:
    """Word n-grams -> columns, keyed by numbers instead of strings (MODEL_ARTIFACT.md, format 4).

    Each word of the vocabulary has an id, and an n-gram of words is the number
    ``id_1 * W**(n-1) + ... + id_n`` (W words). A batch then costs one dict lookup per token, after
    which every n-gram of every text is built, found and counted by a few numpy calls on the whole batch:
    no n-gram string is ever joined or hashed. Unigrams are found by indexing a table, longer n-grams in
    a ``NumberTable`` of the numbers of the terms of that length.
    """

    def __init__(
        self, words: list[str], ngrams: np.ndarray, sorted_terms: "SortedTerms", ngram_range: tuple[int, int]
    ):
        """``ngrams[i]`` holds term i's word ids, padded with -1; ``sorted_terms`` lists the terms by
        (length, number). The loader checks them (model_artifact.word_ngram_index)."""
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
        return " ".join(self._words[word] for word in self._ngrams[column].tolist() if word >= 0)

    def count(self, texts_tokens: list[list[str]]) -> SparseRows:
        """Per text, the columns of its n-grams found here and how often each occurs (as float64).

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
        return _counted(pairs, len(texts_tokens), self.n_terms)

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
        numbers = ids.take(starts)
        for j in range(1, n):
            numbers = numbers * self.n_words + ids.take(starts + j)
        return starts, numbers


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
            position = np.searchsorted(self._sorted_numbers, wanted)
            position[position == len(self._sorted_numbers)] = 0
            at = _positions(self._sorted_numbers.take(position) == wanted)
            columns[pending.take(at)] = self._sorted_columns.take(position.take(at))
        at = _positions(columns != self._EMPTY)
        return at, columns.take(at)


class SortedTerms(NamedTuple):
    """The word block's terms sorted by (number of words, number): the i-th is column ``order[i]``,
    of ``lengths[i]`` words and number ``numbers[i]``."""

    order: np.ndarray
    lengths: np.ndarray
    numbers: np.ndarray


def ngram_lengths_and_numbers(ngrams: np.ndarray, n_words: int) -> tuple[np.ndarray, np.ndarray]:
    """Each term's number of words (its ids before the -1 padding; the smallest unsigned type) and its
    number ``id_1 * W**(n-1) + ... + id_n`` (int64: the caller ensures W**n does not overflow).

    Computed in place, in two arrays: every temporary the size of the vocabulary is fresh memory, whose
    page faults a cold start pays.
    """
    lengths = np.ones(len(ngrams), np.min_scalar_type(ngrams.shape[1]))
    numbers = ngrams[:, 0].astype(np.int64)
    for j in range(1, ngrams.shape[1]):
        more = ngrams[:, j] >= 0
        lengths += more
        np.multiply(numbers, n_words, out=numbers, where=more)
        np.add(numbers, ngrams[:, j], out=numbers, where=more)
    return lengths, numbers


def _positions(mask: np.ndarray) -> np.ndarray:
    """Where a 1-D boolean array is true: ``np.flatnonzero`` without its Python-level wrapper, which
    costs as much as the work for one text's few hundred values."""
    return mask.nonzero()[0]


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


class TfidfFeaturizer:
    """One block: turns texts into the (indices, weights) of their non-zero TF-IDF features.

    ``index`` finds the block's terms: a ``WordNgramIndex`` for the word analyzer (it is given each
    text's tokens), a ``TermIndex`` for the character analyzers (given each text's n-grams).
    """

    def __init__(self, index: "TermIndex | WordNgramIndex", idf: np.ndarray, settings: FeaturizerSettings):
        needed = WordNgramIndex if settings.analyzer == WORD_ANALYZER else TermIndex
        if not isinstance(index, needed):
            raise ValueError(f"the {settings.analyzer} analyzer needs a {needed.__name__}")
        self.index = index
        self._idf = idf
        self._settings = settings
        self._strip_accents = _ACCENT_FUNCTIONS[settings.strip_accents]
        # The common settings (lowercase, accents kept) preprocess with str.lower itself: no Python call
        # per text.
        plain_lower = settings.lowercase and self._strip_accents is None
        self._preprocess: Callable[[str], str] = str.lower if plain_lower else self.preprocess
        self._split: Callable[[str], Iterable[str]] = self._splitter(settings)
        self.n_features = len(idf)

    def _splitter(self, settings: FeaturizerSettings) -> Callable[[str], Iterable[str]]:
        """What the index is given per text: the word analyzer's tokens, or the character n-grams."""
        low, high = settings.ngram_range
        if settings.analyzer == CHAR_ANALYZER:
            return lambda text: char_ngrams(text, low, high)
        if settings.analyzer == CHAR_WB_ANALYZER:
            return lambda text: char_wb_ngrams(text, low, high)
        return word_tokenizer(settings.token_pattern)

    def preprocess(self, text: str) -> str:
        """Lowercase first, then strip accents: scikit-learn's order, for every analyzer."""
        if self._settings.lowercase:
            text = text.lower()
        if self._strip_accents is not None:
            text = self._strip_accents(text)
        return text

    def transform_batch(self, texts: list[str]) -> SparseRows:
        """The documents' non-zero features, one row per text in input order: counted by the index, then
        weighed in one pass over the whole batch."""
        rows = self.index.count(list(map(self._split, map(self._preprocess, texts))))
        self._weigh(rows, rows.indptr[1:] - rows.indptr[:-1])
        return rows

    def _weigh(self, rows: SparseRows, row_lengths: np.ndarray) -> None:
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

    def feature_name(self, column: int) -> str:
        """The term of feature ``column`` (over all blocks): what an explanation calls it."""
        block = bisect_right(self._offsets, column) - 1
        return self.blocks[block].index.name(column - self._offsets[block])

    def feature_names(self) -> list[str]:
        """Every feature's term, in column order (a list of the whole vocabulary: for tests and tools)."""
        return [self.feature_name(column) for column in range(self.n_features)]

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
