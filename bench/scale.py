"""How training's cost grows with the corpus: `make bench-scale`.

    python -m bench.scale [--sizes 10000,100000,1000000] [--workdir DIR] [--out bench/scale_results.json]
                          [--plot docs/images/training-scale.svg]

For each size, a generated corpus of that many training documents (bench.scale_corpus; one fixed test
set of TEST_DOCUMENTS documents from the same classes) is trained on by the real training entry point,
`python -m training` (every stage in one process), with the repository's params.yaml (only
`data.test_source` pointed at the test set), in a scratch folder: the workspace's model is left alone.
Each size is its own process, so its peak memory is that process's own maximum resident set (os.wait4),
start-up to exit.

Per size: the corpus's distinct words and word pairs (the vocabulary before pruning), generation time
(not part of training), the fitting step's seconds, the whole training process's seconds and peak
memory, and test accuracy. Then the growth exponent of time and memory (the slope on log-log axes:
1.0 is linear) and each target met or missed by how much. The results go to a JSON file, the table to
stdout, and a log-log picture to an SVG file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.scale_corpus import write_corpus
from bench.scale_plot import write_plot
from training import REPO_ROOT
from training.params import DEFAULT_PARAMS_PATH

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_OUT = REPO_ROOT / "bench" / "scale_results.json"
DEFAULT_PLOT = REPO_ROOT / "docs" / "images" / "training-scale.svg"
TEST_DOCUMENTS = 20_000
# Targets on a 2-core machine: documents -> (training seconds, peak memory MB); None: no target.
TARGETS = {1_000_000: (30 * 60, 8 * 1024), 100_000: (3 * 60, None)}
# The lines of training's output echoed as progress: its steps, and fitting's own steps (indented).
STEPS = ("loading data:", "  ", "fitting:", "evaluating:", "exporting:", "total:")
FITTING = re.compile(r"^fitting: .* in ([\d.]+) s$")


def parse_sizes(text: str) -> list[int]:
    """ "10000,100000" -> [10000, 100000]: positive whole numbers, `_` allowed, sorted, no repeats."""
    try:
        sizes = sorted({int(part.strip().replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(
            f"SIZES must be whole numbers separated by commas, e.g. 10000,100000; got {text!r}"
        ) from None
    if not sizes or sizes[0] < 100:
        raise ValueError(f"SIZES needs at least one size of 100 documents or more; got {text!r}")
    return sizes


def measure_size(size: int, workdir: Path, test_file: Path) -> dict[str, Any]:
    """Generate a corpus of `size` documents and train on it in its own process; one row of results."""
    folder = workdir / f"n{size}"
    _progress(size, "generating the corpus")
    started = time.perf_counter()
    corpus = write_corpus(folder / "corpus.csv", size)
    generation = time.perf_counter() - started
    params = write_params(folder / "params.yaml", test_file)
    _progress(size, f"training ({corpus.distinct_words:,} distinct words, generated in {generation:.0f} s)")
    run = run_training(size, corpus.path, params, folder)
    metrics = json.loads((folder / "reports" / "metrics.json").read_text(encoding="utf-8"))
    return {
        "documents": size,
        "characters": corpus.characters,
        "distinct_words": corpus.distinct_words,
        "distinct_bigrams": corpus.distinct_bigrams,
        "generation_seconds": round(generation, 1),
        "fit_seconds": run["fit_seconds"],
        "train_seconds": run["train_seconds"],
        "peak_rss_mb": run["peak_rss_mb"],
        "accuracy": metrics["accuracy"],
        "features": metrics.get("n_features"),
    }


def write_params(path: Path, test_file: Path) -> Path:
    """The repository's params.yaml with the generated test set as `data.test_source`."""
    params = yaml.safe_load(DEFAULT_PARAMS_PATH.read_text(encoding="utf-8"))
    params["data"]["test_source"] = str(test_file)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def run_training(size: int, data: Path, params: Path, folder: Path) -> dict[str, float]:
    """Run `python -m training` on `data`, echoing its steps; its seconds and peak memory."""
    command = [sys.executable, "-m", "training", "--data", str(data), "--params", str(params)]
    command += ["--out-dir", str(folder / "model"), "--reports-dir", str(folder / "reports")]
    log = folder / "train.log"
    fit_seconds = None
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as stream:
        child = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for line in child.stdout:
            stream.write(line)
            if line.startswith(STEPS):
                _progress(size, line.strip())
            if match := FITTING.match(line.strip()):
                fit_seconds = float(match.group(1))
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode != 0 or fit_seconds is None:
        raise SystemExit(f"training on {size:,} documents failed (exit {child.returncode}); see {log}")
    return {
        "fit_seconds": fit_seconds,
        "train_seconds": round(seconds, 1),
        "peak_rss_mb": round(_maxrss_mb(usage.ru_maxrss), 1),
    }


def _maxrss_mb(maxrss: int) -> float:
    """ru_maxrss in MB: kilobytes on Linux, bytes on macOS."""
    return maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def growth_exponent(rows: list[dict], key: str) -> float | None:
    """The least-squares slope of log(key) against log(documents): 1.0 is linear growth."""
    points = [(math.log(row["documents"]), math.log(row[key])) for row in rows if row[key] > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def verdicts(rows: list[dict]) -> list[str]:
    """Each target of a measured size, met or missed, with the number and the shortfall."""
    lines = []
    for row in rows:
        seconds_target, memory_target = TARGETS.get(row["documents"], (None, None))
        if seconds_target is not None:
            lines.append(
                _verdict(row["documents"], "training time", row["train_seconds"], seconds_target, "s")
            )
        if memory_target is not None:
            lines.append(_verdict(row["documents"], "peak memory", row["peak_rss_mb"], memory_target, "MB"))
    return lines


def _verdict(size: int, what: str, value: float, target: float, unit: str) -> str:
    status = "met" if value <= target else f"MISSED by {value - target:,.0f} {unit}"
    return f"{size:,} documents, {what}: {value:,.0f} {unit} (target <= {target:,.0f} {unit}): {status}"


def table(rows: list[dict]) -> str:
    """The results as a markdown table."""
    lines = [
        "| documents | distinct words | distinct word pairs | fitting s | training s | peak RSS MB "
        "| accuracy |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['documents']:,} | {row['distinct_words']:,} | {row['distinct_bigrams']:,} "
            f"| {row['fit_seconds']:,.1f} | {row['train_seconds']:,.1f} | {row['peak_rss_mb']:,.0f} "
            f"| {row['accuracy']:.4f} |"
        )
    return "\n".join(lines)


def segment_exponents(rows: list[dict], key: str) -> list[dict]:
    """The growth exponent between each pair of consecutive sizes: at small sizes fixed costs (start-up,
    the test set) flatten the overall slope, so the last segment says most about larger corpora."""
    return [
        {"from": a["documents"], "to": b["documents"], "exponent": growth_exponent([a, b], key)}
        for a, b in itertools.pairwise(rows)
    ]


def summary(rows: list[dict]) -> dict[str, Any]:
    """Growth exponents, overall and per segment, and verdicts: the closing note."""
    keys = ("train_seconds", "peak_rss_mb")
    return {
        "growth_exponent": {key: growth_exponent(rows, key) for key in keys},
        "segment_exponents": {key: segment_exponents(rows, key) for key in keys},
        "verdicts": verdicts(rows),
    }


def closing_note(result: dict[str, Any]) -> str:
    """How time and memory grow (1.0 is linear), then each target met or missed."""
    lines = []
    for key, name in (("train_seconds", "training time"), ("peak_rss_mb", "peak memory")):
        overall = result["summary"]["growth_exponent"][key]
        if overall is None:
            continue
        segments = ", ".join(
            f"{segment['exponent']:.2f} from {segment['from']:,} to {segment['to']:,}"
            for segment in result["summary"]["segment_exponents"][key]
        )
        lines.append(f"{name} grows as documents^{overall:.2f} overall ({segments})")
    return "\n".join([*lines, *result["summary"]["verdicts"]])


def write_results(path: Path, rows: list[dict]) -> dict[str, Any]:
    """The results file: the machine, the rows, the exponents and the verdicts."""
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "test_documents": TEST_DOCUMENTS,
        "rows": rows,
        "summary": summary(rows),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def plot_path(requested: Path | None, sizes: list[int], results: Path) -> Path:
    """Where the picture goes: as asked; else the docs' picture for a full run, and beside the results
    file for a subset (a SIZES= run must not replace the committed picture of all sizes)."""
    if requested is not None:
        return requested
    return DEFAULT_PLOT if tuple(sizes) == DEFAULT_SIZES else results.with_suffix(".svg")


def _progress(size: int, step: str) -> None:
    print(f"[{size:>9,}] {step}", flush=True)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="%(default)s")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temporary one, removed)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results file (default: %(default)s)")
    parser.add_argument(
        "--plot",
        type=Path,
        help=f"SVG picture (default: {DEFAULT_PLOT} for the default sizes, else beside --out)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        sizes = parse_sizes(args.sizes)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        workdir = args.workdir or Path(scratch)
        print(f"generating the test set ({TEST_DOCUMENTS:,} documents) in {workdir}", flush=True)
        test_file = write_corpus(workdir / "test.csv", TEST_DOCUMENTS, stream=1).path
        rows = [measure_size(size, workdir, test_file) for size in sizes]
    result = write_results(args.out, rows)
    plot = plot_path(args.plot, sizes, args.out)
    write_plot(plot, rows, TARGETS)
    print(f"\n{table(rows)}\n\n{closing_note(result)}\n\nresults: {args.out}; picture: {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
