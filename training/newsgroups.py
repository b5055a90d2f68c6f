"""Where the 20 Newsgroups data file comes from: the team's DVC remote first, the upstream URL last.

scikit-learn downloads 20 Newsgroups from an upstream URL that has refused downloads (HTTP 403) for
weeks at a time, so a pipeline that must not break keeps its own copy: the file scikit-learn builds,
`20news-bydate_py3.pkz`, is tracked by DVC as `training/data/newsgroups.dvc` and lives in the
DVC remote, never in git. Training reads the first of:

1. `training/data/20news-bydate_py3.pkz`, the DVC-tracked copy (`make fetch-newsgroups` puts it there);
2. scikit-learn's cache (`SCIKIT_LEARN_DATA`, default `~/scikit_learn_data`);
3. the upstream download, into scikit-learn's cache, saying so.

The data fingerprint hashes whichever file was read, so a different copy retrains the model and the lock
check reports it.

    python -m training.newsgroups [--remote NAME]   # make fetch-newsgroups: put the pinned copy in place
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from training import REPO_ROOT

FILE_NAME = "20news-bydate_py3.pkz"
DATA_DIR = REPO_ROOT / "training" / "data"
TRACKED_FILE = DATA_DIR / FILE_NAME
# DVC's pointer to it (md5 and size), named after the corpus rather than the file.
POINTER_FILE = DATA_DIR / "newsgroups.dvc"
_CHUNK = 1 << 20


class NewsgroupsError(RuntimeError):
    """The pinned 20 Newsgroups file cannot be put in place; the message says why and what to do."""


def scikit_learn_cache() -> Path:
    """scikit-learn's copy of the file (SCIKIT_LEARN_DATA, default ~/scikit_learn_data)."""
    from sklearn.datasets import get_data_home

    return Path(get_data_home()) / FILE_NAME


def local_copy() -> Path | None:
    """The file training reads without a download: the DVC-tracked copy, else scikit-learn's cache."""
    for candidate in (TRACKED_FILE, scikit_learn_cache()):
        if candidate.is_file():
            return candidate
    return None


def data_home() -> Path:
    """The folder to hand to scikit-learn's fetch_20newsgroups: where the file is, or where to download it.

    A download is the last resort and is announced, because it depends on an upstream URL that fails
    for weeks at a time.
    """
    found = local_copy()
    if found is not None:
        return found.parent
    print(
        f"20 Newsgroups: not in {_shown(TRACKED_FILE)} (make fetch-newsgroups pulls it from "
        f"the DVC remote) nor in scikit-learn's cache ({scikit_learn_cache()}); downloading it from "
        "scikit-learn's upstream URL.",
        file=sys.stderr,
        flush=True,
    )
    return scikit_learn_cache().parent


def pinned_md5() -> str:
    """The md5 DVC records for the file in training/data/newsgroups.dvc."""
    document = yaml.safe_load(POINTER_FILE.read_text(encoding="utf-8"))
    return str(document["outs"][0]["md5"])


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(remote: str | None) -> Path:
    """Put the pinned file at training/data/ (and in DVC's cache, so `dvc push` can upload it).

    Tries the DVC remote, then scikit-learn's cache, then the upstream download; a copy that differs
    from the pinned one is refused with the way to pin it instead.
    """
    expected = pinned_md5()
    if TRACKED_FILE.is_file() and md5_of(TRACKED_FILE) == expected:
        print(f"{_shown(TRACKED_FILE)}: already in place (md5 {expected})")
        return TRACKED_FILE
    if _dvc_pull(remote):
        print(f"{_shown(TRACKED_FILE)}: pulled from the DVC remote {remote or '(default)'}")
        return TRACKED_FILE
    source = scikit_learn_cache()
    if not source.is_file():
        _download()  # announced by data_home()
    found = md5_of(source)
    if found != expected:
        raise NewsgroupsError(
            f"{source} (md5 {found}) is not the copy this repository pins (md5 {expected}, "
            f"{_shown(POINTER_FILE)}); scikit-learn builds the file itself, and other versions build other "
            f"bytes. To train on yours, pin it: cp {source} {_shown(TRACKED_FILE)} && .venv/bin/dvc commit "
            f"--force {_shown(POINTER_FILE)} && make train, then commit {_shown(POINTER_FILE)}, dvc.lock and "
            "training/reports."
        )
    shutil.copyfile(source, TRACKED_FILE)
    _dvc("commit", "--force", str(POINTER_FILE))
    print(f"{_shown(TRACKED_FILE)}: copied from scikit-learn's cache ({source})")
    return TRACKED_FILE


def _dvc_pull(remote: str | None) -> bool:
    """Pull the pinned file; False (with the reason printed) when the remote cannot give it."""
    args = ["pull", str(POINTER_FILE)] + (["--remote", remote] if remote else [])
    result = _dvc(*args, check=False)
    if result.returncode == 0 and TRACKED_FILE.is_file():
        return True
    reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
    print(f"20 Newsgroups: not pulled from the DVC remote {remote or '(default)'}: {reason}")
    return False


def _dvc(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dvc", *args]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise NewsgroupsError(f"dvc {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def _download() -> None:
    from training.data_files import DataError
    from training.sources.twenty_newsgroups import load_twenty_newsgroups

    try:
        load_twenty_newsgroups()
    except DataError as exc:
        raise NewsgroupsError(str(exc)) from exc


def _shown(path: Path) -> str:
    return os.path.relpath(path, REPO_ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.newsgroups", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--remote", help="DVC remote to pull from (default: the configured default remote)")
    args = parser.parse_args(argv)
    try:
        fetch(args.remote)
    except NewsgroupsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
