"""Word tokens: the ASCII twin of a token pattern finds exactly what ``re.findall`` of the pattern finds."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serving.app.tfidf.text_analysis import word_tokenizer

PATTERNS = [
    r"(?u)\w++(?:[.@]\w++)*+",  # params.yaml's
    r"(?u)\b\w\w+\b",  # scikit-learn's default
    r"\w+",
    r"[^\W\d_]+|\d+",
    r"\S+",  # \s differs on ASCII text: Unicode counts \x1c-\x1f as whitespace
    r"[^\s]+",
    r"(?i)[a-z]+",
    r"(?i)\u017f+",  # the long s, which ignoring case matches "s" (ASCII, but named by an escape)
    r"\x41+|[\x80-\uffff]+",
    r"(?u:\w+)",  # a scoped Unicode flag: no ASCII twin compiles
]
# Every ASCII character, the ones whose Unicode classes differ from ASCII's (\x1c-\x1f) several times
# over, and a few non-ASCII ones (those texts take the Unicode pattern).
CHARACTERS = st.sampled_from(
    [chr(code) for code in range(128)] + ["\x1c", "\x1d", "\x1e", "\x1f", "é", "\u017f", "٣", "\u2028"]
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(CHARACTERS, max_size=40), pattern=st.sampled_from(PATTERNS))
def test_tokens_equal_re_findall(text, pattern):
    assert word_tokenizer(pattern)(text) == re.findall(pattern, text)


@pytest.mark.parametrize(
    ("pattern", "text", "tokens"),
    [
        (r"\S+", "a\x1cb", ["a", "b"]),  # an ASCII \S would keep "a\x1cb" whole
        (r"(?i)\u017f", "s", ["s"]),  # an ASCII pattern would not match "s"
        (r"(?u)\w++(?:[.@]\w++)*+", "Mail jo@cs.cmu.edu, v1.3.", ["Mail", "jo@cs.cmu.edu", "v1.3"]),
        (r"(?u)\w++(?:[.@]\w++)*+", "naïve café", ["naïve", "café"]),
    ],
)
def test_the_cases_an_ascii_pattern_would_get_wrong(pattern, text, tokens):
    assert word_tokenizer(pattern)(text) == tokens
