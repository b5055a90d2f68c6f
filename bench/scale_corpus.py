"""A generated labelled corpus of any size, whose vocabulary grows with its size as real text's does.

`make bench-scale` needs corpora of 10,000 to 1,000,000 documents that cost what real text of that size
costs. What drives the cost of training is the vocabulary: the number of distinct words and word pairs
grows with the corpus (Heaps' law) because word frequencies follow Zipf's law, and most of the pairs
occur once. A corpus drawn from a few fixed words would stop growing and flatter the pipeline. So:

- Words are pronounceable pseudo-words (`kaibro`, `tesha`): syllable strings numbered in bijective base
  `len(SYLLABLES)`, so every rank has its own word, the frequent words are the short ones, and no two
  ranks spell the same string.
- Every token is drawn from one of three Zipfian distributions: the shared background language (ranks
  over the whole word list, Zipf-Mandelbrot), the document's topic group (5 classes share a group's
  words, which is what makes them confusable), or the document's own class. The shares and the group
  structure set the accuracy well below 1.
- A document has about `MEAN_CHARS` characters: its number of words is Poisson, with the mean word
  length measured on the background distribution.

Everything is drawn from one seeded numpy Generator: the same seed and size give the same file, byte for
byte, and a corpus's first documents do not depend on its size.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ONSETS = [
    "b",
    "c",
    "d",
    "f",
    "g",
    "h",
    "j",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "w",
    "z",
    "br",
    "ch",
    "cr",
    "dr",
    "fl",
    "gr",
    "kl",
    "pl",
    "pr",
    "sh",
    "st",
    "th",
    "tr",
]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
# Each syllable is a consonant run then a vowel run, and the runs are distinct strings: a word splits
# into syllables one way only, so distinct ranks spell distinct words.
SYLLABLES = [onset + vowel for onset, vowel in itertools.product(ONSETS, VOWELS)]

N_CLASSES = 50
CLASSES_PER_GROUP = 5
MEAN_CHARS = 300
VOCABULARY_SIZE = 4_000_000  # ranks of the background language: more than 1M documents use
BACKGROUND_EXPONENT = 1.2
BACKGROUND_OFFSET = 2.7  # Mandelbrot's shift: the most frequent words are not quite as dominant
TOPIC_EXPONENT = 1.0
GROUP_WORDS = 4000
CLASS_WORDS = 1500
# Where a token comes from: the shared language, the topic group, the class itself.
SHARES = (0.82, 0.145, 0.035)
CHUNK_DOCUMENTS = 5_000  # drawn whole, so a corpus's first documents do not depend on its size


@dataclass(frozen=True)
class Topic:
    """A Zipfian distribution over some word ranks: `ranks[i]` has cumulative weight `cumulative[i]`."""

    ranks: np.ndarray
    cumulative: np.ndarray

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` ranks drawn by inverse transform; the uniforms are looked up in ascending order (each
        search starts where the last ended: several times faster over millions of ranks), same result."""
        uniform = rng.random(n)
        order = np.argsort(uniform)
        picks = np.empty(n, dtype=np.int64)
        picks[order] = np.searchsorted(self.cumulative, uniform[order], side="right")
        return self.ranks[picks]


def word(rank: int) -> str:
    """The pseudo-word of a rank (0 is the most frequent): its digits in bijective base len(SYLLABLES)."""
    if rank < 0:
        raise ValueError(f"a word rank is >= 0, got {rank}")
    syllables, n = [], rank + 1
    while n:
        n, digit = divmod(n - 1, len(SYLLABLES))
        syllables.append(SYLLABLES[digit])
    return "".join(reversed(syllables))


def label(class_index: int) -> str:
    return f"topic-{class_index:02d}"


def _zipf(ranks: np.ndarray, exponent: float, offset: float = 1.0) -> Topic:
    weights = 1.0 / (np.arange(len(ranks)) + offset) ** exponent
    cumulative = np.cumsum(weights)
    return Topic(ranks, cumulative / cumulative[-1])


class CorpusGenerator:
    """Documents and labels of the generated corpus, from `seed`."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        topic_rng = np.random.default_rng([seed, 0])
        self.background = _zipf(np.arange(VOCABULARY_SIZE), BACKGROUND_EXPONENT, BACKGROUND_OFFSET)
        # Topic words are mid-frequency words of the language, each group and class its own random pick.
        pool = np.arange(300, 300_000)
        n_groups = N_CLASSES // CLASSES_PER_GROUP
        self.groups = [
            _zipf(topic_rng.choice(pool, GROUP_WORDS, replace=False), TOPIC_EXPONENT) for _ in range(n_groups)
        ]
        self.classes = [
            _zipf(topic_rng.choice(pool, CLASS_WORDS, replace=False), TOPIC_EXPONENT)
            for _ in range(N_CLASSES)
        ]
        mean_word = self._mean_word_length(np.random.default_rng([seed, 1]))
        self.mean_words = MEAN_CHARS / (mean_word + 1)  # one space after each word
        self._words: dict[int, str] = {}

    def _mean_word_length(self, rng: np.random.Generator, n: int = 20_000) -> float:
        """The mean length of a token, measured on a sample of each source weighed by its share."""
        sources = (self.background, self.groups[0], self.classes[0])
        lengths = [np.mean([len(word(r)) for r in source.draw(rng, n).tolist()]) for source in sources]
        return float(np.dot(lengths, SHARES) / sum(SHARES))

    def documents(
        self, n: int, stream: int = 0, vocabulary: Vocabulary | None = None
    ) -> Iterator[tuple[str, str]]:
        """The first `n` (text, label) pairs of `stream`, generated a chunk at a time.

        Streams are independent draws from the same classes: stream 0 trains, stream 1 tests.
        `vocabulary`, when given, counts the distinct words and word pairs on the way.
        """
        if n < 1:
            raise ValueError(f"a corpus has at least one document, got {n}")
        for chunk, start in enumerate(range(0, n, CHUNK_DOCUMENTS)):
            rng = np.random.default_rng([self.seed, 2 + stream, chunk])
            classes, lengths, ranks = self._draw(rng, CHUNK_DOCUMENTS)
            if n - start < CHUNK_DOCUMENTS:  # the last chunk: its first documents only
                classes, lengths = classes[: n - start], lengths[: n - start]
                ranks = ranks[: lengths.sum()]
            if vocabulary is not None:
                vocabulary.add(lengths, ranks)
            words = self._spell(ranks)
            ends = np.cumsum(lengths).tolist()
            for k, end in enumerate(ends):
                yield " ".join(words[end - int(lengths[k]) : end]), label(int(classes[k]))

    def _draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(class, number of words) of `n` documents, and their words' ranks one after the other."""
        classes = rng.integers(0, N_CLASSES, n)
        lengths = np.maximum(rng.poisson(self.mean_words, n), 3)
        owners = np.repeat(classes, lengths)
        source = np.searchsorted(np.cumsum(SHARES), rng.random(len(owners)) * sum(SHARES), side="right")
        ranks = self.background.draw(rng, len(owners))
        for k in range(N_CLASSES):
            topical = owners == k
            in_group, own = topical & (source == 1), topical & (source == 2)
            ranks[in_group] = self.groups[k // CLASSES_PER_GROUP].draw(rng, int(in_group.sum()))
            ranks[own] = self.classes[k].draw(rng, int(own.sum()))
        return classes, lengths, ranks

    def _spell(self, ranks: np.ndarray) -> list[str]:
        """The words of `ranks`, each distinct rank spelled once and remembered."""
        cache = self._words
        return [cache[r] if r in cache else cache.setdefault(r, word(r)) for r in ranks.tolist()]


class Vocabulary:
    """Distinct words and distinct pairs of neighbouring words in a document (what a word 1-2-gram
    vectorizer meets before any pruning), counted as integer codes rather than strings."""

    def __init__(self) -> None:
        self._seen = np.zeros(VOCABULARY_SIZE, dtype=bool)
        self._pairs = np.empty(0, np.int64)
        self._pending: list[np.ndarray] = []

    def add(self, lengths: np.ndarray, ranks: np.ndarray) -> None:
        self._seen[ranks] = True
        follows = np.ones(len(ranks), dtype=bool)
        follows[np.cumsum(lengths)[:-1]] = False  # a document's first word follows no word of it
        follows[0] = False
        second = np.flatnonzero(follows)
        self._pending.append(np.unique(ranks[second - 1] * VOCABULARY_SIZE + ranks[second]))
        if sum(map(len, self._pending)) > max(len(self._pairs), 1 << 22):
            self._merge()

    def _merge(self) -> None:
        self._pairs = np.unique(np.concatenate([self._pairs, *self._pending]))
        self._pending = []

    @property
    def words(self) -> int:
        return int(self._seen.sum())

    @property
    def pairs(self) -> int:
        self._merge()
        return len(self._pairs)


@dataclass(frozen=True)
class CorpusFile:
    """A written corpus: where, how many documents and characters, its distinct words and word pairs."""

    path: Path
    documents: int
    characters: int
    distinct_words: int
    distinct_bigrams: int


def write_corpus(path: Path, n: int, seed: int = 0, stream: int = 0) -> CorpusFile:
    """Write the first `n` documents of `stream` to a CSV file with `text` and `label` columns.

    The texts hold only letters and spaces, so no field needs quoting.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    vocabulary, characters = Vocabulary(), 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("text,label\n")
        batch = []
        for text, name in CorpusGenerator(seed).documents(n, stream, vocabulary):
            characters += len(text)
            batch.append(f"{text},{name}\n")
            if len(batch) >= 10_000:
                out.writelines(batch)
                batch.clear()
        out.writelines(batch)
    return CorpusFile(path, n, characters, vocabulary.words, vocabulary.pairs)
