"""The files DVC tracks for this commit, the md5 git recorded for each, and DVC's md5 of the copy on disk.

dvc.lock names the pipeline's outputs (the model, the pickled pipeline, the reports) and each `.dvc` file
names a data file; both record DVC's md5 of the file (of a folder: of its listing). DVC itself does not
recompute them on every command: `dvc status` trusts a file whose path, inode, size and modification time
it has hashed before, and `dvc pull` trusts the name of an object on the remote unless the remote's
`verify` option is on. A file replaced behind DVC's back, or pulled from a bucket where someone overwrote
the object, can therefore pass `dvc status`. The md5 here is always computed from the bytes, with DVC's own
hash function, so the two can be compared (`make check-lock`, training/check_lock.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from dvc_data.hashfile.hash import file_md5

from training import REPO_ROOT

LOCK_FILE = "dvc.lock"
# DVC 3 writes `hash: md5` beside each entry; an entry without it was written by DVC 2, whose md5 of a
# text file ignores CRLF line ends ("md5-dos2unix" in DVC's terms).
LEGACY_HASH = "md5-dos2unix"
# Folders DVC never lists inside a tracked folder.
NEVER_LISTED = {".git", ".dvc"}


@dataclass(frozen=True)
class TrackedFile:
    """One file or folder DVC tracks: where it is, the md5 git recorded, and which pointer recorded it."""

    path: str  # relative to the repository root, with "/"
    md5: str  # a folder's ends in ".dir"
    hash_name: str  # "md5", or LEGACY_HASH for entries DVC 2 wrote
    pointer: str  # the file that records it: dvc.lock or a .dvc file


def lock_outputs(root: Path = REPO_ROOT) -> list[TrackedFile]:
    """Every output dvc.lock records, in every stage (the model, the pipeline, the reports)."""
    lock = root / LOCK_FILE
    if not lock.is_file():
        return []
    stages = (yaml.safe_load(lock.read_text(encoding="utf-8")) or {}).get("stages", {})
    return [
        _entry(out, PurePosixPath("."), LOCK_FILE)
        for stage in stages.values()
        for out in stage.get("outs", [])
    ]


def data_files(root: Path = REPO_ROOT) -> list[TrackedFile]:
    """The output of every `.dvc` file git tracks: the data sets DVC versions (e.g. 20 Newsgroups' file)."""
    tracked = []
    for pointer in dvc_pointer_files(root):
        document = yaml.safe_load((root / pointer).read_text(encoding="utf-8")) or {}
        folder = PurePosixPath(pointer).parent
        tracked += [_entry(out, folder, pointer) for out in document.get("outs", [])]
    return tracked


def dvc_pointer_files(root: Path = REPO_ROOT) -> list[str]:
    """The `.dvc` files git tracks, relative to the root (a file git does not hold is no commit's data)."""
    command = ["git", "ls-files", "--cached", "--", "*.dvc", ":(exclude).dvc/**"]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    return sorted(line for line in result.stdout.splitlines() if line)


def cached_files(root: Path = REPO_ROOT) -> list[TrackedFile]:
    """What the commit keeps on the DVC remote: each .dvc file's data, dvc.lock's outputs git does not hold.

    Outputs declared `cache: false` (the metrics, the data fingerprint) are in git instead.
    """
    outputs = lock_outputs(root)
    in_git = git_tracked([tracked.path for tracked in outputs], root)
    return data_files(root) + [tracked for tracked in outputs if tracked.path not in in_git]


def git_tracked(paths: list[str], root: Path = REPO_ROOT) -> set[str]:
    """Those of `paths` that git holds (a stage output with `cache: false`, such as the metrics)."""
    if not paths:
        return set()
    command = ["git", "ls-files", "--cached", "--", *paths]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    return set(result.stdout.splitlines())


def _entry(out: dict, folder: PurePosixPath, pointer: str) -> TrackedFile:
    path = (folder / out["path"]).as_posix()
    return TrackedFile(path, str(out["md5"]), out.get("hash", LEGACY_HASH), pointer)


def dvc_md5(path: Path, hash_name: str = "md5") -> str:
    """DVC's md5 of a file, or of a folder (the md5 of its sorted listing of paths and md5s, + ".dir").

    A folder's listing is the one `dvc add` writes; files a `.dvcignore` leaves out are counted here, so such
    a folder reports a difference rather than hiding one.
    """
    if not path.is_dir():
        return file_md5(str(path), name=hash_name)
    listing = sorted(
        (
            {"md5": file_md5(str(file), name=hash_name), "relpath": file.relative_to(path).as_posix()}
            for file in _files_under(path)
        ),
        key=lambda entry: entry["relpath"],
    )
    manifest = json.dumps(listing, sort_keys=True).encode("utf-8")
    return _bytes_md5(manifest) + ".dir"


def _files_under(folder: Path) -> list[Path]:
    found = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = [name for name in subdirectories if name not in NEVER_LISTED]
        found += [Path(directory) / name for name in names]
    return found


def _bytes_md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def differences(files: list[TrackedFile], root: Path = REPO_ROOT) -> list[str]:
    """One line per tracked file present here whose bytes are not the ones git recorded, with both md5s.

    Absent files are not differences: a fresh clone has none until `dvc pull` or `make train`.
    """
    lines = []
    for tracked in files:
        path = root / tracked.path
        if not path.exists():
            continue
        actual = dvc_md5(path, tracked.hash_name)
        if actual != tracked.md5:
            lines.append(f"{tracked.path}: md5 {actual} here, but {tracked.pointer} names md5 {tracked.md5}")
    return lines
