"""The two distances the drift check names, on samples whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from monitoring.drift_statistics import jensen_shannon_distance, quantile_distance, quantiles
from serving.app.contracts.artifact import BASELINE_PERCENTILES


def test_a_sample_split_at_the_baseline_percentiles_is_at_distance_zero():
    values = np.arange(1000) / 1000
    baseline = {name: level for name, level in BASELINE_PERCENTILES.items()}
    assert quantile_distance(values, baseline) == pytest.approx(0.0, abs=0.002)


def test_a_sample_wholly_above_the_baseline_is_at_the_largest_level():
    baseline = {name: level for name, level in BASELINE_PERCENTILES.items()}
    # Every captured value above p90's: the share below it is 0 where the baseline had 0.9.
    assert quantile_distance(np.full(50, 5.0), baseline) == max(BASELINE_PERCENTILES.values())


def test_ties_at_a_baseline_value_count_as_either_side():
    # Coverage 1.0 for the top 30 % of held-out texts: p75 and p90 are both 1.0.
    baseline = {"p5": 0.5, "p10": 0.6, "p25": 0.8, "p50": 0.9, "p75": 1.0, "p90": 1.0}
    pieces = [(0.4, 0.5, 5), (0.5, 0.6, 5), (0.6, 0.8, 15), (0.8, 0.9, 25), (0.9, 0.99, 20)]
    like_it = np.concatenate([*(np.linspace(low, high, n) for low, high, n in pieces), np.ones(30)])
    assert quantile_distance(like_it, baseline) <= 0.01
    # Every captured text fully known: p75 and p90 (1.0) fit, but none lies below p50's 0.9.
    assert quantile_distance(np.ones(100), baseline) == pytest.approx(0.5)


def test_quantiles_are_taken_at_the_baseline_percentiles():
    assert list(quantiles(np.arange(101.0))) == list(BASELINE_PERCENTILES)
    assert quantiles(np.arange(101.0))["p50"] == 50.0


def test_jensen_shannon_distance_runs_from_same_mix_to_disjoint_mixes():
    assert jensen_shannon_distance({"a": 0.5, "b": 0.5}, {"a": 0.5, "b": 0.5}) == 0.0
    assert jensen_shannon_distance({"a": 1.0}, {"b": 1.0}) == 1.0
    shifted = jensen_shannon_distance({"a": 0.5, "b": 0.5}, {"a": 0.9, "b": 0.1})
    assert 0.0 < shifted < 1.0
    assert shifted == jensen_shannon_distance({"a": 0.9, "b": 0.1}, {"a": 0.5, "b": 0.5})  # symmetric
