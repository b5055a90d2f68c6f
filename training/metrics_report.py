"""The retraining report (`make metrics-report [BASE=<rev>]`): what changed against a base, as markdown.

A reviewer judges a retrained model by how its numbers moved, not by the numbers alone. This report puts
side by side, for the base revision and the workspace: the quality gate's verdict, every headline metric,
the parameters that changed and the classes whose F1 moved most. Everything comes from DVC
(`dvc metrics diff`, `dvc params diff`), i.e. from what git recorded at the base, so nothing is retrained.
The markdown is made for a pull-request comment and a CI job summary alike.

    python -m training.metrics_report [--base REV] [--output FILE] [--top N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from training import REPO_ROOT
from training.params import ParamsError, load_params
from training.quality_gate import METRICS_PATH, GateError, judge, same_data_as

DEFAULT_BASE = "HEAD"
DEFAULT_TOP = 5
# Shown first, in this order; any other top-level metric follows alphabetically.
HEADLINE = ("accuracy", "macro_f1", "stripped_accuracy", "baseline_accuracy")
PER_CLASS = "per_class."
MISSING = "—"


class ReportError(RuntimeError):
    """The report could not be made (no metrics, unknown revision): say what to do, never print half."""


@dataclass(frozen=True)
class Change:
    """One value at the base revision (`old`) and in the workspace (`new`); None where it is absent."""

    name: str
    old: object
    new: object

    @property
    def delta(self) -> float | None:
        if _is_number(self.old) and _is_number(self.new):
            return self.new - self.old
        return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- reading DVC's JSON -----------------------------------------------------------------------------------


def metric_changes(metrics_diff: dict) -> tuple[list[Change], list[Change]]:
    """Splits `dvc metrics diff --all --json` into headline metrics and per-class F1 scores.

    DVC flattens nested keys with dots, and class names contain dots too (`sci.space`): a per-class key is
    `per_class.<class>.<stat>`, so the class is what lies between the prefix and the last dot.
    """
    values = metrics_diff.get(str(METRICS_PATH), {})
    headline, f1 = [], []
    for key, value in values.items():
        change = Change(key, value.get("old"), value.get("new"))
        if not key.startswith(PER_CLASS):
            headline.append(change)
        elif key.endswith(".f1"):
            f1.append(Change(key[len(PER_CLASS) : -len(".f1")], change.old, change.new))
    order = {name: index for index, name in enumerate(HEADLINE)}
    headline.sort(key=lambda c: (order.get(c.name, len(order)), c.name))
    return headline, f1


def param_changes(params_diff: dict) -> list[Change]:
    """The parameters whose value differs, from `dvc params diff --all --json`, sorted by name."""
    changes = [
        Change(name, value.get("old"), value.get("new"))
        for values in params_diff.values()
        for name, value in values.items()
        if value.get("old") != value.get("new")
    ]
    return sorted(changes, key=lambda c: c.name)


def moved_most(f1: list[Change], top: int) -> list[Change]:
    """The classes whose F1 moved most; a class present on one side only counts as the largest move."""
    moved = [c for c in f1 if _size_of_move(c) > 0]
    return sorted(moved, key=lambda c: (-_size_of_move(c), c.name))[:top]


def _size_of_move(change: Change) -> float:
    return float("inf") if change.delta is None else abs(change.delta)


# --- formatting --------------------------------------------------------------------------------------------


def format_value(value: object) -> str:
    """Figures as a reviewer reads them: 4 decimals for rates, thousands separators for counts."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def format_delta(change: Change) -> str:
    if change.delta is None:
        return "added" if change.old is None else "removed" if change.new is None else "changed"
    if isinstance(change.delta, int):
        return f"{change.delta:+,}"
    return f"{change.delta:+.4f}"


def code(value: object) -> str:
    """A table cell showing a raw value (a regex, a list) verbatim: code span, pipes escaped for tables."""
    if value is None:
        return MISSING
    text = json.dumps(value) if isinstance(value, bool) else str(value)
    return f"`{text}`".replace("|", "\\|")


def figure_row(change: Change) -> str:
    old, new = format_value(change.old), format_value(change.new)
    return f"| {change.name} | {old} | {new} | {format_delta(change)} |"


def gate_section(verdict_passed: bool, lines: list[str]) -> list[str]:
    title = "passed" if verdict_passed else "refused"
    return [f"**Quality gate: {title}**", "", *(f"- {line}" for line in lines)]


def metrics_section(headline: list[Change], base: str) -> list[str]:
    rows = [figure_row(c) for c in headline]
    return [
        "#### Metrics",
        "",
        f"| metric | base (`{base}`) | new | change |",
        "|---|---:|---:|---:|",
        *rows,
    ]


def params_section(params: list[Change], base: str) -> list[str]:
    if not params:
        return ["#### Parameters", "", f"No parameter changed against `{base}`."]
    rows = [f"| {c.name} | {code(c.old)} | {code(c.new)} |" for c in params]
    return ["#### Parameters", "", f"| parameter | base (`{base}`) | new |", "|---|---|---|", *rows]


def per_class_section(f1: list[Change], base: str, top: int) -> list[str]:
    if not f1:
        return []
    moved = moved_most(f1, top)
    summary = f1_summary(f1)
    if not moved:
        return ["#### Per-class F1", "", summary]
    rows = [figure_row(c) for c in moved]
    return [
        f"#### Per-class F1: the {len(moved)} classes that moved most",
        "",
        f"| class | base (`{base}`) | new | change |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        summary,
    ]


def f1_summary(f1: list[Change]) -> str:
    """One line counting the classes by direction, so the table's top N is seen in proportion."""
    counts = {
        "rose": sum(1 for c in f1 if c.delta is not None and c.delta > 0),
        "fell": sum(1 for c in f1 if c.delta is not None and c.delta < 0),
        "unchanged": sum(1 for c in f1 if c.delta == 0),
        "only in the base": sum(1 for c in f1 if c.new is None),
        "new": sum(1 for c in f1 if c.old is None),
    }
    parts = [f"{label}: {count}" for label, count in counts.items() if count]
    return f"Classes ({len(f1)}) by F1 change: {', '.join(parts)}."


def format_report(
    metrics_diff: dict,
    params_diff: dict,
    base: str,
    gate: tuple[bool, list[str]] | None = None,
    top: int = DEFAULT_TOP,
) -> str:
    """The whole report from DVC's JSON (pure: no I/O), sections separated by blank lines."""
    headline, f1 = metric_changes(metrics_diff)
    sections = [
        [f"### Model report: the workspace against `{base}`"],
        gate_section(*gate) if gate else [],
        metrics_section(headline, base),
        params_section(param_changes(params_diff), base),
        per_class_section(f1, base, top),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


# --- running DVC -------------------------------------------------------------------------------------------


def dvc_diff(kind: str, base: str, root: Path = REPO_ROOT) -> dict:
    """`dvc <kind> diff <base> --all --json` (kind: metrics or params), parsed."""
    command = [sys.executable, "-m", "dvc", kind, "diff", base, "--all", "--json"]
    if kind == "metrics":
        command += ["--targets", str(METRICS_PATH)]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = result.stderr.strip() or result.stdout.strip()
        raise ReportError(f"dvc {kind} diff {base} failed: {message}")
    return json.loads(result.stdout or "{}")


def gate_verdict(metrics_diff: dict, base: str, root: Path = REPO_ROOT) -> tuple[bool, list[str]]:
    """The quality gate's own decision on the same figures, so the report never disagrees with it."""
    accuracy = metrics_diff.get(str(METRICS_PATH), {}).get("accuracy", {})
    if accuracy.get("new") is None:
        raise ReportError(f"{METRICS_PATH} has no accuracy in the workspace: train first (make train)")
    base_accuracy = accuracy.get("old")
    same_data = base_accuracy is not None and same_data_as(base, root)
    verdict = judge(accuracy["new"], base_accuracy, load_params(root / "params.yaml")["gate"], same_data)
    return verdict.passed, verdict.lines


def build_report(base: str = DEFAULT_BASE, root: Path = REPO_ROOT, top: int = DEFAULT_TOP) -> str:
    metrics_diff = dvc_diff("metrics", base, root)
    params_diff = dvc_diff("params", base, root)
    return format_report(metrics_diff, params_diff, base, gate_verdict(metrics_diff, base, root), top)


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
