"""Shared test setup for the training package."""

import os
import shutil
import subprocess
import sys
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


@pytest.fixture(scope="session")
def empty_dvc_repository(tmp_path_factory) -> Path:
    """A git repository with DVC initialised in it and nothing committed, made once per session: a
    test that needs such a repository of its own copies it (`dvc_repository`) instead of starting DVC
    again (each `dvc init` is a new process importing DVC: about a second)."""
    root = tmp_path_factory.mktemp("empty_dvc_repository")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=root, check=True, capture_output=True)
    return root


@pytest.fixture
def dvc_repository(empty_dvc_repository, tmp_path) -> Path:
    """A fresh copy of the empty git + DVC repository, in the test's own tmp_path."""
    shutil.copytree(empty_dvc_repository, tmp_path, symlinks=True, dirs_exist_ok=True)
    return tmp_path
