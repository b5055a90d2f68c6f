"""Upload the model and the data to a DVC remote, and fail unless the remote then holds all of them.

`dvc push` exits 0 with a warning when a file named by dvc.lock (or by a .dvc file) is in no local cache:
nothing is uploaded for it, and the next `dvc pull` (the deploy) fails far from the cause. `make
push-model` pushes, then asks the remote (`dvc status --cloud`) for every file the commit names, and
fails naming each one that is missing, with the fix.

    python -m training.remote [--remote NAME]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from training import REPO_ROOT

FIX = (
    "files that are in no local cache cannot be uploaded: reproduce them (make fetch-newsgroups for the "
    "data, make train for the model), or pull them from where they are (.venv/bin/dvc pull -r OTHER), "
    "then push again"
)


def push(remote: str | None) -> list[str]:
    """Push everything the commit names; returns the files the remote still lacks afterwards."""
    _dvc("push", *_remote_args(remote))
    return missing_on_remote(remote)


def missing_on_remote(remote: str | None) -> list[str]:
    """Files named by dvc.lock or a .dvc file that the remote does not hold (`dvc status --cloud`)."""
    status = json.loads(_dvc("status", "--cloud", "--json", *_remote_args(remote)).stdout or "{}")
    return sorted(path for path, state in status.items() if state != "deleted")


def _remote_args(remote: str | None) -> list[str]:
    return ["--remote", remote] if remote else []


def _dvc(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dvc", *args]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dvc {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.remote", description=__doc__.split("\n\n")[0])
    parser.add_argument("--remote", help="DVC remote (default: the configured default remote)")
    args = parser.parse_args(argv)
    name = args.remote or "(default)"
    try:
        missing = push(args.remote)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if missing:
        print(f"error: after dvc push, the remote {name} lacks files this commit names:", file=sys.stderr)
        for path in missing:
            print(f"  - {path}", file=sys.stderr)
        print(f"Fix: {FIX}.", file=sys.stderr)
        return 1
    print(f"The remote {name} holds every file dvc.lock and the .dvc files name.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
