"""`make drift` reads a stage's bucket only when STAGE is given (its Makefile default serves the deploys)."""

from __future__ import annotations

import os
import shlex
import subprocess

import pytest

from local_runtime.paths import REPO_ROOT

# The variables `make drift` reads, from the command line or the environment.
SETTINGS = ("STAGE", "CAPTURES", "SINCE", "FROM", "TO", "OUTPUT", "MODEL_DIR")


def drift_command(*assignments: str, environment: dict[str, str] | None = None) -> list[str]:
    """The words of the `python -m monitoring.drift` command `make drift` would run (a dry run)."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "drift", *assignments],
        cwd=REPO_ROOT,
        env=env | (environment or {}),
        capture_output=True,
        text=True,
        check=True,
    )
    joined = result.stdout.replace("\\\n", " ")
    [line] = [line for line in joined.splitlines() if "monitoring.drift" in line]
    return shlex.split(line)[shlex.split(line).index("monitoring.drift") + 1 :]


def test_by_default_the_local_folder_and_the_default_window():
    assert drift_command() == []


@pytest.mark.parametrize("where", ["command line", "environment"])
def test_a_given_stage_reads_its_bucket(where):
    if where == "command line":
        assert drift_command("STAGE=prod") == ["--stage", "prod"]
    else:
        assert drift_command(environment={"STAGE": "prod"}) == ["--stage", "prod"]


def test_every_setting_reaches_the_command():
    words = drift_command("CAPTURES=caps", "SINCE=3d", "OUTPUT=r/d.md", "MODEL_DIR=m")
    assert words == ["--captures", "caps", "--since", "3d", "--output", "r/d.md", "--model-dir", "m"]
    assert drift_command("FROM=2026-12-01", "TO=2026-12-02") == ["--from", "2026-12-01", "--to", "2026-12-02"]
