"""How many examples each fuzz property runs, and a tally of the cases actually run.

The test suite runs a few hundred derandomized examples per property: the same ones on every run, so CI
is deterministic and quick. `make fuzz` sets FUZZ_EXAMPLES for a long random run instead. Hypothesis'
example database is off either way: nothing is written into the checkout, and a failure prints the
blob that reproduces it (`@reproduce_failure`).
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings

EXAMPLES_ENV = "FUZZ_EXAMPLES"
MIN_CASES_ENV = "FUZZ_MIN_CASES"
SUITE_EXAMPLES = 200

# Handler invocations per property, printed in the session summary (conftest.py).
CASES: Counter[str] = Counter()


def examples_per_property() -> int:
    configured = os.environ.get(EXAMPLES_ENV, "").strip()
    return int(configured) if configured else SUITE_EXAMPLES


def fuzz_settings() -> settings:
    """Settings for every property; random only when a budget is asked for explicitly."""
    return settings(
        max_examples=examples_per_property(),
        derandomize=not os.environ.get(EXAMPLES_ENV, "").strip(),
        database=None,
        deadline=None,
        print_blob=True,
        # Bodies near the 1 MiB limit and deep nesting are the point, not a slow strategy to fix.
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


def min_cases() -> int:
    """The least number of cases a run must reach (``FUZZ_MIN_CASES``; 0 when unset)."""
    return int(os.environ.get(MIN_CASES_ENV, "0") or 0)
