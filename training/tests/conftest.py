"""Shared test setup for the training package."""

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "newsgroups: loads the real 20 Newsgroups data (needs SCIKIT_LEARN_DATA; CI sets it)"
    )


@pytest.fixture
def newsgroups_cache() -> str:
    """The folder holding scikit-learn's 20NG cache.

    Outside CI a missing SCIKIT_LEARN_DATA skips the test with the reason shown in the summary; in CI
    (CI=true, as GitHub Actions sets) it is a failure, so the test can never silently stop running there.
    """
    folder = os.environ.get("SCIKIT_LEARN_DATA")
    if folder:
        return folder
    message = "set SCIKIT_LEARN_DATA to a folder holding 20news-bydate_py3.pkz to run the 20 Newsgroups tests"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
