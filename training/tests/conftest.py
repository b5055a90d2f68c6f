"""Shared test setup for the training package."""

import os
from pathlib import Path

import pytest

from training import newsgroups


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "newsgroups: loads the real 20 Newsgroups data (training/data/ or SCIKIT_LEARN_DATA; CI provides it)",
    )


@pytest.fixture
def newsgroups_cache() -> Path:
    """The 20NG file on this machine: the DVC-tracked copy in training/data/, else scikit-learn's cache.

    Outside CI a missing file skips the test with the reason shown in the summary; in CI (CI=true, as
    GitHub Actions sets) it is a failure, so the test can never silently stop running there.
    """
    found = newsgroups.local_copy()
    if found is not None:
        return found
    message = (
        "20 Newsgroups is not on this machine: run `make fetch-newsgroups`, or set SCIKIT_LEARN_DATA to a "
        "folder holding 20news-bydate_py3.pkz, to run the 20 Newsgroups tests"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
