"""The retraining report: DVC's own tables plus the gate's verdict and the F1 moves, in a scratch repo."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from training import metrics_report
from training.metrics_report import ReportError, build_report, f1_moves, moved_most
from training.tests.corpus import write_params

METRICS = "training/reports/metrics.json"


def test_classes_are_ranked_by_the_size_of_their_f1_move():
    old = {"per_class": {"sci.space": {"f1": 0.90}, "rec.autos": {"f1": 0.91}, "talk.misc": {"f1": 0.69}}}
    new = {"per_class": {"sci.space": {"f1": 0.93}, "rec.autos": {"f1": 0.85}, "talk.misc": {"f1": 0.69}}}
    moves = f1_moves(old, new)
    assert moves["sci.space"] == (0.90, 0.93)
    assert moved_most(moves, top=1) == ["rec.autos"]
    # A drop ranks by its size too; an unchanged class is never listed.
    assert moved_most(moves, top=10) == ["rec.autos", "sci.space"]


def test_a_class_on_one_side_only_ranks_first():
    old = {"per_class": {"a": {"f1": 0.5}, "b": {"f1": 0.5}}}
    new = {"per_class": {"a": {"f1": 0.9}, "b": {"f1": 0.5}, "new.class": {"f1": 0.1}}}
    moves = f1_moves(old, new)
    assert moves["new.class"] == (None, 0.1)
    assert moved_most(moves, top=5) == ["new.class", "a"]


# --- against real git and DVC ------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _write_metrics(
    root: Path, accuracy: float, f1: dict[str, float], data_checks: dict | None = None
) -> None:
    reports = root / "training" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    per_class = {name: {"f1": value, "support": 100} for name, value in f1.items()}
    metrics = {"accuracy": accuracy, "n_features": 1000, "per_class": per_class}
    if data_checks is not None:
        metrics["data_checks"] = data_checks
    (reports / "metrics.json").write_text(json.dumps(metrics))
    (reports / "data.json").write_text(json.dumps({"source": "20newsgroups"}))


def _rows(report: str) -> dict[str, list[str]]:
    """Every markdown table row of the report, by its first cell, cells stripped of DVC's padding."""
    rows = {}
    for line in report.splitlines():
        if line.startswith("|") and not line.startswith("|-"):
            first, *rest = (cell.strip() for cell in line.strip("|").split("|"))
            rows[first] = rest
    return rows


BASE_F1 = {"sci.space": 0.90, "rec.autos": 0.91, "comp.graphics": 0.76}


@pytest.fixture
def scratch_repo(dvc_repository):
    """A git + DVC repository whose committed model has accuracy 0.87 with train.C 100."""
    _git(dvc_repository, "config", "user.email", "report@example.com")
    _git(dvc_repository, "config", "user.name", "report")
    (dvc_repository / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: 'true'\n    params:\n      - train\n    metrics:\n"
        f"      - {METRICS}:\n          cache: false\n"
    )
    write_params(dvc_repository / "params.yaml", train={"C": 100.0})
    _write_metrics(dvc_repository, accuracy=0.87, f1=BASE_F1)
    _git(dvc_repository, "add", ".")
    _git(dvc_repository, "commit", "-qm", "base")
    return dvc_repository


def test_report_from_real_dvc_diffs(scratch_repo):
    write_params(scratch_repo / "params.yaml", train={"C": 0.01})
    _write_metrics(
        scratch_repo, accuracy=0.86, f1={"sci.space": 0.95, "rec.autos": 0.90, "comp.graphics": 0.76}
    )
    report = build_report("HEAD", scratch_repo, top=1)
    assert report.startswith("### Model report: the workspace against `HEAD`\n")
    # The drop of 0.01 exceeds params.yaml's allowed 0.005: the gate's own verdict, with its reason.
    assert "**Quality gate: refused**" in report
    assert "- FAIL: accuracy dropped by 0.0100, more than the allowed 0.0050" in report
    rows = _rows(report)
    # DVC's tables: every headline metric (unchanged ones too), only the changed parameters ...
    assert rows["Metric"] == ["HEAD", "workspace", "Change"]
    assert rows["accuracy"] == ["0.87", "0.86", "-0.01"]
    assert rows["n_features"] == ["1000", "1000", "0"]
    assert rows["Param"] == ["HEAD", "workspace"]
    assert rows["train.C"] == ["100.0", "0.01"]
    assert "train.max_iter" not in rows
    # ... without the per-class rows, whose F1 moves the report ranks itself.
    assert not any(name.startswith("per_class.") for name in rows)
    assert "#### Per-class F1: the 1 of 3 classes that moved most" in report
    assert rows["class"] == ["HEAD", "workspace", "change"]
    assert rows["sci.space"] == ["0.9000", "0.9500", "+0.0500"]
    assert "rec.autos" not in rows


def test_cli_writes_the_file_it_prints_and_says_when_nothing_changed(scratch_repo, monkeypatch, capsys):
    monkeypatch.setattr(metrics_report, "REPO_ROOT", scratch_repo)
    output = scratch_repo / "report.md"
    assert metrics_report.main(["--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert printed == output.read_text(encoding="utf-8")
    assert "**Quality gate: passed**" in printed
    assert _rows(printed)["accuracy"] == ["0.87", "0.87", "0.0"]
    assert "No parameter changed against `HEAD`." in printed
    assert "No class's F1 changed against `HEAD` (3 classes)." in printed


def test_a_base_without_metrics_gets_the_floor_only(scratch_repo):
    _git(scratch_repo, "rm", "-q", "--cached", METRICS)
    _git(scratch_repo, "commit", "-qm", "no metrics yet")
    report = build_report("HEAD", scratch_repo)
    assert "- no base revision to compare with: only the floor applies" in report
    assert _rows(report)["accuracy"] == ["-", "0.87", "-"]
    assert "Per-class F1" not in report


def test_an_unknown_base_is_an_error_not_an_empty_report(scratch_repo, monkeypatch, capsys):
    with pytest.raises(ReportError, match="no-such-branch"):
        build_report("no-such-branch", scratch_repo)
    monkeypatch.setattr(metrics_report, "REPO_ROOT", scratch_repo)
    assert metrics_report.main(["--base", "no-such-branch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "no-such-branch" in captured.err


def test_no_workspace_metrics_says_train_first(scratch_repo):
    (scratch_repo / METRICS).unlink()
    with pytest.raises(ReportError, match=r"train first \(make train\)"):
        build_report("HEAD", scratch_repo)


def _data_checks(duplicates: int, per_label: dict[str, int], dropped_empty: int = 0) -> dict:
    """A data_checks section as training writes it (training.data_checks.check_dataset's figures)."""
    return {
        "train_test_duplicates": duplicates,
        "train_test_duplicate_share": round(duplicates / 400, 4),
        "train_test_label_conflicts": 1 if duplicates else 0,
        "imbalance_ratio": round(max(per_label.values()) / min(per_label.values()), 4),
        "small_labels": sum(count < 5 for count in per_label.values()),
        "dropped_empty_texts": dropped_empty,
        "dropped_over_max_chars": 0,
        "train_documents_per_label": per_label,
    }


def test_report_shows_the_data_checks_in_words_with_their_warnings(scratch_repo):
    _write_metrics(scratch_repo, 0.87, BASE_F1, _data_checks(0, {"sci.space": 500, "rec.autos": 450}))
    _git(scratch_repo, "commit", "-qam", "base with data checks")
    skewed = {"sci.space": 500, "rec.autos": 450, "comp.graphics": 3}
    _write_metrics(scratch_repo, 0.87, BASE_F1, _data_checks(8, skewed, dropped_empty=2))
    report = build_report("HEAD", scratch_repo)
    section = report[report.index("#### Data checks") : report.index("#### Metrics")].strip().splitlines()
    assert section[0] == "#### Data checks: 4 warnings"
    assert section[2].startswith(
        "- **warning:** 8 test texts (2.00 % of the test split) also appear in training, 1 of them with "
        "another label there"
    )
    assert section[3].startswith(
        "- **warning:** training documents per label range from 3 (comp.graphics) to 500 (sci.space), "
        "a ratio of 166.7, above 10"
    )
    assert section[4].startswith(
        "- **warning:** 1 label with fewer than 5 training documents: comp.graphics (3)"
    )
    assert section[5].startswith("- **warning:** 2 documents dropped while loading: 2 empty texts, 0 texts")
    assert len(section) == 6
    # DVC's table compares the headline figures; the per-label counts stay out of it.
    rows = _rows(report)
    assert rows["data_checks.train_test_duplicates"] == ["0", "8", "8"]
    assert rows["data_checks.small_labels"] == ["0", "1", "1"]
    assert not any(name.startswith("data_checks.train_documents_per_label") for name in rows)


def test_balanced_class_weight_turns_the_imbalance_warning_into_a_note(scratch_repo):
    write_params(scratch_repo / "params.yaml", train={"class_weight": "balanced"})
    _write_metrics(scratch_repo, 0.87, BASE_F1, _data_checks(0, {"sci.space": 500, "rec.autos": 20}))
    report = build_report("HEAD", scratch_repo)
    assert "#### Data checks: no warning\n" in report
    assert (
        "- training documents per label range from 20 (rec.autos) to 500 (sci.space), a ratio of 25.0; "
        in (report)
    )
    assert "- no test text also appears in training (compared ignoring case and whitespace)" in report


def test_metrics_without_data_checks_get_no_data_checks_section(scratch_repo):
    assert "Data checks" not in build_report("HEAD", scratch_repo)
