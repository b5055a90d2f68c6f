"""The captured texts' most frequent terms the model does not know, by the model's own analysis.

Each text is cut as serving's featurizer cuts it for the block whose coverage the handler reports
(``tfidf.text_analysis``: lowercasing, accents, token pattern or character n-grams, with that block's
settings from model.json), and the units that block's vocabulary lacks are what ``VocabularyCoverage``
counts as unknown (a test holds the two equal). For a model with a word block those are words; for a
model of character blocks only they are character n-grams of its first block (e.g. " zq", "qx"): a word
the model never saw shows up as the n-grams it brings that no training text had.

Built from serving's public pieces, outside the package the image carries: nothing here runs per request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from monitoring.captures import CapturedText
from serving.app.contracts.linear_tfidf import CHAR_WB_ANALYZER, KIND, WORD_ANALYZER
from serving.app.families.linear_tfidf import read_settings
from serving.app.tfidf.text_analysis import preprocessor, splitter


class UnknownTerms(NamedTuple):
    """The most frequent unknown units, how many units the texts had in all and how many were unknown,
    and what a unit is (the coverage block's analyzer: ``word``, ``char`` or ``char_wb``; None for a model
    kind that cannot say)."""

    most_frequent: list[tuple[str, int]]
    units: int
    unknown: int
    analyzer: str | None


class Vocabulary(NamedTuple):
    """The coverage block: how it cuts a text into units, and the units it knows."""

    analyzer: str
    cut: Callable[[str], list[str]]
    known: frozenset[str]


def coverage_vocabulary(model: Any) -> Vocabulary | None:
    """The block whose coverage the handler reports, as ``tfidf.featurizer.FeatureUnion`` picks it: the
    word block, else the first. None for a model kind other than linear TF-IDF."""
    featurizer = getattr(model.classifier, "featurizer", None)
    if model.description.get("kind") != KIND or featurizer is None:
        return None
    blocks = [settings for settings, _ in read_settings(model.description["settings"], "model.json").blocks]
    analyzers = [settings.analyzer for settings in blocks]
    k = analyzers.index(WORD_ANALYZER) if WORD_ANALYZER in analyzers else 0
    settings, index = blocks[k], featurizer.blocks[k].index
    names = [index.name(column) for column in range(index.n_terms)]
    # A word block's terms are n-grams of words: coverage counts a token known when it is one of them.
    known = (
        {word for name in names for word in name.split(" ")} if settings.analyzer == WORD_ANALYZER else names
    )
    preprocess = preprocessor(settings.lowercase, settings.strip_accents)
    split = splitter(settings.analyzer, settings.token_pattern, settings.ngram_range)

    def cut(text: str) -> list[str]:
        units = split(preprocess(text))
        if settings.analyzer == CHAR_WB_ANALYZER:  # substrings across two words are no n-grams of the text
            return [unit for unit in units if "  " not in unit]
        return list(units)

    return Vocabulary(settings.analyzer, cut, frozenset(known))


def unknown_terms(model: Any, texts: Sequence[CapturedText], top: int) -> UnknownTerms:
    """The ``top`` most frequent units of ``texts`` outside the model's vocabulary, most frequent first."""
    vocabulary = coverage_vocabulary(model)
    if vocabulary is None:
        return UnknownTerms([], 0, 0, None)
    counts: Counter[str] = Counter()
    units = 0
    for captured in texts:
        found = vocabulary.cut(captured.text)
        units += len(found)
        counts.update(unit for unit in found if unit not in vocabulary.known)
    return UnknownTerms(counts.most_common(top), units, counts.total(), vocabulary.analyzer)
