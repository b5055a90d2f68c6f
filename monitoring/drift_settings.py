"""The drift check's settings, defined once: its thresholds and its exit codes (the window: ``window``).

docs/monitoring.md ("Drift") explains each; a test ties the documented values to these.
"""

from __future__ import annotations

from typing import NamedTuple


class Thresholds(NamedTuple):
    """When a comparison with the baseline crosses (each check passes or crosses on its own).

    ``quantile_distance``: the largest gap, over the baseline's percentiles, between a percentile's level
    and the share of captured texts below the baseline's value there (``drift_statistics.quantile_distance``,
    0 to 1). Sampling noise alone stays under 1.63 / sqrt(n) in 99 % of windows (the one-sample
    Kolmogorov-Smirnov bound): 0.115 at ``min_texts``, so 0.2 means the traffic really moved.
    ``label_distance``: the Jensen-Shannon distance (base 2, 0 to 1) between the baseline's label shares and
    the captured ones. Sampled from the baseline's own mix, 200 texts of 20 classes stay under 0.19 in 99 %
    of windows (5 classes: 0.11); one class of 20 rising from 5 % to 30 % of the texts gives 0.29, one of 5
    rising from 20 % to 50 % gives 0.27. ``min_texts``: below this many captured texts the report says
    there are too few to judge, and no check crosses.
    """

    quantile_distance: float = 0.2
    label_distance: float = 0.25
    min_texts: int = 200


THRESHOLDS = Thresholds()
# The most frequent unknown terms the report lists.
TOP_UNKNOWN_TERMS = 20

# Exit codes of `python -m monitoring.drift`. `make drift` itself exits 2 on any of them but 0 (make's
# own code for a failed command), which is why the report's JSON summary carries the verdict too.
EXIT_CALM = 0  # every check passes, or too few texts to judge
EXIT_ERROR = 2  # bad input: no captures folder, an unreadable capture, no baseline, no bucket
EXIT_DRIFT = 3  # at least one check crossed its threshold
