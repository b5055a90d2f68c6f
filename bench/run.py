"""Measure this project and the reference system side by side, in one run, on this machine: `make bench`.

    python -m bench.run [--runs 7] [--calls 2000] [--workdir DIR [--reuse]] [--out bench/results.json]

Needs 20 Newsgroups (SCIKIT_LEARN_DATA). Both sides are trained from scratch into a scratch folder
(the workspace's model is left alone), then measured the same way:

- accuracy, accuracy_stripped, macro_f1: the 20NG "bydate" test split, headers kept / headers, footers
  and quotes removed, as each side's training run evaluated its model;
- fit_seconds: the whole training process (start-up, data loading, fitting, evaluation, export);
- artifact_bytes: the model files the serving image carries;
- cold_start_seconds / cold_start_peak_rss_mb: median over `--runs` fresh processes (after one
  discarded warm-up) that import the handler module, load the model and answer one API Gateway event
  through `lambda_handler`; wall time from process creation to exit, and the process's peak RSS
  (interpreter start-up and exit included, as a new execution environment pays them).
  The two sides alternate, so background load hits both alike;
- warm figures come from WARM_ROUNDS warm processes per side, the sides alternating round by round (as
  the cold starts do), so that a slow spell of the machine hits both sides alike rather than the one
  measured during it; each figure pools the rounds' timings:
- warm_p50_ms / warm_p99_ms: `--calls` handler calls with one ~2 KB text (split over the rounds);
- warm_p50_ms_explained / warm_p99_ms_explained (this project only; the reference cannot explain): the
  same text with `"explain": 10`, in the same processes, after one first explained call each
  (explained_first_call_ms: their median);
- batch_docs_per_second: a `texts` batch of 256 test documents through the handler, BATCHES times per
  round after one first batch timed on its own (batch_first_ms, the median of those: what only a batch
  uses is set up then); all the documents over all the batches' seconds;
- serving_deps_mb: installed size of the Python packages the serving image installs.

Figures depend on the machine and on what else runs on it: the table records both (machine, load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import numpy as np

from local_runtime.dockerfile import parse_dockerfile
from local_runtime.paths import APP_DIR, REPO_ROOT
from local_runtime.task_root import build_task_root
from serving.app.contracts import api, artifact

BENCH_DIR = REPO_ROOT / "bench"
PROBE = BENCH_DIR / "probe.py"
DEFAULT_OUT = BENCH_DIR / "results.json"
SINGLE_TEXT_CHARS = 2048
EXPLAIN_TERMS = 10
BATCH_SIZE = 256
BATCH_DOC_MAX_CHARS = 3000
BATCHES = 10
WARM_ROUNDS = 4
# The reference image installed scikit-learn (with its dependencies) and the metrics library.
REFERENCE_PACKAGES = ("scikit-learn", "joblib", "aws-embedded-metrics")

TARGETS = {
    "accuracy": (">=", 0.870),
    "artifact_bytes": ("<=", 5_000_000),
    "cold_start_seconds": ("<=", 0.30),
    "cold_start_peak_rss_mb": ("<=", 120.0),
    "warm_p50_ms": ("<=", 0.5),
    "fit_seconds": ("<=", 60.0),
}
COLD_START_SHARE_OF_REFERENCE = 0.25
# The cold start may exceed a bare `python -c "import numpy"` (the floor of any numpy handler) by this much.
COLD_START_ABOVE_FLOOR_SECONDS = 0.05
# Single-text warm p50 at most this share of the reference's; batch throughput at least this multiple.
WARM_P50_SHARE_OF_REFERENCE = 0.35
BATCH_MULTIPLE_OF_REFERENCE = 2.0
# An explained answer may cost at most this many times an unexplained one (p50, same text).
EXPLAINED_P50_SHARE = 1.5


def run_timed(command: list[str], log: Path) -> float:
    """Run a training command from the repository root; its output goes to `log`. Returns seconds."""
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as stream:
        result = subprocess.run(command, cwd=REPO_ROOT, stdout=stream, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed; see {log}")
    return seconds


def train_project(workdir: Path, reuse: bool, data: str | None = None) -> dict[str, Any]:
    """`python -m training` (every stage, one process) into the scratch folder, with the repository's
    params.yaml.

    `data` overrides its data source (the benchmark's own test trains on a small CSV).
    """
    model_dir, reports_dir = workdir / "project" / "model", workdir / "project" / "reports"
    timing = workdir / "project" / "fit_seconds.json"
    if not (reuse and timing.exists()):
        print("training this project (python -m training) ...", flush=True)
        command = [sys.executable, "-m", "training", "--out-dir", str(model_dir)]
        command += ["--reports-dir", str(reports_dir)] + (["--data", data] if data else [])
        model_dir.parent.mkdir(parents=True, exist_ok=True)
        seconds = run_timed(command, workdir / "project" / "train.log")
        timing.write_text(json.dumps(seconds), encoding="utf-8")
    metrics = json.loads((reports_dir / "metrics.json").read_text(encoding="utf-8"))
    return {
        "accuracy": metrics["accuracy"],
        "accuracy_stripped": metrics.get("stripped_accuracy"),  # 20 Newsgroups only
        "macro_f1": metrics["macro_f1"],
        "fit_seconds": json.loads(timing.read_text(encoding="utf-8")),
        "artifact_bytes": sum(
            (model_dir / name).stat().st_size for name in (artifact.ARRAYS_FILE, artifact.MANIFEST_FILE)
        ),
        "n_features": metrics["n_features"],
        "model_dir": model_dir,
    }


def train_reference(workdir: Path, reuse: bool) -> dict[str, Any]:
    """The reference recipe (bench/reference.py) into the scratch folder."""
    out_dir = workdir / "reference"
    timing = out_dir / "fit_seconds.json"
    if not (reuse and timing.exists()):
        print("training the reference recipe (python -m bench.reference) ...", flush=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        seconds = run_timed([sys.executable, "-m", "bench.reference", str(out_dir)], out_dir / "train.log")
        timing.write_text(json.dumps(seconds), encoding="utf-8")
    metrics = json.loads((out_dir / "metrics.json").read_text(encoding="utf-8"))
    model_path = out_dir / "model.joblib.gz"
    return {
        "accuracy": metrics["accuracy"],
        "accuracy_stripped": metrics["stripped_accuracy"],
        "macro_f1": metrics["macro_f1"],
        "fit_seconds": json.loads(timing.read_text(encoding="utf-8")),
        "artifact_bytes": model_path.stat().st_size,
        "model_path": model_path,
    }


def api_events(test_texts: list[str]) -> dict[str, dict]:
    """The single-text event (a ~2 KB test document), the same text asking for an explanation, and the
    batch event (256 test documents)."""
    long_enough = next(text for text in test_texts if len(text) >= SINGLE_TEXT_CHARS)
    single = long_enough[:SINGLE_TEXT_CHARS].rsplit(None, 1)[0]
    batch = [text for text in test_texts if len(text) <= BATCH_DOC_MAX_CHARS][:BATCH_SIZE]
    return {
        "single": _classify_event({"text": single}),
        "explained": _classify_event({"text": single, "explain": EXPLAIN_TERMS}),
        "batch": _classify_event({"texts": batch}),
    }


def _classify_event(payload: dict) -> dict:
    """POST /v1/classify as API Gateway hands it to the function: the event the local runtime builds."""
    from local_runtime.apigateway import HttpRequest, build_event

    body = json.dumps(payload).encode("utf-8")
    headers = [("Host", "127.0.0.1"), ("Content-Type", "application/json")]
    request = HttpRequest("POST", api.CLASSIFY, headers, body, source_ip="127.0.0.1")
    return build_event(request, stage="bench", port=0, request_id="bench", trace_id="Root=1-00000000-bench")


def serving_sides(project: dict[str, Any], reference: dict[str, Any]) -> list[dict[str, Any]]:
    """The two handlers to measure, each with its model; their figures go into `reference`/`project`.

    This project's handler runs from a task root laid out as its image holds it (the Dockerfile read by
    the local runtime), with its model where the image keeps it, beside the trained model's folder.
    """
    model_dir = project.pop("model_dir")
    image = parse_dockerfile(APP_DIR / "Dockerfile")
    task_root = build_task_root(APP_DIR, image, model_dir.parent / "task_root", model_dir)
    return [
        {
            "name": "reference",
            "module": "bench.reference_handler",
            "env": probe_environment({"REFERENCE_MODEL": str(reference.pop("model_path"))}),
            "result": reference,
            "explains": False,
        },
        {
            "name": "project",
            "module": image.handler.rpartition(".")[0],
            "env": probe_environment({"PYTHONPATH": str(task_root)}),
            "result": project,
            "explains": True,
        },
    ]


def probe_environment(extra: dict[str, str]) -> dict[str, str]:
    """The process environment of a simulated Lambda execution environment.

    Bytecode may be cached (the image compiles it at build time); AWS_LAMBDA_FUNCTION_NAME makes both
    handlers' metrics code behave as on Lambda (stdout, no network probing). A task root is on the
    module search path through PYTHONPATH, as the Lambda runtime puts it there.
    """
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "PYTHONDONTWRITEBYTECODE" and not key.startswith(("AWS_EMF_", "AWS_LAMBDA_"))
    }
    return {**environment, "AWS_LAMBDA_FUNCTION_NAME": "bench", **extra}


def cold_start(side: dict[str, Any], events_path: Path, workdir: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one fresh process: import the handler, load, answer one event."""
    result_path = workdir / f"{side['name']}-cold.json"
    command = [sys.executable, str(PROBE), "cold", side["module"], str(events_path)]
    started = time.perf_counter()
    result = subprocess.run(
        [*command, str(result_path)],
        env=side["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{side['name']} cold start failed: {result.stderr.decode()[-2000:]}")
    return seconds, json.loads(result_path.read_text(encoding="utf-8"))["peak_rss_mb"]


def warm(side: dict[str, Any], events_path: Path, calls: int, workdir: Path) -> dict[str, Any]:
    """The raw timings of one warm process: single-text calls (and explained ones, if the side explains)
    and batches."""
    result_path = workdir / f"{side['name']}-warm.json"
    command = [sys.executable, str(PROBE), "warm", side["module"], str(events_path)]
    command += [str(result_path), str(calls), str(BATCHES)] + (["explained"] if side["explains"] else [])
    subprocess.run(command, env=side["env"], check=True, stdout=subprocess.DEVNULL)
    return json.loads(result_path.read_text(encoding="utf-8"))


def warm_figures(rounds: list[dict[str, Any]], explains: bool) -> dict[str, float]:
    """Latency percentiles and batch throughput over the timings of all of a side's warm processes."""
    single_ms = np.concatenate([timings["single_seconds"] for timings in rounds]) * 1000.0
    batch_seconds = [seconds for timings in rounds for seconds in timings["batch_seconds"]]
    figures = {
        "warm_p50_ms": float(np.percentile(single_ms, 50)),
        "warm_p99_ms": float(np.percentile(single_ms, 99)),
        "batch_docs_per_second": rounds[0]["batch_size"] * len(batch_seconds) / sum(batch_seconds),
        "batch_first_ms": statistics.median(t["batch_first_seconds"] for t in rounds) * 1000.0,
    }
    if explains:
        explained_ms = np.concatenate([timings["explained_seconds"] for timings in rounds]) * 1000.0
        figures["warm_p50_ms_explained"] = float(np.percentile(explained_ms, 50))
        figures["warm_p99_ms_explained"] = float(np.percentile(explained_ms, 99))
        first = statistics.median(t["explained_first_seconds"] for t in rounds)
        figures["explained_first_call_ms"] = first * 1000.0
    return figures


def installed_mb(names: list[str]) -> float:
    """Installed size of the named distributions and everything they require (recursively)."""
    seen: set[str] = set()
    pending = [name.lower() for name in names]
    total = 0
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        total += sum(
            path.stat().st_size for path in map(dist.locate_file, dist.files or []) if path.is_file()
        )
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:  # optional extras are not installed
                pending.append(re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower())
    return total / 1e6


def serving_requirements() -> list[str]:
    """The distributions serving/app/requirements.txt pins: what the image installs."""
    lines = (APP_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("==")[0].strip() for line in lines if "==" in line and not line.startswith((" ", "#"))]


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text(encoding="utf-8").splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor()


def machine(load_before: tuple[float, ...], numpy_start_seconds: float) -> dict[str, Any]:
    """Where and when the figures were taken, how busy and how fast the machine was around the run."""
    return {
        "python_numpy_start_seconds": numpy_start_seconds,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def numpy_start(environment: dict[str, str]) -> float:
    """Seconds for a fresh interpreter to import numpy and exit: the floor under any numpy handler."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy"], env=environment, check=True)
    return time.perf_counter() - started


def measure_serving(sides: list[dict], events_path: Path, runs: int, calls: int, workdir: Path) -> float:
    """Cold starts (alternating sides, one warm-up each discarded), then warm rounds (alternating sides
    too); into `sides`.

    Returns the median start-up of a bare `import numpy` process, measured in the same rounds.
    """
    samples: dict[str, list[tuple[float, float]]] = {side["name"]: [] for side in sides}
    floor = []
    print(f"cold starts: {runs} measured runs per side after one warm-up ...", flush=True)
    for run in range(runs + 1):
        for side in sides:
            sample = cold_start(side, events_path, workdir)
            if run > 0:
                samples[side["name"]].append(sample)
        if run > 0:
            floor.append(numpy_start(sides[-1]["env"]))
    for side in sides:
        seconds, rss = zip(*samples[side["name"]], strict=True)
        side["result"]["cold_start_seconds"] = statistics.median(seconds)
        side["result"]["cold_start_peak_rss_mb"] = statistics.median(rss)
        side["result"]["cold_start_runs_seconds"] = [round(value, 4) for value in seconds]
    print(f"warm calls and batches: {WARM_ROUNDS} rounds, alternating sides ...", flush=True)
    rounds: dict[str, list[dict]] = {side["name"]: [] for side in sides}
    for _ in range(WARM_ROUNDS):
        for side in sides:
            rounds[side["name"]].append(warm(side, events_path, max(1, calls // WARM_ROUNDS), workdir))
    for side in sides:
        side["result"].update(warm_figures(rounds[side["name"]], side["explains"]))
    return statistics.median(floor)


ROWS = [
    ("accuracy", "accuracy (20NG test, headers kept)", "{:.4f}"),
    ("accuracy_stripped", "accuracy (headers/footers/quotes removed)", "{:.4f}"),
    ("macro_f1", "macro-F1", "{:.4f}"),
    ("fit_seconds", "training, whole process (s)", "{:.1f}"),
    ("artifact_bytes", "artifact (MB)", "bytes"),
    ("cold_start_seconds", "cold start: import+load+1st answer (s)", "{:.3f}"),
    ("cold_start_peak_rss_mb", "cold start peak RSS (MB)", "{:.0f}"),
    ("warm_p50_ms", "warm latency p50 (ms)", "{:.3f}"),
    ("warm_p99_ms", "warm latency p99 (ms)", "{:.3f}"),
    ("warm_p50_ms_explained", f'warm latency p50, "explain": {EXPLAIN_TERMS} (ms)', "{:.3f}"),
    ("warm_p99_ms_explained", f'warm latency p99, "explain": {EXPLAIN_TERMS} (ms)', "{:.3f}"),
    ("batch_docs_per_second", "batch throughput (docs/s)", "{:,.0f}"),
    ("batch_first_ms", "first batch in a process (ms)", "{:.1f}"),
    ("serving_deps_mb", "serving dependencies installed (MB)", "{:.1f}"),
]


def target_verdict(key: str, project: dict, reference: dict, floor: float | None = None) -> str:
    """The project's target for this row and whether this run met it ('' when there is none); `floor` is
    the run's bare numpy start-up time."""
    if key == "batch_docs_per_second":
        multiple = project[key] / reference[key]
        met = "met" if multiple >= BATCH_MULTIPLE_OF_REFERENCE else "MISSED"
        return f">= {BATCH_MULTIPLE_OF_REFERENCE:g}x the reference: {met} ({multiple:.2f}x)"
    if key == "warm_p50_ms_explained":
        share = project[key] / project["warm_p50_ms"]
        met = "met" if share <= EXPLAINED_P50_SHARE else "MISSED"
        return f"<= {EXPLAINED_P50_SHARE:g}x unexplained p50: {met} ({share:.2f}x)"
    if key not in TARGETS:
        return ""
    operator, limit = TARGETS[key]
    value = project[key]
    met = value >= limit if operator == ">=" else value <= limit
    shown = f"{limit / 1e6:g} MB" if key == "artifact_bytes" else f"{limit:g}"
    verdict = f"{operator} {shown}: {'met' if met else 'MISSED'}"
    if key == "cold_start_seconds":
        share = value / reference[key]
        relative = "met" if share <= COLD_START_SHARE_OF_REFERENCE else "MISSED"
        verdict += f"; <= 25% of the reference: {relative} ({share:.0%})"
        if floor is not None:
            above = value - floor
            met = "met" if above <= COLD_START_ABOVE_FLOOR_SECONDS else "MISSED"
            verdict += f"; <= numpy floor + {COLD_START_ABOVE_FLOOR_SECONDS:g} s: {met} (+{above:.3f} s)"
    if key == "warm_p50_ms":
        share = value / reference[key]
        met = "met" if share <= WARM_P50_SHARE_OF_REFERENCE else "MISSED"
        verdict += f"; <= {WARM_P50_SHARE_OF_REFERENCE:g}x the reference: {met} ({share:.2f}x)"
    return verdict


def table(results: dict[str, dict]) -> str:
    """The side-by-side table, as Markdown (docs/performance.md shows it as is)."""
    project, reference = results["project"], results["reference"]
    floor = results.get("machine", {}).get("python_numpy_start_seconds")
    lines = ["| | reference | this project | project target |", "|---|---:|---:|---|"]
    for key, label, style in ROWS:
        cells = []
        for side in (reference, project):
            value = side.get(key)
            if value is None:
                cells.append("-")
            elif style == "bytes":
                cells.append(f"{value / 1e6:.1f}" if value >= 1e6 else f"{value / 1e6:.2f}")
            else:
                cells.append(style.format(value))
        verdict = target_verdict(key, project, reference, floor)
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="cold starts per side (median; default 7)")
    parser.add_argument("--calls", type=int, default=2000, help="warm single-text calls (default 2000)")
    parser.add_argument("--workdir", type=Path, help="scratch folder to keep (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="reuse models already trained in --workdir")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results file (default: %(default)s)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        from training.data_files import DataError
        from training.sources.twenty_newsgroups import load_twenty_newsgroups

        try:
            test_texts = load_twenty_newsgroups().test_texts
        except DataError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        project = train_project(workdir, args.reuse)
        reference = train_reference(workdir, args.reuse)
        events_path = workdir / "events.json"
        events_path.write_text(json.dumps(api_events(test_texts)), encoding="utf-8")
        sides = serving_sides(project, reference)
        floor = measure_serving(sides, events_path, args.runs, args.calls, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    write_results(args.out, project, reference, machine(load_before, floor))
    return 0


def write_results(out: Path, project: dict, reference: dict, info: dict) -> dict[str, dict]:
    """Adds the installed sizes, writes both sides and the machine to `out` (JSON), prints the table."""
    project["serving_deps_mb"] = installed_mb(serving_requirements())
    reference["serving_deps_mb"] = installed_mb(list(REFERENCE_PACKAGES))
    results = {"project": project, "reference": reference, "machine": info}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(
        f"\n{info['date']}, {info['cpu']} ({info['cpus']} CPUs), Python {info['python']}, "
        f"load average {info['load_average_before'][0]} -> {info['load_average_after'][0]}\n"
    )
    print(table(results))
    print(f"\nwritten to {out}")
    return results


if __name__ == "__main__":
    sys.exit(main())
