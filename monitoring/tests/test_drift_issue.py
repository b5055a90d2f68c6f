"""make drift-issue through a stand-in `gh` on PATH: one issue per stage, commented while it stays open."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from monitoring import drift_issue

# Records its arguments (one JSON list per line) and answers `gh issue list` with $FAKE_GH_OPEN.
FAKE_GH = """\
import json, os, sys
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
if os.environ.get("FAKE_GH_FAIL"):
    sys.exit("HTTP 403: Resource not accessible by integration")
if sys.argv[1:3] == ["issue", "list"]:
    print(os.environ.get("FAKE_GH_OPEN", "[]"))
"""


@pytest.fixture
def calls(tmp_path, monkeypatch) -> Path:
    """Puts the stand-in gh first on PATH; the file it logs its calls to."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(f"#!{sys.executable}\n{FAKE_GH}")
    (bin_dir / "gh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GH_LOG", str(tmp_path / "gh.log"))
    for name, value in {"GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "org/repo"}.items():
        monkeypatch.setenv(name, value)
    return tmp_path / "gh.log"


def logged(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def report(tmp_path: Path, verdict: str) -> Path:
    path = tmp_path / "report" / "drift.md"
    path.parent.mkdir()
    path.write_text("# Drift report\n\n**Drift: LabelMix crossed its threshold**\n")
    summary = {"verdict": verdict, "headline": f"{verdict} headline", "crossed": []}
    path.with_suffix(".json").write_text(json.dumps(summary))
    return path


def test_drift_without_an_open_issue_opens_one_with_the_report_and_the_run(calls, tmp_path, monkeypatch):
    path = report(tmp_path, "drift")
    monkeypatch.setenv("FAKE_GH_OPEN", json.dumps([{"number": 7, "title": "Model drift on stage dev-x"}]))
    assert drift_issue.main(["--stage", "dev", "--report", str(path)]) == 0
    listed, created = logged(calls)
    assert listed[:2] == ["issue", "list"] and 'in:title "Model drift on stage dev"' in listed
    assert created[:4] == ["issue", "create", "--title", "Model drift on stage dev"]
    body = Path(created[created.index("--body-file") + 1]).read_text()
    assert body.startswith("# Drift report") and "https://github.com/org/repo/actions/runs/42" in body


def test_drift_with_the_stage_issue_open_comments_on_it(calls, tmp_path, monkeypatch, capsys):
    path = report(tmp_path, "drift")
    issues = [{"number": 12, "title": "Model drift on stage prod"}, {"number": 3, "title": "Other"}]
    monkeypatch.setenv("FAKE_GH_OPEN", json.dumps(issues))
    assert drift_issue.main(["--stage", "prod", "--report", str(path)]) == 0
    assert logged(calls)[1][:3] == ["issue", "comment", "12"]
    assert "commented on issue #12" in capsys.readouterr().out


@pytest.mark.parametrize("verdict", ["calm", "too few texts"])
def test_no_drift_files_nothing(calls, tmp_path, verdict, capsys):
    assert drift_issue.main(["--stage", "dev", "--report", str(report(tmp_path, verdict))]) == 0
    assert logged(calls) == []
    assert "no issue to file" in capsys.readouterr().out


def test_a_drift_check_that_did_not_finish_fails_the_step(calls, tmp_path, capsys):
    assert drift_issue.main(["--stage", "dev", "--report", str(tmp_path / "drift.md")]) == 1
    assert "drift.json is missing: the drift check did not finish" in capsys.readouterr().err
    assert logged(calls) == []


def test_a_gh_failure_is_reported_with_what_gh_said(calls, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_GH_FAIL", "1")
    assert drift_issue.main(["--stage", "dev", "--report", str(report(tmp_path, "drift"))]) == 1
    assert "gh issue list failed: HTTP 403" in capsys.readouterr().err
