"""The quality gate (`make check-model [BASE=<rev>]`): refuse a model that is worse, say why either way.

A newly trained model passes when its test accuracy is at least `gate.min_accuracy` and, when a base
revision is given, no more than `gate.max_accuracy_drop` below that revision's accuracy. The base's
figure comes from DVC (`dvc metrics diff`), i.e. from the metrics file git recorded at that revision, so
the comparison needs no retraining of the base. Models trained on different data are not comparable:
then only the floor applies, and the gate says so.

    python -m training.quality_gate [--base REV]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from training import REPO_ROOT
from training.params import DEFAULT_PARAMS_PATH, ParamsError, load_params

METRICS_PATH = Path("training/reports/metrics.json")
DATA_FINGERPRINT_PATH = Path("training/reports/data.json")


class GateError(RuntimeError):
    """The gate could not be evaluated (no metrics, unknown revision): a failure, never a silent pass."""


@dataclass(frozen=True)
class Verdict:
    passed: bool
    lines: list[str]


def judge(accuracy: float, base_accuracy: float | None, gate: dict, same_data: bool) -> Verdict:
    """Pure decision: compares the figures with the gate's thresholds and explains the outcome."""
    floor, max_drop = gate["min_accuracy"], gate["max_accuracy_drop"]
    lines = [f"test accuracy {accuracy:.4f}, floor {floor:.4f} (gate.min_accuracy)"]
    passed = accuracy >= floor
    if not passed:
        lines.append(f"FAIL: accuracy is {floor - accuracy:.4f} below the floor")
    if base_accuracy is None:
        lines.append("no base revision to compare with: only the floor applies")
    elif not same_data:
        lines.append(f"base accuracy {base_accuracy:.4f} was measured on other data: not compared")
    else:
        change = accuracy - base_accuracy
        lines.append(
            f"base accuracy {base_accuracy:.4f}, change {change:+.4f}, "
            f"allowed drop {max_drop:.4f} (gate.max_accuracy_drop)"
        )
        if change < -max_drop:
            passed = False
            lines.append(f"FAIL: accuracy dropped by {-change:.4f}, more than the allowed {max_drop:.4f}")
    lines.append("PASS: the model may replace the base" if passed else "the model is refused")
    return Verdict(passed, lines)


def current_accuracy(root: Path = REPO_ROOT) -> float:
    path = root / METRICS_PATH
    if not path.is_file():
        raise GateError(f"{METRICS_PATH} not found: train first (make train)")
    return float(json.loads(path.read_text(encoding="utf-8"))["accuracy"])


def base_accuracy(base: str, root: Path = REPO_ROOT) -> float | None:
    """The base revision's accuracy through `dvc metrics diff`; None when the base has no metrics yet."""
    command = [sys.executable, "-m", "dvc", "metrics", "diff", base, "--all", "--json"]
    output = _run([*command, "--targets", str(METRICS_PATH)], root)
    accuracy = json.loads(output or "{}").get(str(METRICS_PATH), {}).get("accuracy", {})
    return accuracy.get("old")


def same_data_as(base: str, root: Path = REPO_ROOT) -> bool:
    """True when the base revision's data fingerprint equals the current one."""
    try:
        base_text = _run(["git", "show", f"{base}:{DATA_FINGERPRINT_PATH}"], root)
    except GateError:
        return False
    current = (root / DATA_FINGERPRINT_PATH).read_text(encoding="utf-8")
    return json.loads(base_text) == json.loads(current)


def _run(command: list[str], root: Path) -> str:
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GateError(f"{' '.join(command)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.quality_gate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--base", help="git revision to compare with (e.g. main); default: floor only")
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS_PATH, help="params file")
    args = parser.parse_args(argv)
    try:
        gate = load_params(args.params)["gate"]
        accuracy = current_accuracy()
        base = base_accuracy(args.base) if args.base else None
        same_data = base is not None and same_data_as(args.base)
    except (GateError, ParamsError) as exc:
        print(f"quality gate: error: {exc}", file=sys.stderr)
        return 2
    verdict = judge(accuracy, base, gate, same_data)
    print("\n".join(f"quality gate: {line}" for line in verdict.lines))
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
