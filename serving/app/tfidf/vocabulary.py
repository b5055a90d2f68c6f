"""The featurizer built from the artifact's arrays, after checking what its indexes rely on.

The word block's terms are the rows of ``word_ngrams`` (word ids into ``words``); the character blocks'
terms follow each other in ``vocabulary``, cut at ``term_lengths`` (serving/MODEL_ARTIFACT.md).

Target: the cold start (``make bench``): the text is decoded once and cut, the word index is built from
ids and numbers, never from term strings.
"""

import numpy as np

from ..artifact.arrays import decoded_text
from ..artifact.manifest import FilePath, ModelLoadError
from ..contracts.linear_tfidf import CHAR_WB_ANALYZER, NUMBER_LIMIT, PADDING, WORD_ANALYZER
from .featurizer import FeatureUnion, FeaturizerSettings, TfidfFeaturizer
from .term_index import TermIndex
from .word_ngrams import WordNgramIndex, sorted_terms, term_lengths


def feature_union(
    blocks: list[tuple[FeaturizerSettings, int]], arrays: dict[str, np.ndarray], path: FilePath
) -> FeatureUnion:
    """The blocks over their columns of the arrays: block k's features follow blocks 0..k-1's."""
    char_terms = decoded_strings(arrays["vocabulary"], arrays["term_lengths"], "vocabulary", path)
    featurizers, start, char_start = [], 0, 0
    for k, (settings, size) in enumerate(blocks):
        if settings.analyzer == WORD_ANALYZER:
            index = word_ngram_index(arrays, settings.ngram_range, path)
        else:
            index = term_index(char_terms[char_start : char_start + size], settings, k, path)
            char_start += size
        featurizers.append(TfidfFeaturizer(index, arrays["idf"][start : start + size], settings))
        start += size
    return FeatureUnion(featurizers)


def decoded_strings(data: np.ndarray, lengths: np.ndarray, name: str, path: FilePath) -> list[str]:
    """The strings of a text array, in order: the bytes decoded once, then cut at the lengths (in
    characters)."""
    text = decoded_text(data, name, path)
    ends = np.cumsum(lengths, dtype=np.int64)
    total = int(ends[-1]) if len(ends) else 0
    if total != len(text):
        raise ModelLoadError(
            path, f"the lengths of array {name!r} add up to {total} characters but it holds {len(text)}"
        )
    ends = ends.tolist()
    return list(map(text.__getitem__, map(slice, [0, *ends[:-1]], ends)))


def term_index(terms: list[str], settings: FeaturizerSettings, k: int, path: FilePath) -> TermIndex:
    """A character block's terms -> columns; one distinct term per feature.

    A char_wb term never holds two consecutive spaces (it is cut from one space-padded word): the
    featurizer relies on it to skip the n-grams that cross words, so a vocabulary breaking it is refused.
    """
    if settings.analyzer == CHAR_WB_ANALYZER and any("  " in term for term in terms):
        raise ModelLoadError(path, f"array 'vocabulary' has a char_wb term with two spaces in block {k}")
    index = TermIndex(terms)  # its dict counts the distinct terms: no second pass over them
    if index.n_distinct_terms != len(terms):
        raise ModelLoadError(path, f"array 'vocabulary' contains duplicate terms in block {k}")
    return index


def word_ngram_index(
    arrays: dict[str, np.ndarray], ngram_range: tuple[int, int], path: FilePath
) -> WordNgramIndex:
    """The word block's index, after checking what it relies on: distinct words without spaces; per
    term, ``ngram_range[1]`` slots of known word ids then padding, at least ``ngram_range[0]`` ids;
    numbers within int64; and ``word_ngram_order`` sorting the terms strictly by (length, number),
    which also proves the terms distinct."""
    # The words are UTF-8 text, one space between words (no word holds a space, since spaces are what
    # separate the words of an n-gram).
    words = decoded_text(arrays["words"], "words", path).split(" ")
    ngrams, order = arrays["word_ngrams"], arrays["word_ngram_order"]
    low, high = ngram_range
    valid = (
        ngrams.shape[1] == high
        and ngrams.min(initial=PADDING) >= PADDING
        and ngrams.max(initial=PADDING) < len(words)
    )
    # Padding only at the end: no known id after a padding one.
    valid = valid and len(ngrams) and (ngrams[:, 0] != PADDING).all()
    valid = valid and not any(
        ((ngrams[:, j] != PADDING) & (ngrams[:, j - 1] == PADDING)).any() for j in range(1, high)
    )
    if not valid:
        raise ModelLoadError(path, f"array 'word_ngrams' must hold {high} word ids per term, padding last")
    if len(words) ** high >= NUMBER_LIMIT:
        raise ModelLoadError(path, f"{len(words)} words in n-grams of up to {high} overflow 64-bit numbers")
    lengths = term_lengths(ngrams)
    if lengths.min() < low:
        raise ModelLoadError(path, f"array 'word_ngrams' has a term of fewer than {low} words")
    if order.min() < 0 or order.max() >= len(order):
        raise ModelLoadError(path, "array 'word_ngram_order' must list term positions")
    unsorted = "array 'word_ngram_order' must sort the terms by (length, number); duplicate terms?"
    if (lengths.take(order[1:]) < lengths.take(order[:-1])).any():
        raise ModelLoadError(path, unsorted)
    terms = sorted_terms(ngrams, order, lengths, len(words))
    longer, same = terms.lengths[1:] > terms.lengths[:-1], terms.lengths[1:] == terms.lengths[:-1]
    if not (longer | (same & (terms.numbers[1:] > terms.numbers[:-1]))).all():
        raise ModelLoadError(path, unsorted)
    index = WordNgramIndex(words, ngrams, terms, ngram_range)
    if index.n_distinct_words != len(words):
        raise ModelLoadError(path, "array 'words' holds a word twice")
    return index
