"""The retraining report (`make metrics-report [BASE=<rev>]`): what changed against a base, as markdown.

A reviewer judges a retrained model by how its numbers moved, not by the numbers alone. The tables are
DVC's own: `dvc metrics diff --md` (the headline metrics, every one, changed or not) and `dvc params diff
--md` (the parameters that changed). This report adds only what DVC does not say: the quality gate's
verdict (training/quality_gate.py's own decision), the data checks in words with their warnings
(training/data_checks.py's own sentences), and the classes whose F1 moved most, read from the metrics
file git recorded at the base, so nothing is retrained and a fresh clone is enough. The markdown is made
for a pull-request comment and a CI job summary alike.

    python -m training.metrics_report [--base REV] [--output FILE] [--top N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from training import REPO_ROOT
from training.data_checks import findings
from training.params import ParamsError, load_params
from training.quality_gate import METRICS_PATH, GateError, judge, same_data_as

DEFAULT_BASE = "HEAD"
DEFAULT_TOP = 5
# dvc flattens metrics.json's per-class figures into per_class.<class>.<stat> rows (80 for 20 Newsgroups),
# and the training documents of each label likewise: they are left out of the metrics table; the F1
# section below lists the classes that matter, the data checks section names the labels that matter.
PER_CLASS = "per_class."
PER_LABEL = "data_checks.train_documents_per_label."


class ReportError(RuntimeError):
    """The report could not be made (no metrics, unknown revision): say what to do, never print half."""


# --- what DVC renders --------------------------------------------------------------------------------------


def dvc_table(kind: str, base: str, root: Path = REPO_ROOT) -> list[str]:
    """`dvc metrics diff --md --all` or `dvc params diff --md` against base: the table's lines.

    Metrics are all shown, changed or not (the headline figures a reviewer looks for); parameters only
    when they changed. The per-class and per-label rows of the metrics are dropped.
    """
    command = [sys.executable, "-m", "dvc", kind, "diff", base, "--md", "--no-path"]
    if kind == "metrics":
        command += ["--all", "--targets", str(METRICS_PATH)]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = result.stderr.strip() or result.stdout.strip()
        raise ReportError(f"dvc {kind} diff {base} failed: {message}")
    lines = [line for line in result.stdout.splitlines() if line.startswith("|")]
    return [line for line in lines if not line.split("|")[1].strip().startswith((PER_CLASS, PER_LABEL))]


def table_section(title: str, table: list[str], empty: str) -> list[str]:
    """A DVC table under its heading; the sentence `empty` when it has no row (only header and rule)."""
    return [f"#### {title}", "", *(table if len(table) > 2 else [empty])]


# --- what the report adds -----------------------------------------------------------------------------------


def read_metrics(base: str, root: Path = REPO_ROOT) -> tuple[dict | None, dict]:
    """metrics.json at the base revision as git recorded it (None if it had none yet) and in the workspace."""
    workspace = root / METRICS_PATH
    if not workspace.is_file():
        raise ReportError(f"{METRICS_PATH} not found: train first (make train)")
    current = json.loads(workspace.read_text(encoding="utf-8"))
    if "accuracy" not in current:
        raise ReportError(f"{METRICS_PATH} has no accuracy in the workspace: train first (make train)")
    if _git(["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], root) is None:
        raise ReportError(f"unknown revision {base!r}: fetch it, or name another with --base")
    recorded = _git(["show", f"{base}:{METRICS_PATH.as_posix()}"], root)
    return (json.loads(recorded) if recorded is not None else None), current


def _git(args: list[str], root: Path) -> str | None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else None


def gate_section(base_metrics: dict | None, metrics: dict, base: str, root: Path = REPO_ROOT) -> list[str]:
    """The quality gate's own decision on the same figures, so the report never disagrees with it."""
    base_accuracy = base_metrics.get("accuracy") if base_metrics else None
    same_data = base_accuracy is not None and same_data_as(base, root)
    gate = load_params(root / "params.yaml")["gate"]
    verdict = judge(metrics["accuracy"], base_accuracy, gate, same_data)
    title = "passed" if verdict.passed else "refused"
    return [f"**Quality gate: {title}**", "", *(f"- {line}" for line in verdict.lines)]


def data_checks_section(metrics: dict, class_weight: str | None) -> list[str]:
    """The workspace's data checks, one line per check, warnings marked: what training printed.

    Absent for metrics written before training checked its data.
    """
    figures = metrics.get("data_checks")
    if figures is None:
        return []
    found = findings(figures, class_weight)
    warnings = sum(finding.warning for finding in found)
    title = "no warning" if warnings == 0 else f"{warnings} warning{'s' if warnings > 1 else ''}"
    return [
        f"#### Data checks: {title}",
        "",
        *(f"- **warning:** {finding.text}" if finding.warning else f"- {finding.text}" for finding in found),
    ]


def f1_moves(base_metrics: dict, metrics: dict) -> dict[str, tuple[float | None, float | None]]:
    """{class: (F1 at the base, F1 now)} for every class on either side; None where it is absent."""
    old, new = _f1(base_metrics), _f1(metrics)
    return {name: (old.get(name), new.get(name)) for name in sorted(old.keys() | new.keys())}


def _f1(metrics: dict) -> dict[str, float]:
    return {name: stats["f1"] for name, stats in metrics.get("per_class", {}).items() if "f1" in stats}


def moved_most(moves: dict[str, tuple[float | None, float | None]], top: int) -> list[str]:
    """The classes whose F1 moved most; a class present on one side only counts as the largest move."""
    size = {name: _size_of_move(old, new) for name, (old, new) in moves.items()}
    return sorted((name for name in moves if size[name] > 0), key=lambda name: (-size[name], name))[:top]


def _size_of_move(old: float | None, new: float | None) -> float:
    return float("inf") if old is None or new is None else abs(new - old)


def per_class_section(base_metrics: dict | None, metrics: dict, base: str, top: int) -> list[str]:
    if base_metrics is None:
        return []
    moves = f1_moves(base_metrics, metrics)
    if not moves:
        return []
    names = moved_most(moves, top)
    if not names:
        return ["#### Per-class F1", "", f"No class's F1 changed against `{base}` ({len(moves)} classes)."]
    rows = [_f1_row(name, *moves[name]) for name in names]
    return [
        f"#### Per-class F1: the {len(names)} of {len(moves)} classes that moved most",
        "",
        f"| class | {base} | workspace | change |",
        "|---|---:|---:|---:|",
        *rows,
    ]


def _f1_row(name: str, old: float | None, new: float | None) -> str:
    change = "added" if old is None else "removed" if new is None else f"{new - old:+.4f}"
    return f"| {name} | {_figure(old)} | {_figure(new)} | {change} |"


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


# --- the report ---------------------------------------------------------------------------------------------


def build_report(base: str = DEFAULT_BASE, root: Path = REPO_ROOT, top: int = DEFAULT_TOP) -> str:
    base_metrics, metrics = read_metrics(base, root)
    class_weight = load_params(root / "params.yaml")["train"]["class_weight"]
    sections = [
        [f"### Model report: the workspace against `{base}`"],
        gate_section(base_metrics, metrics, base, root),
        data_checks_section(metrics, class_weight),
        table_section("Metrics", dvc_table("metrics", base, root), f"No metrics in `{METRICS_PATH}`."),
        table_section(
            "Parameters", dvc_table("params", base, root), f"No parameter changed against `{base}`."
        ),
        per_class_section(base_metrics, metrics, base, top),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.metrics_report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--base", default=DEFAULT_BASE, help="git revision to compare with (default: HEAD)")
    parser.add_argument("--output", type=Path, help="also write the markdown to this file")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP, help="classes listed by F1 change")
    args = parser.parse_args(argv)
    try:
        report = build_report(args.base, REPO_ROOT, args.top)
    except (ReportError, GateError, ParamsError) as exc:
        print(f"metrics report: error: {exc}", file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    print(report, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
