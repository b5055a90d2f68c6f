"""The retraining report: formatting DVC's JSON into markdown, and the real DVC diff in a scratch repo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from training import metrics_report
from training.metrics_report import (
    Change,
    ReportError,
    build_report,
    code,
    format_report,
    format_value,
    metric_changes,
    moved_most,
    param_changes,
)
from training.tests.corpus import write_params

METRICS = "training/reports/metrics.json"


def _diff(old: object, new: object) -> dict:
    """One entry as `dvc metrics diff --json` writes it."""
    entry = {"old": old, "new": new}
    if isinstance(old, int | float) and isinstance(new, int | float):
        entry["diff"] = new - old
    return entry


METRICS_DIFF = {
    METRICS: {
        "n_features": _diff(397025, 400000),
        "macro_f1": _diff(0.8523, 0.8541),
        "accuracy": _diff(0.8585, 0.8601),
        "per_class.sci.space.f1": _diff(0.90, 0.93),
        "per_class.sci.space.precision": _diff(0.5, 0.99),
        "per_class.rec.autos.f1": _diff(0.91, 0.90),
        "per_class.talk.religion.misc.f1": _diff(0.69, 0.69),
        "per_class.comp.graphics.f1": _diff(0.76, 0.82),
    }
}
PARAMS_DIFF = {
    "params.yaml": {
        "train.C": _diff(100.0, 10.0),
        "featurize.ngram_range": {"old": "[1, 2]", "new": "[1, 3]"},
        "featurize.token_pattern": {"old": "a|b", "new": "a|b"},
        "data.source": {"old": "20newsgroups", "new": "20newsgroups"},
    }
}


def test_per_class_keys_keep_the_dots_of_class_names():
    headline, f1 = metric_changes(METRICS_DIFF)
    assert [c.name for c in headline] == ["accuracy", "macro_f1", "n_features"]
    assert {c.name: (c.old, c.new) for c in f1} == {
        "sci.space": (0.90, 0.93),
        "rec.autos": (0.91, 0.90),
        "talk.religion.misc": (0.69, 0.69),
        "comp.graphics": (0.76, 0.82),
    }


def test_only_changed_params_are_listed_sorted_by_name():
    assert param_changes(PARAMS_DIFF) == [
        Change("featurize.ngram_range", "[1, 2]", "[1, 3]"),
        Change("train.C", 100.0, 10.0),
    ]


def test_classes_are_ranked_by_the_size_of_their_f1_move():
    _, f1 = metric_changes(METRICS_DIFF)
    assert [c.name for c in moved_most(f1, top=2)] == ["comp.graphics", "sci.space"]
    # A drop ranks by its size too; an unchanged class is never listed.
    assert [c.name for c in moved_most(f1, top=10)] == ["comp.graphics", "sci.space", "rec.autos"]


def test_a_class_on_one_side_only_ranks_first():
    f1 = [Change("a", 0.5, 0.9), Change("new.class", None, 0.1), Change("b", 0.5, 0.5)]
    assert [c.name for c in moved_most(f1, top=5)] == ["new.class", "a"]


def test_figures_are_formatted_for_reading():
    assert format_value(0.86012) == "0.8601"
    assert format_value(397025) == "397,025"
    assert format_value(None) == "—"
    assert format_value(True) == "true"
    assert code("a|b") == "`a\\|b`"
    assert code(None) == "—"


def test_report_holds_the_metrics_params_and_class_tables():
    report = format_report(METRICS_DIFF, PARAMS_DIFF, "origin/main", top=2)
    lines = report.splitlines()
    assert lines[0] == "### Model report: the workspace against `origin/main`"
    assert "| accuracy | 0.8585 | 0.8601 | +0.0016 |" in lines
    assert "| n_features | 397,025 | 400,000 | +2,975 |" in lines
    assert "| train.C | `100.0` | `10.0` |" in lines
    assert "| featurize.ngram_range | `[1, 2]` | `[1, 3]` |" in lines
    assert "token_pattern" not in report
    table = [line for line in lines if line.startswith(("| comp.", "| sci.", "| rec.", "| talk."))]
    assert table == [
        "| comp.graphics | 0.7600 | 0.8200 | +0.0600 |",
        "| sci.space | 0.9000 | 0.9300 | +0.0300 |",
    ]
    assert "Classes (4) by F1 change: rose: 2, fell: 1, unchanged: 1." in lines


def test_report_says_when_nothing_changed():
    unchanged = {METRICS: {"accuracy": _diff(0.86, 0.86), "per_class.x.f1": _diff(0.5, 0.5)}}
    report = format_report(unchanged, {"params.yaml": {"train.C": _diff(1.0, 1.0)}}, "HEAD")
    assert "No parameter changed against `HEAD`." in report
    assert "| accuracy | 0.8600 | 0.8600 | +0.0000 |" in report
    assert "moved most" not in report
    assert "Classes (1) by F1 change: unchanged: 1." in report


def test_report_shows_the_gate_verdict_with_its_reasons():
    verdict = (False, ["test accuracy 0.8000, floor 0.8500", "the model is refused"])
    report = format_report(METRICS_DIFF, PARAMS_DIFF, "main", gate=verdict)
    gate_lines = "- test accuracy 0.8000, floor 0.8500\n- the model is refused"
    assert f"**Quality gate: refused**\n\n{gate_lines}" in report


# --- against real DVC ------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _write_metrics(root: Path, accuracy: float, space_f1: float) -> None:
    reports = root / "training" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    metrics = {"accuracy": accuracy, "n_features": 1000, "per_class": {"sci.space": {"f1": space_f1}}}
    (reports / "metrics.json").write_text(json.dumps(metrics))
    (reports / "data.json").write_text(json.dumps({"source": "20newsgroups"}))


@pytest.fixture
def scratch_repo(tmp_path):
    """A git + DVC repository whose committed model has accuracy 0.87 with train.C 100."""
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "report@example.com")
    _git(tmp_path, "config", "user.name", "report")
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: 'true'\n    params:\n      - train\n    metrics:\n"
        f"      - {METRICS}:\n          cache: false\n"
    )
    write_params(tmp_path / "params.yaml", train={"C": 100.0})
    _write_metrics(tmp_path, accuracy=0.87, space_f1=0.90)
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def test_report_from_a_real_dvc_diff(scratch_repo):
    write_params(scratch_repo / "params.yaml", train={"C": 0.01})
    _write_metrics(scratch_repo, accuracy=0.86, space_f1=0.95)
    report = build_report("HEAD", scratch_repo)
    assert "| accuracy | 0.8700 | 0.8600 | -0.0100 |" in report
    assert "| n_features | 1,000 | 1,000 | +0 |" in report
    assert "| train.C | `100.0` | `0.01` |" in report
    assert "| sci.space | 0.9000 | 0.9500 | +0.0500 |" in report
    # The drop of 0.01 exceeds params.yaml's allowed 0.005: the gate's own verdict, with its reason.
    assert "**Quality gate: refused**" in report
    assert "FAIL: accuracy dropped by 0.0100" in report


def test_cli_writes_the_file_it_prints(scratch_repo, monkeypatch, capsys):
    monkeypatch.setattr(metrics_report, "REPO_ROOT", scratch_repo)
    output = scratch_repo / "report.md"
    assert metrics_report.main(["--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert printed == output.read_text(encoding="utf-8")
    assert "No parameter changed against `HEAD`." in printed
    assert "**Quality gate: passed**" in printed


def test_an_unknown_base_is_an_error_not_an_empty_report(scratch_repo, monkeypatch, capsys):
    with pytest.raises(ReportError, match="no-such-branch"):
        build_report("no-such-branch", scratch_repo)
    monkeypatch.setattr(metrics_report, "REPO_ROOT", scratch_repo)
    assert metrics_report.main(["--base", "no-such-branch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "no-such-branch" in captured.err
