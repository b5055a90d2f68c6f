"""What one block does to a text before counting: preprocess it, then cut it into words or character n-grams.

Each function reproduces scikit-learn 1.9's analyzer step it names (MODEL_ARTIFACT.md, "How serving
computes a prediction"). Character n-grams are cut by ``map``/``zip`` chains that run in C: a
100,000-character text yields about half a million of them, far too many for a Python-level loop per
character.

Target: batch throughput and warm latency (``make bench``); the parity tests hold the tokens and n-grams
to scikit-learn's.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable
from itertools import chain

from ..contracts.linear_tfidf import ASCII_ACCENTS, CHAR_ANALYZER, CHAR_WB_ANALYZER, UNICODE_ACCENTS

# scikit-learn's VectorizerMixin._white_spaces: a run of two or more whitespace characters becomes one
# space before character n-grams are cut; a single "\n" or "\t" stays as it is.
_WHITE_SPACES = re.compile(r"\s\s+")


def strip_accents_ascii(text: str) -> str:
    """Decompose characters and drop everything that is not ASCII, as scikit-learn does."""
    return unicodedata.normalize("NFKD", text).encode("ASCII", "ignore").decode("ASCII")


def strip_accents_unicode(text: str) -> str:
    """Decompose characters and drop combining marks, as scikit-learn does (ASCII passes unchanged)."""
    if text.isascii():
        return text
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(char for char in normalized if not unicodedata.combining(char))


ACCENT_FUNCTIONS = {None: None, ASCII_ACCENTS: strip_accents_ascii, UNICODE_ACCENTS: strip_accents_unicode}


def preprocessor(lowercase: bool, strip_accents: str | None) -> Callable[[str], str]:
    """Lowercase first, then strip accents: scikit-learn's order (the other order differs for hundreds of
    code points, e.g. U+03D2), for every analyzer.

    The common settings (lowercase, accents kept) preprocess with ``str.lower`` itself: no Python call per
    text.
    """
    strip = ACCENT_FUNCTIONS[strip_accents]
    if strip is None:
        return str.lower if lowercase else str
    return (lambda text: strip(text.lower())) if lowercase else strip


def splitter(analyzer: str, token_pattern: str | None, ngram_range: tuple[int, int]) -> Callable:
    """What a block's index is given per preprocessed text: the word analyzer's tokens, or the character
    n-grams."""
    low, high = ngram_range
    if analyzer == CHAR_ANALYZER:
        return lambda text: char_ngrams(text, low, high)
    if analyzer == CHAR_WB_ANALYZER:
        return lambda text: char_wb_ngrams(text, low, high)
    return word_tokenizer(token_pattern)


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


def char_wb_ngram_count(text: str, low: int, high: int) -> int:
    """How many n-grams scikit-learn's ``_char_wb_ngrams`` yields for ``text``: ``char_wb_ngrams``'
    substrings less those crossing a word boundary (which are no n-grams of the text), from the padded
    words' lengths alone. The denominator of a char_wb block's vocabulary coverage."""
    count = 0
    for length in map(len, _WHITE_SPACES.sub(" ", text).split()):
        padded = length + 2
        longest = min(high, padded)
        if padded < low:
            count += 1
        elif longest >= low:  # n-grams of n = low..longest words: padded - n + 1 each
            sizes = longest - low + 1
            count += sizes * (padded + 1) - (low + longest) * sizes // 2
    return count


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
