"""Did this machine train the model dvc.lock names? Byte-identical, the same model up to rounding, or another.

    python -m training.compare_models            # after `make train`: the trained files against HEAD's
    python -m training.compare_models A B        # two folders, each holding the files below

On x86-64 Linux (training.pinned_numerics) training writes the very bytes dvc.lock names, on any CPU, so
anything else there is another model (or a stale dvc.lock: `make check-lock` says which input changed).
Elsewhere (arm64, macOS) other compilers round differently: a model trained there is "the same model up
to rounding" when it has the same classes, terms and featurizer settings, every stored float within
WEIGHT_TOLERANCE of the lock's, and the same label for every document of the test split
(confusion_matrix.csv lists each test document's actual and predicted label, in order). The check passes
then, saying so, and fails on "a different model": a runner's CPU never turns a branch red.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from training import REPO_ROOT, pinned_numerics

# The DVC outputs compared, by role: the artifact's arrays and manifest, and the test split's labels.
ARRAYS, MANIFEST, LABELS = "model.npz", "model.json", "confusion_matrix.csv"
LOCKED_PATHS = {
    ARRAYS: "serving/app/data/model.npz",
    MANIFEST: "serving/app/data/model.json",
    LABELS: "training/reports/confusion_matrix.csv",
}
# float16 weights (the default train.weights_dtype) step by 2**-10 of their size: one step of rounding
# apart is the same model; idf and intercepts (float64) differ by far less.
WEIGHT_TOLERANCE = {"rtol": 2**-9, "atol": 1e-6}
MANIFEST_KEYS_THAT_MUST_MATCH = ("format_version", "classes", "featurizer")
IDENTICAL, ROUNDING, DIFFERENT = "byte-identical", "the same model up to rounding", "a different model"


class Verdict(NamedTuple):
    kind: str
    reason: str


def compare(trained: dict[str, bytes], locked: dict[str, bytes]) -> Verdict:
    """How the trained files (by role: ARRAYS, MANIFEST, LABELS) relate to the locked ones."""
    if trained == locked:
        return Verdict(IDENTICAL, "every file has the bytes dvc.lock names")
    problem = _manifest_difference(trained[MANIFEST], locked[MANIFEST])
    problem = problem or _array_difference(trained[ARRAYS], locked[ARRAYS])
    if problem is None and trained[LABELS] != locked[LABELS]:
        problem = "the test split's predicted labels differ"
    if problem is not None:
        return Verdict(DIFFERENT, problem)
    return Verdict(ROUNDING, "same classes, terms and test labels; every stored float within tolerance")


def _manifest_difference(trained: bytes, locked: bytes) -> str | None:
    mine, theirs = json.loads(trained), json.loads(locked)
    for key in MANIFEST_KEYS_THAT_MUST_MATCH:
        if mine.get(key) != theirs.get(key):
            return f"model.json's {key!r} differs"
    return None


def _array_difference(trained: bytes, locked: bytes) -> str | None:
    with np.load(io.BytesIO(trained), allow_pickle=False) as mine, np.load(io.BytesIO(locked)) as theirs:
        if sorted(mine.files) != sorted(theirs.files):
            return f"model.npz holds other arrays: {sorted(mine.files)} against {sorted(theirs.files)}"
        for name in theirs.files:
            a, b = mine[name], theirs[name]
            if a.dtype != b.dtype or a.shape != b.shape:
                return f"model.npz's {name!r} is {a.dtype}{a.shape} against {b.dtype}{b.shape}"
            if np.issubdtype(b.dtype, np.floating):
                if not np.allclose(a, b, **WEIGHT_TOLERANCE):
                    return f"model.npz's {name!r} differs beyond rounding ({WEIGHT_TOLERANCE})"
            elif not np.array_equal(a, b):
                return f"model.npz's {name!r} differs (terms or their numbering)"
    return None


def working_tree_files() -> dict[str, bytes]:
    return {role: (REPO_ROOT / path).read_bytes() for role, path in LOCKED_PATHS.items()}


def locked_files(rev: str = "HEAD") -> dict[str, bytes]:
    """The files `rev`'s dvc.lock names, from the DVC cache or the default remote (pull them first)."""
    import dvc.api

    files = {}
    for role, path in LOCKED_PATHS.items():
        with dvc.api.open(path, repo=str(REPO_ROOT), rev=rev, mode="rb") as stream:
            files[role] = stream.read()
    return files


def folder_files(folder: Path) -> dict[str, bytes]:
    return {role: (folder / role).read_bytes() for role in LOCKED_PATHS}


def _pointers_unchanged() -> bool:
    """git sees no change in dvc.lock: every output has the hash HEAD names (the fast, common case)."""
    command = ["git", "status", "--porcelain", "--", "dvc.lock"]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout == ""


def judge(verdict: Verdict, reference_platform: bool) -> int:
    """Print the verdict; 0 when this platform may call it reproduced."""
    platform = pinned_numerics.describe_platform()
    print(f"{verdict.kind}: {verdict.reason} (trained on {platform})")
    if verdict.kind == IDENTICAL:
        return 0
    if verdict.kind == ROUNDING and not reference_platform:
        print("Bytes cannot match off x86-64 Linux; dvc.lock keeps naming the x86-64 model.")
        return 0
    if reference_platform:
        print(
            "On x86-64 Linux training reproduces dvc.lock byte for byte: `make check-lock` says whether an "
            "input changed since it was written (then retrain and `make commit-model`).",
            file=sys.stderr,
        )
    return 1


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m training.compare_models", description=description)
    parser.add_argument("folders", nargs="*", type=Path, help="two folders to compare (default: see above)")
    args = parser.parse_args(argv)
    if len(args.folders) not in (0, 2):
        parser.error("give two folders, or none")
    if args.folders:
        verdict = compare(folder_files(args.folders[0]), folder_files(args.folders[1]))
    elif _pointers_unchanged():
        verdict = Verdict(IDENTICAL, "dvc.lock is unchanged by training: every output has its hash")
    elif pinned_numerics.is_reference_platform():
        verdict = Verdict(DIFFERENT, "training rewrote dvc.lock with other hashes (git diff dvc.lock)")
    else:
        verdict = compare(working_tree_files(), locked_files())
    return judge(verdict, pinned_numerics.is_reference_platform())


if __name__ == "__main__":
    sys.exit(main())
