"""Is the model dvc.lock names the one this commit's training inputs make? (`make check-lock`)

A pull request can change params.yaml, the training code or a locked library and be merged without the
retraining that would update dvc.lock; `main` would then deploy the old model while every other check is
green. This check fails, naming each stale input and the fix, when:

- the data fingerprint (the data's content hash and the versions of the libraries that compute the
  model, see training.fingerprint) differs from the one recorded in training/reports/data.json;
- a stage's code, params or inputs differ from what dvc.lock recorded (`dvc status` of every stage
  in dvc.yaml but the `data` stage, which runs on every repro and only feeds the others);
- a file DVC tracks that is present (the model files, the pickled pipeline, the reports, the data of each
  `.dvc` file) is not the one dvc.lock or its `.dvc` file names: its md5 is recomputed from the bytes and
  both md5s are printed. `dvc status` alone would not see a file pulled from a remote whose object was
  overwritten, nor one replaced keeping its size and time (see training.tracked_files).

Missing files are fine (a fresh clone has none until `dvc pull` or `make train`): the check is about what
the commit names, and needs no DVC cache and no remote. It reads the data to fingerprint it, so 20
Newsgroups must be on the machine (make fetch-newsgroups).

    python -m training.check_lock
"""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from training import REPO_ROOT
from training.data_sources import DataError
from training.fingerprint import DEFAULT_OUT, fingerprint
from training.params import DEFAULT_PARAMS_PATH, ParamsError, load_params
from training.tracked_files import data_files, differences, lock_outputs

FIX = (
    "retrain and commit the result: make train && make commit-model (or let the train workflow do it on "
    "the pull request)"
)
UNVERIFIED_FIX = (
    "a file that differs from the md5 git recorded is not the one this commit names: if it was pulled, the "
    "remote's copy was changed after it was pushed, so do not use it (docs/reproducibility.md, \"Verified "
    'files"); locally, restore it (.venv/bin/dvc checkout --force) or, after a deliberate retraining, commit '
    "it (make commit-model)"
)
# `dvc status` words for pipeline outputs that are merely absent here (not a disagreement with the lock),
# and for those whose bytes differ, which tracked_files reports with both md5s.
ABSENT = {"not in cache", "deleted"}
REHASHED = {"modified"}


def stale_inputs() -> list[str]:
    """One line per input or output that disagrees with dvc.lock; empty when the lock is current."""
    return _fingerprint_changes() + _dvc_status_changes()


def unverified_files() -> list[str]:
    """One line per DVC-tracked file present here whose md5 is not the one dvc.lock or its .dvc file names."""
    return differences(lock_outputs() + data_files())


def _fingerprint_changes() -> list[str]:
    data = load_params(DEFAULT_PARAMS_PATH)["data"]
    current = fingerprint(data["source"], data["test_source"], data["extra_sources"])
    recorded = json.loads(DEFAULT_OUT.read_text(encoding="utf-8")) if DEFAULT_OUT.is_file() else {}
    shown = DEFAULT_OUT.relative_to(REPO_ROOT)
    return [
        f"{shown}: {key} is {_show(current.get(key))} here, recorded as {_show(recorded.get(key))}"
        for key in sorted(set(current) | set(recorded))
        if current.get(key) != recorded.get(key)
    ]


def _dvc_status_changes() -> list[str]:
    stages = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    locked = [name for name, stage in stages.items() if not stage.get("always_changed", False)]
    command = [sys.executable, "-m", "dvc", "status", *locked, "--json"]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return [f"dvc status {' '.join(locked)} failed: {result.stderr.strip()}"]
    status = json.loads(result.stdout or "{}")
    outputs = {path for stage in stages.values() for path in _outputs(stage)}
    changes = [line for name in locked for line in _stage_changes(name, status.get(name, []), outputs)]
    return list(dict.fromkeys(changes))  # an input several stages read is named once


def _outputs(stage: dict) -> list[str]:
    """The paths a dvc.yaml stage writes: its outs, metrics and plots (a plain path or {path: options})."""
    entries = [entry for kind in ("outs", "metrics", "plots") for entry in stage.get(kind, [])]
    return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]


def _stage_changes(stage: str, entries: list, outputs: set[str]) -> list[str]:
    """One line per input or output of `stage` that disagrees with dvc.lock.

    A pipeline output (an output, or another stage's output read as an input) that is merely absent here
    is no disagreement: a fresh clone has none until `dvc pull` or `make train`; one whose bytes differ is
    reported by unverified_files, with both md5s.
    """
    changes = []
    for entry in entries:
        if isinstance(entry, str):  # e.g. "changed command"
            changes.append(f"dvc.lock: stage {stage}: {entry}")
            continue
        for kind, items in entry.items():
            for path, state in items.items():
                pipeline_output = kind == "changed outs" or path in outputs
                if pipeline_output and isinstance(state, str) and state in ABSENT | REHASHED:
                    continue
                changes.append(f"{path}: {_describe(kind, state)} since dvc.lock was written")
    return changes


def _describe(kind: str, state: object) -> str:
    noun = "output" if kind == "changed outs" else "input"
    if isinstance(state, dict):  # params: {"train.C": "modified"}
        return ", ".join(f"params {key} {value}" for key, value in state.items())
    return f"{noun} {state}"


def _show(value: object) -> str:
    return json.dumps(value, sort_keys=True) if value is not None else "absent"


def main(argv: list[str] | None = None) -> int:
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        unverified = unverified_files()
        changes = stale_inputs()
    except (ParamsError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if unverified:
        print("Files DVC tracks differ from the ones this commit names:", file=sys.stderr)
        _print_list(unverified)
        print(f"Fix: {UNVERIFIED_FIX}.", file=sys.stderr)
    if changes:
        print("dvc.lock does not name the model this commit's training inputs make:", file=sys.stderr)
        _print_list(changes)
        print(f"Fix: {FIX}.", file=sys.stderr)
    if unverified or changes:
        return 1
    print("dvc.lock matches this commit's training code, params, data and libraries, and every DVC-tracked")
    print("file present here has the md5 dvc.lock or its .dvc file names.")
    return 0


def _print_list(lines: list[str]) -> None:
    for line in lines:
        print(f"  - {line}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
