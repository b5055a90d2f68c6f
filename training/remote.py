"""The DVC remote, both ways, never trusted: upload everything a commit names, pull only verified files.

`make push-model` (push): `dvc push` exits 0 with a warning when a file named by dvc.lock (or by a .dvc
file) is in no local cache: nothing is uploaded for it, and the next `dvc pull` (the deploy) fails far
from the cause. And it skips an object the remote already has by name, even one overwritten since. So
after pushing, the remote is asked (`dvc status --cloud`) for every file the commit names, the objects it
has are hashed, and each file that is missing or altered is named, with the fix.

`make pull-inputs` and `make pull-artifact` (pull): what CI jobs take from the remote. Inputs are every
file DVC tracks for training (each `.dvc` file's data, e.g. 20 Newsgroups, which falls back to
scikit-learn's cache where the remote cannot give it, training.newsgroups; and any stage output another
stage reads that git does not hold). The artifact is what the Lambda image bakes in (dvc.lock's outputs in
serving/app/data), never the pickled pipeline. The remotes verify what they download (`verify = true` in
.dvc/config), but DVC 3.67 then only deletes a corrupted download and reports "Checkout failed ... Is your
cache up to date?", without the hashes; so a failed pull is explained here by hashing the remote's object
(read, never written to the workspace), and every pulled file is hashed again and compared with the md5
the commit recorded (training.tracked_files). A difference stops the job naming the file and both md5s.

    python -m training.remote {push,pull-inputs,pull-artifact} [--remote NAME]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from training import REPO_ROOT, newsgroups
from training.tracked_files import (
    TrackedFile,
    cached_files,
    data_files,
    differences,
    lock_outputs,
)

PUSH_FIX = (
    "files that are in no local cache cannot be uploaded: reproduce them (make fetch-newsgroups for the "
    "data, make train for the model), or pull them from where they are (.venv/bin/dvc pull -r OTHER), "
    "then push again"
)
PULL_FIX = (
    "a remote object whose md5 is not the one it is named after was changed after it was pushed: use "
    "nothing from it, find out who wrote it (the bucket's access logs), delete it or restore its previous "
    "version, and push a trusted copy (make push-model REMOTE=...; a push skips objects the remote already "
    "has by name). A missing object: push it from where it is (make push-model). No credentials: pull "
    "requests from forks get none; push the branch to this repository"
)


class PullError(RuntimeError):
    """What a pull could not put in place, one line per file; the message says why."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


# --- push --------------------------------------------------------------------------------------------------


def push(remote: str | None) -> list[str]:
    """Push everything the commit names; returns one line per file the remote lacks or holds altered."""
    _dvc("push", *_remote_args(remote))
    missing = missing_on_remote(remote)
    present = [tracked for tracked in cached_files() if tracked.path not in missing]
    return [f"{path}: not on the remote" for path in missing] + remote_differences(present, remote)


def missing_on_remote(remote: str | None) -> list[str]:
    """Files named by dvc.lock or a .dvc file that the remote does not hold (`dvc status --cloud`)."""
    status = json.loads(_dvc("status", "--cloud", "--json", *_remote_args(remote)).stdout or "{}")
    return sorted(path for path, state in status.items() if state != "deleted")


# --- pull --------------------------------------------------------------------------------------------------


def training_inputs(root: Path = REPO_ROOT) -> list[TrackedFile]:
    """What training reads that DVC tracks and no stage writes: each .dvc file's data.

    An output that a later stage reads (the fitted pipeline, the metrics, the data fingerprint) is made
    again by `make train`, never pulled as an input: a job that pulls the inputs pulls no pickle.
    """
    return data_files(root)


def artifact_files(root: Path = REPO_ROOT) -> list[TrackedFile]:
    """dvc.lock's outputs in the folder the Lambda image copies the model from (serving/app/data)."""
    from training.export import DEFAULT_OUT_DIR  # the folder training writes the artifact to

    folder = DEFAULT_OUT_DIR.relative_to(REPO_ROOT).as_posix() + "/"
    return [tracked for tracked in lock_outputs(root) if tracked.path.startswith(folder)]


def pull_inputs(remote: str | None) -> list[str]:
    """Put every training input in place and verify it; returns what was pulled, else raises PullError."""
    inputs = training_inputs()
    pinned = newsgroups.TRACKED_FILE.relative_to(REPO_ROOT).as_posix()
    if any(tracked.path == pinned for tracked in inputs):
        try:
            newsgroups.fetch(remote)  # the remote, else scikit-learn's cache, each checked against the pin
        except newsgroups.NewsgroupsError as exc:
            raise PullError([str(exc)]) from exc
    pull([tracked for tracked in inputs if tracked.path != pinned], remote)
    _verify(inputs)
    return [tracked.path for tracked in inputs]


def pull_artifact(remote: str | None) -> list[str]:
    """Pull the model artifact the image bakes in, verified; returns its files, else raises PullError."""
    artifact = artifact_files()
    if not artifact:
        raise PullError(["dvc.lock names no model file in serving/app/data: train first (make train)"])
    pull(artifact, remote)
    _verify(artifact)
    return [tracked.path for tracked in artifact]


def pull(files: list[TrackedFile], remote: str | None) -> None:
    """`dvc pull` of exactly these files; on failure, PullError saying for each file what the remote holds."""
    if not files:
        return
    result = _dvc("pull", *_remote_args(remote), *(tracked.path for tracked in files), check=False)
    if result.returncode == 0:
        return
    lines = [f"dvc pull failed: {_dvc_error(result.stderr)}"]
    absent = [tracked for tracked in files if not (REPO_ROOT / tracked.path).exists()]
    try:
        lines += remote_differences(absent, remote)
    except Exception as exc:  # no credentials, no network: DVC's own message above says which
        lines.append(f"the remote's copies could not be checked: {type(exc).__name__}: {exc}")
    raise PullError(lines)


def _dvc_error(stderr: str) -> str:
    """DVC's error message on one line (from its first ERROR line on), without the progress output."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ERROR" in line), max(len(lines) - 3, 0))
    return " ".join(lines[start:]) or "no output"


def _verify(files: list[TrackedFile]) -> None:
    """Every file is present and has the md5 git recorded for it (whatever the remote's `verify` says)."""
    missing = [f"{tracked.path}: not in place after the pull" for tracked in files if not _present(tracked)]
    problems = missing + differences(files)
    if problems:
        raise PullError(problems)


def _present(tracked: TrackedFile) -> bool:
    return (REPO_ROOT / tracked.path).exists()


def remote_differences(files: list[TrackedFile], remote: str | None) -> list[str]:
    """For each file, whether the remote's object named after its md5 is missing or has another md5.

    The objects are read from the remote and hashed as they stream; nothing is written to the workspace
    or DVC's cache. A folder's listing object is checked, then the object of each file it lists.
    """
    if not files:
        return []
    from dvc.repo import Repo

    lines = []
    with Repo(str(REPO_ROOT)) as repo:
        for tracked in files:
            odb = repo.cloud.get_remote_odb(remote, "pull", hash_name=tracked.hash_name)
            lines += _object_differences(odb, tracked.md5, tracked.path, tracked.hash_name, remote)
    return lines


def _object_differences(odb, oid: str, shown: str, hash_name: str, remote: str | None) -> list[str]:
    from dvc_data.hashfile.hash import file_md5

    name = remote or "(default)"
    path = odb.oid_to_path(oid)
    if not odb.fs.exists(path):
        return [f"{shown}: the remote {name} has no object for md5 {oid}"]
    is_listing = oid.endswith(".dir")
    actual = file_md5(path, odb.fs, name="md5" if is_listing else hash_name) + (".dir" if is_listing else "")
    if actual != oid:
        return [
            f"{shown}: the remote {name}'s object for md5 {oid} has md5 {actual}: it was changed after it "
            "was pushed, and is refused"
        ]
    if not is_listing:
        return []
    with odb.fs.open(path, "r") as stream:
        listing = json.load(stream)
    return [
        line
        for entry in listing
        for line in _object_differences(odb, entry["md5"], f"{shown}/{entry['relpath']}", hash_name, remote)
    ]


# --- both --------------------------------------------------------------------------------------------------


def _remote_args(remote: str | None) -> list[str]:
    return ["--remote", remote] if remote else []


def _dvc(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dvc", *args]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"dvc {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result


def _push_main(remote: str | None) -> int:
    name = remote or "(default)"
    try:
        missing = push(remote)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if missing:
        print(
            f"error: after dvc push, the remote {name} lacks files this commit names, or holds them altered:",
            file=sys.stderr,
        )
        for line in missing:
            print(f"  - {line}", file=sys.stderr)
        print(f"Fix: {PUSH_FIX}; {PULL_FIX}.", file=sys.stderr)
        return 1
    print(f"The remote {name} holds every file dvc.lock and the .dvc files name, each with its md5.")
    return 0


def _pull_main(pull_them, what: str, remote: str | None) -> int:
    name = remote or "(default)"
    try:
        pulled = pull_them(remote)
    except PullError as exc:
        print(
            f"error: {what} from the remote {name}: not every file is the one this commit names:",
            file=sys.stderr,
        )
        for line in exc.lines:
            print(f"  - {line}", file=sys.stderr)
        print(f"Fix: {PULL_FIX}.", file=sys.stderr)
        return 1
    for path in pulled:
        print(f"{path}: in place, with the md5 this commit names")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.remote", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("push", "pull-inputs", "pull-artifact"))
    parser.add_argument("--remote", help="DVC remote (default: the configured default remote)")
    args = parser.parse_args(argv)
    if args.command == "push":
        return _push_main(args.remote)
    if args.command == "pull-inputs":
        return _pull_main(pull_inputs, "the training inputs", args.remote)
    return _pull_main(pull_artifact, "the model artifact", args.remote)


if __name__ == "__main__":
    sys.exit(main())
