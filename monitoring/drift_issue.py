"""`make drift-issue`: after `make drift STAGE=...` in the scheduled workflow, one GitHub issue per stage.

Reads the verdict `make drift` wrote beside its report (``drift.json``). On drift it finds the stage's open
issue by its fixed title (``TITLE``) and comments the report on it, or opens it when there is none, so a
stage that stays drifted keeps one issue with a comment per run. Calm, or too few texts: nothing to file.
No summary at all means the drift check itself failed: this fails too, saying so.

It calls the GitHub CLI, which the workflow authenticates through ``GH_TOKEN`` (cli.github.com/manual:
``gh issue list``, ``gh issue comment``, ``gh issue create``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from monitoring.drift import DEFAULT_OUTPUT
from monitoring.drift_check import DRIFT

TITLE = "Model drift on stage {stage}"
Runner = Callable[[list[str]], str]


def gh(arguments: list[str]) -> str:
    """Runs ``gh`` and returns its output; a failure raises with what gh said."""
    result = subprocess.run(["gh", *arguments], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"gh {' '.join(arguments[:2])} failed: {result.stderr.strip() or result.stdout}")
    return result.stdout


def open_issue(title: str, run: Runner) -> int | None:
    """The number of the open issue with exactly this title, if any."""
    found = json.loads(
        run(
            [
                "issue",
                "list",
                "--state",
                "open",
                "--search",
                f'in:title "{title}"',
                "--json",
                "number,title",
                "--limit",
                "100",
            ]
        )
    )
    numbers = [issue["number"] for issue in found if issue["title"] == title]
    return min(numbers) if numbers else None


def issue_body(report: Path) -> Path:
    """The report with a link to the run that wrote it (whose artifact holds the figure)."""
    text = report.read_text(encoding="utf-8")
    run_id = os.environ.get("GITHUB_RUN_ID")
    if run_id:
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        run_url = f"{server}/{os.environ.get('GITHUB_REPOSITORY', '')}/actions/runs/{run_id}"
        text += f"\nThe report and its figure, as an artifact of the run: {run_url}\n"
    body = report.with_name(report.stem + "-issue.md")
    body.write_text(text, encoding="utf-8")
    return body


def file_issue(stage: str, report: Path, run: Runner = gh) -> str:
    """Comments on the stage's open drift issue or opens it, when the verdict is drift; says what it did."""
    summary_path = report.with_suffix(".json")
    if not summary_path.is_file():
        raise FileNotFoundError(f"{summary_path} is missing: the drift check did not finish (see its step)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    if summary["verdict"] != DRIFT:
        return f"stage {stage}: {summary['headline']}; no issue to file"
    title = TITLE.format(stage=stage)
    body = issue_body(report)
    number = open_issue(title, run)
    if number is None:
        run(["issue", "create", "--title", title, "--body-file", str(body)])
        return f"stage {stage}: drift; opened the issue {title!r}"
    run(["issue", "comment", str(number), "--body-file", str(body)])
    return f"stage {stage}: drift; commented on issue #{number}"


def main(argv: list[str] | None = None, run: Runner = gh) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--report", type=Path, default=DEFAULT_OUTPUT, help="the report make drift wrote")
    args = parser.parse_args(argv)
    try:
        print(f"drift-issue: {file_issue(args.stage, args.report, run)}")
    except (OSError, RuntimeError, KeyError, ValueError) as error:
        print(f"drift-issue: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
