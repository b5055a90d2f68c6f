"""count_terms is CountVectorizer.fit_transform, entry for entry and in the same order, on awkward corpora:
pruning by min_df and max_df (counts and shares), words and character n-grams, chunk and merge boundaries,
and hashes that collide."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from training import counting
from training.counting import count_terms
from training.tests.corpus import make_corpus

WORD = {"ngram_range": (1, 2), "token_pattern": r"(?u)\w+(?:[.@]\w+)*"}
SETTINGS = {
    "word, min_df 2": WORD | {"min_df": 2},
    "word, min_df 1": WORD | {"min_df": 1},
    "word, min_df 3, max_df 0.5": WORD | {"min_df": 3, "max_df": 0.5},
    "word, min_df share, max_df count": WORD | {"min_df": 0.02, "max_df": 40},
    "word, binary, no lowercase": WORD | {"min_df": 2, "binary": True, "lowercase": False},
    "word 1-3, accents stripped": {"ngram_range": (1, 3), "min_df": 2, "strip_accents": "unicode"},
    "char_wb 2-4": {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 2},
    "char 1-3, max_df 0.9": {"analyzer": "char", "ngram_range": (1, 3), "min_df": 2, "max_df": 0.9},
}


@pytest.fixture(scope="module")
def texts():
    corpus, _ = make_corpus(per_label=30, seed=11)
    awkward = [
        "",  # an empty document
        "zzz qqq",  # terms seen once only: everything in it is pruned
        "Mail jo@cs.cmu.edu about the COMET; café crème, cafe creme",
        "the the the the comet comet",  # repeated terms
        "   ",
    ]
    return [*corpus[:40], *awkward, *corpus[40:]]


def assert_same_as_scikit_learn(settings: dict, texts: list[str]) -> None:
    vectorizer = CountVectorizer(**settings, dtype=np.float64)
    expected = vectorizer.fit_transform(texts)
    actual, terms = count_terms(CountVectorizer(**settings, dtype=np.float64), texts)
    assert list(terms) == list(vectorizer.get_feature_names_out())
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    # Not only the same values: the same entries in the same order in every row.
    np.testing.assert_array_equal(actual.indptr, expected.indptr)
    np.testing.assert_array_equal(actual.indices, expected.indices)
    np.testing.assert_array_equal(actual.data, expected.data)


@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
def test_counts_equal_count_vectorizer(texts, settings):
    assert_same_as_scikit_learn(settings, texts)


@pytest.mark.parametrize("settings", SETTINGS.values(), ids=SETTINGS.keys())
def test_chunk_and_merge_boundaries_change_nothing(texts, settings, monkeypatch):
    """Chunks of a few documents and a merge after nearly every chunk."""
    monkeypatch.setattr(counting, "CHUNK_CHARS", 150)
    monkeypatch.setattr(counting, "MERGE_ENTRIES", 8)
    assert_same_as_scikit_learn(settings, texts)


def test_colliding_hashes_only_add_candidates_that_the_exact_count_drops(texts, monkeypatch):
    """With a hash shared by all terms of a length, every term reaches min_df by the hashes' counts;
    the exact count of the second pass must still prune exactly the terms CountVectorizer prunes."""
    monkeypatch.setattr(counting, "_term_hash", len)
    for settings in (SETTINGS["word, min_df 3, max_df 0.5"], SETTINGS["char_wb 2-4"]):
        assert_same_as_scikit_learn(settings, texts)


def test_rare_terms_are_never_held_as_strings(texts, monkeypatch):
    """The second pass sees only candidates: a term met once is not among them (the memory saving)."""
    seen = []
    monkeypatch.setattr(counting, "_count_chunk", _spy(counting._count_chunk, seen))
    count_terms(CountVectorizer(**SETTINGS["word, min_df 2"]), texts)
    candidates = seen[0]
    assert counting._term_hash("zzz") not in set(candidates.tolist())
    assert counting._term_hash("comet") in set(candidates.tolist())


def _spy(function, seen: list):
    def wrapper(analyze, chunk, candidates, vocabulary):
        seen.append(candidates)
        return function(analyze, chunk, candidates, vocabulary)

    return wrapper


@pytest.mark.parametrize(
    ("settings", "documents", "message"),
    [
        ({"min_df": 1}, ["", "   "], "empty vocabulary"),
        ({"min_df": 3}, ["alpha beta", "gamma delta", "beta", "delta"], "After pruning, no terms remain"),
        (
            {"min_df": 5, "max_df": 2},
            ["alpha beta", "alpha"],
            "max_df corresponds to < documents than min_df",
        ),
    ],
)
def test_the_same_errors_as_count_vectorizer(settings, documents, message):
    with pytest.raises(ValueError, match=message):
        CountVectorizer(**settings).fit_transform(documents)
    with pytest.raises(ValueError, match=message):
        count_terms(CountVectorizer(**settings), documents)


@pytest.mark.parametrize("settings", [{"max_features": 10}, {"vocabulary": ["alpha"]}])
def test_refuses_settings_it_does_not_implement(settings):
    with pytest.raises(ValueError, match="use CountVectorizer"):
        count_terms(CountVectorizer(**settings), ["alpha beta", "alpha"])
