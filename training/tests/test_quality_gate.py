"""The quality gate: the decision itself, and reading the base revision's accuracy through DVC."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from training.quality_gate import GateError, base_accuracy, current_accuracy, judge, same_data_as

GATE = {"min_accuracy": 0.85, "max_accuracy_drop": 0.005}


def test_a_model_above_the_floor_without_a_base_passes():
    verdict = judge(0.86, None, GATE, same_data=False)
    assert verdict.passed
    assert any("only the floor applies" in line for line in verdict.lines)


def test_a_model_below_the_floor_is_refused_with_the_shortfall():
    verdict = judge(0.80, None, GATE, same_data=False)
    assert not verdict.passed
    assert any("0.0500 below the floor" in line for line in verdict.lines)


def test_a_drop_within_the_tolerance_passes():
    assert judge(0.856, 0.860, GATE, same_data=True).passed


def test_a_drop_beyond_the_tolerance_is_refused_even_above_the_floor():
    verdict = judge(0.860, 0.870, GATE, same_data=True)
    assert not verdict.passed
    assert any("dropped by 0.0100" in line for line in verdict.lines)


def test_a_base_trained_on_other_data_is_not_compared():
    verdict = judge(0.86, 0.99, GATE, same_data=False)
    assert verdict.passed
    assert any("other data" in line for line in verdict.lines)


def test_missing_metrics_is_an_error_not_a_pass(tmp_path):
    with pytest.raises(GateError, match="make train"):
        current_accuracy(tmp_path)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _write_reports(root: Path, accuracy: float, source: str) -> None:
    reports = root / "training" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "metrics.json").write_text(json.dumps({"accuracy": accuracy}))
    (reports / "data.json").write_text(json.dumps({"source": source}))


@pytest.fixture
def scratch_repo(dvc_repository):
    """A git + DVC repository whose committed metrics say accuracy 0.87 on 20newsgroups."""
    _git(dvc_repository, "config", "user.email", "gate@example.com")
    _git(dvc_repository, "config", "user.name", "gate")
    (dvc_repository / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: 'true'\n    metrics:\n"
        "      - training/reports/metrics.json:\n          cache: false\n"
    )
    _write_reports(dvc_repository, 0.87, "20newsgroups")
    _git(dvc_repository, "add", ".")
    _git(dvc_repository, "commit", "-qm", "base")
    return dvc_repository


def test_base_accuracy_comes_from_the_revisions_metrics(scratch_repo):
    _write_reports(scratch_repo, 0.80, "20newsgroups")
    assert base_accuracy("HEAD", scratch_repo) == pytest.approx(0.87)
    assert current_accuracy(scratch_repo) == pytest.approx(0.80)
    assert same_data_as("HEAD", scratch_repo)


def test_changed_data_is_detected(scratch_repo):
    _write_reports(scratch_repo, 0.99, "my.csv")
    assert not same_data_as("HEAD", scratch_repo)


def test_an_unknown_base_revision_is_an_error(scratch_repo):
    with pytest.raises(GateError, match="no-such-branch"):
        base_accuracy("no-such-branch", scratch_repo)
