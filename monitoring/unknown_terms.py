"""The captured texts' most frequent terms the model does not know, by the model's own analysis.

Serving's featurizer cuts each text as it does when it classifies it (lowercasing, accents, token pattern
or character n-grams) and names the units its coverage block's vocabulary lacks: exactly what
``VocabularyCoverage`` counts as unknown. For a model with a word block those are words; for a model of
character blocks only they are character n-grams of its first block (e.g. " zq", "qx"): a word the model
never saw shows up as the n-grams it brings that no training text had.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from monitoring.captures import CapturedText


class UnknownTerms(NamedTuple):
    """The most frequent unknown units, how many units the texts had in all and how many were unknown,
    and what a unit is (the coverage block's analyzer: ``word``, ``char`` or ``char_wb``; None for a model
    kind that cannot say)."""

    most_frequent: list[tuple[str, int]]
    units: int
    unknown: int
    analyzer: str | None


def unknown_terms(classifier: object, texts: Sequence[CapturedText], top: int) -> UnknownTerms:
    """The ``top`` most frequent units of ``texts`` outside the model's vocabulary, most frequent first."""
    featurizer = getattr(classifier, "featurizer", None)
    if featurizer is None or not hasattr(featurizer, "coverage_units"):
        return UnknownTerms([], 0, 0, None)
    counts: Counter[str] = Counter()
    units = 0
    for captured in texts:
        found = featurizer.coverage_units(captured.text)
        units += len(found)
        counts.update(unit for unit in found if not featurizer.knows(unit))
    return UnknownTerms(counts.most_common(top), units, counts.total(), featurizer.coverage_analyzer)
