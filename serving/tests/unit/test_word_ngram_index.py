"""Finding word n-grams by number: the hash table against a dict, and the n-grams a batch yields."""

import numpy as np
import pytest

from serving.app.tfidf.word_ngrams import NumberTable
from serving.tests.artifact_export import word_index


@pytest.mark.parametrize(
    "numbers",
    [
        np.array([7]),
        np.arange(0, 50_000, 7),
        np.arange(1, 4097) << 40,  # same low bits: a weak hash would put them all in one slot
        np.unique(np.random.default_rng(3).integers(0, 2**62, 20_000)),
    ],
    ids=["one", "spaced", "high-bits-only", "random"],
)
def test_finds_exactly_the_numbers_it_holds(numbers):
    columns = np.random.default_rng(0).permutation(len(numbers))
    table = NumberTable(numbers, columns)
    expected = dict(zip(numbers.tolist(), columns.tolist(), strict=True))
    rng = np.random.default_rng(1)
    queries = np.concatenate([numbers, numbers + 1, rng.integers(0, 2**62, 5_000), numbers[::-1]])
    for asked in (queries, queries[:300]):  # many (hash rounds) and few (binary search) at once
        at, found = table.find(asked)
        assert at.tolist() == [i for i, number in enumerate(asked.tolist()) if number in expected]
        assert found.tolist() == [expected[number] for number in asked[at].tolist()]


def test_nothing_to_find():
    at, found = NumberTable(np.arange(10), np.arange(10)).find(np.zeros(0, np.int64))
    assert at.shape == found.shape == (0,)


def test_ngrams_stay_within_their_text_and_skip_unknown_words():
    index = word_index(["new", "york", "new york", "york city", "new york city"], (1, 3))
    rows, _ = index.count([["new"], ["york", "city"], ["new", "york", "city"], ["new", "old", "york"]])
    names = [
        [index.name(column) for column in rows.indices[start:end]]
        for start, end in zip(rows.indptr[:-1], rows.indptr[1:], strict=True)
    ]
    assert [sorted(row) for row in names] == [
        ["new"],  # "new" then "york" in the next text is no bigram
        ["york", "york city"],
        ["new", "new york", "new york city", "york", "york city"],
        ["new", "york"],  # "old" is unknown: no n-gram runs through it
    ]


def test_counts_repeat_occurrences():
    index = word_index(["a", "a a"], (1, 2))
    rows, _ = index.count([["a", "a", "a"]])
    assert dict(zip(map(index.name, rows.indices.tolist()), rows.weights.tolist(), strict=True)) == {
        "a": 3.0,
        "a a": 2.0,
    }


def test_coverage_is_the_share_of_tokens_that_are_words_of_the_vocabulary():
    index = word_index(["new", "york", "new york", "york city"], (1, 2))
    texts = [["new", "old", "york"], [], ["city"], ["a", "b"], ["new", "york", "new"]]
    _, coverage = index.count(texts)
    # "city" is a word of the vocabulary through "york city" alone: the model knows it.
    assert coverage.tolist() == [2 / 3, 0.0, 1.0, 0.0, 1.0]
    assert [index.count([text])[1].tolist() for text in texts] == [[share] for share in coverage.tolist()]
