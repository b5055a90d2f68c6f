"""Captured traffic against the artifact's baseline: the same statistics, and one named distance for each.

Per quality metric (``contracts.metrics.QUALITY_FIELDS``: probability, margin, coverage, text length) the
captured texts' quantiles at the baseline's percentiles, and the *quantile distance*: for each baseline
percentile (level q, value v), how far q lies from the share of captured texts below v, the largest such
gap. It is the Kolmogorov-Smirnov statistic of the captured sample read at the baseline's percentiles (the
baseline keeps only those), 0 when the captured texts split at the baseline's values as the held-out texts
did, 1 when they lie wholly on one side. Where captured values tie at v (coverage is often exactly 1) the
share "below v" is an interval, from the share strictly below to the share at or below, and the gap is q's
distance to that interval.

For the predicted labels, the Jensen-Shannon distance (base 2: 0 for the same mix, 1 for mixes with no
label in common) between the baseline's label shares and the captured ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from monitoring.captures import CapturedText
from monitoring.drift_settings import Thresholds
from serving.app.contracts import metrics
from serving.app.contracts.artifact import BASELINE_PERCENTILES


class MetricComparison(NamedTuple):
    """One quality metric: the baseline's quantiles, the captured texts' at the same percentiles, the
    quantile distance and whether it crossed its threshold."""

    name: str
    baseline: dict[str, float]
    captured: dict[str, float]
    distance: float
    crossed: bool


class LabelComparison(NamedTuple):
    """The predicted-label mix: each label's share in the baseline and in the captured texts."""

    baseline: dict[str, float]
    captured: dict[str, float]
    distance: float
    crossed: bool


def metric_values(texts: Sequence[CapturedText], field: str) -> np.ndarray:
    """One quality field of every captured text (``characters`` is the text's length, as the baseline's)."""
    if field == "characters":
        return np.array([len(text.text) for text in texts], dtype=np.float64)
    return np.array([getattr(text, field) for text in texts], dtype=np.float64)


def quantiles(values: np.ndarray) -> dict[str, float]:
    """The values' quantiles at the baseline's percentiles, computed as training's baseline computes them."""
    levels = list(BASELINE_PERCENTILES.values())
    found = np.quantile(values, levels) if len(values) else [float("nan")] * len(levels)
    return {name: round(float(value), 4) for name, value in zip(BASELINE_PERCENTILES, found, strict=True)}


def quantile_distance(values: np.ndarray, baseline: dict[str, float]) -> float:
    """The largest gap between a baseline percentile's level and the captured share below its value."""
    ordered, gaps = np.sort(values), [0.0]
    for name, level in BASELINE_PERCENTILES.items():
        below = np.searchsorted(ordered, baseline[name], side="left") / len(ordered)
        at_or_below = np.searchsorted(ordered, baseline[name], side="right") / len(ordered)
        gaps.append(max(below - level, level - at_or_below))
    return round(max(gaps), 4)


def label_shares(texts: Sequence[CapturedText], classes: Sequence[str]) -> dict[str, float]:
    """Each class's share of the captured texts' labels (any label outside ``classes`` after them)."""
    counts = Counter(text.label for text in texts)
    names = [*classes, *sorted(set(counts) - set(classes))]
    return {label: round(counts[label] / max(len(texts), 1), 4) for label in names}


def jensen_shannon_distance(first: dict[str, float], second: dict[str, float]) -> float:
    """The square root of the Jensen-Shannon divergence (base 2) of two label mixes, each normalized."""
    labels = sorted(set(first) | set(second))
    p = np.array([first.get(label, 0.0) for label in labels])
    q = np.array([second.get(label, 0.0) for label in labels])
    p, q = p / p.sum(), q / q.sum()
    middle = (p + q) / 2
    divergence = (_relative_entropy(p, middle) + _relative_entropy(q, middle)) / 2
    return round(float(np.sqrt(max(divergence, 0.0))), 4)


def _relative_entropy(p: np.ndarray, m: np.ndarray) -> float:
    present = p > 0
    return float(np.sum(p[present] * np.log2(p[present] / m[present])))


def compare_metrics(
    texts: Sequence[CapturedText], baseline: dict, thresholds: Thresholds
) -> list[MetricComparison]:
    """Each quality metric of the captured texts against the baseline's quantiles."""
    comparisons = []
    for name, field in metrics.QUALITY_FIELDS.items():
        values = metric_values(texts, field)
        expected = baseline["quantiles"][name]
        distance = quantile_distance(values, expected)
        crossed = len(texts) >= thresholds.min_texts and distance > thresholds.quantile_distance
        comparisons.append(MetricComparison(name, expected, quantiles(values), distance, crossed))
    return comparisons


def compare_labels(texts: Sequence[CapturedText], baseline: dict, thresholds: Thresholds) -> LabelComparison:
    """The captured label mix against the baseline's."""
    expected = baseline["label_shares"]
    captured = label_shares(texts, list(expected))
    distance = jensen_shannon_distance(expected, captured)
    crossed = len(texts) >= thresholds.min_texts and distance > thresholds.label_distance
    return LabelComparison(expected, captured, distance, crossed)
