"""What the stage scripts share: their params (with a --data override), loading the data, timed steps,
and how a known problem ends a stage.

Each stage reads params.yaml itself (`--params` for another file); `--data SOURCE` overrides
`data.source` for one run and leaves the file, and so the DVC pipeline, untouched. A problem with the
params, the data or an input file ends the stage with `error: ...` on stderr and exit status 2: the
message names what to fix, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from training.data_files import DataError
from training.data_sources import load_dataset
from training.dataset import Dataset
from training.params import DEFAULT_PARAMS_PATH, ParamsError, load_params, validate_params
from training.pipeline import UnservableModelError
from training.stages.handoff import StageInputError

KNOWN_PROBLEMS = (ParamsError, DataError, UnservableModelError, StageInputError)


def parser(prog: str, doc: str) -> argparse.ArgumentParser:
    """An argument parser with the options every stage takes: --params and --data."""
    result = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    result.add_argument(
        "--params", type=Path, default=DEFAULT_PARAMS_PATH, help="params file (default: %(default)s)"
    )
    result.add_argument(
        "--data", help="data source for this run (overrides data.source, params file untouched)"
    )
    return result


def read_params(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The validated params file, with data.source replaced by --data when given."""
    params = load_params(args.params)
    if args.data is None:
        return params
    params["data"]["source"] = args.data
    return validate_params(params, f"--data {args.data!r}")


def load_data(params: dict[str, dict[str, Any]]) -> Dataset:
    """The configured train/test split, announced with its size and the time it took."""
    started = start("loading data")
    data = params["data"]
    dataset = load_dataset(
        data["source"], data["test_size"], data["seed"], data["test_source"], data["extra_sources"]
    )
    done(
        "loading data",
        started,
        f"{dataset.source}: {len(dataset.train_texts)} train + {len(dataset.test_texts)} test documents, "
        f"{len(dataset.labels)} labels",
    )
    return dataset


def run(stage: Callable[[], object]) -> int:
    """Exit status 0 when `stage` completes, 2 with `error: ...` on stderr for a known problem."""
    try:
        stage()
    except KNOWN_PROBLEMS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def start(step: str) -> float:
    print(f"{step} ...", flush=True)
    return time.perf_counter()


def done(step: str, started: float, outcome: str) -> float:
    """Print `step: outcome in N s`; returns N."""
    seconds = time.perf_counter() - started
    print(f"{step}: {outcome} in {seconds:.1f} s", flush=True)
    return seconds
