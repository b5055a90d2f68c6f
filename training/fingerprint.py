"""Fingerprint what the model is computed from into training/reports/data.json, a dependency of `train`.

DVC only sees params and code; a user editing their CSV changes neither, and neither does a new
scikit-learn. This stage records the data's content hash (the user's file, the folder's file names and
contents, or what the named source says identifies its data, training/sources/: the 20 Newsgroups file
that was read, the version of the package that ships BBC News or the Chinese reviews), that of the fixed
test set when data.test_source names one, those of the corrected relabel exports data.extra_sources
lists, and the versions of the libraries that compute the model, so
`dvc repro` retrains exactly when one of them changed, and `make check-lock` can tell that a commit's
dvc.lock no longer matches them. The file is rewritten only when its content changes, so an unchanged
source leaves no diff.

    python -m training.fingerprint [--params FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from training import REPO_ROOT
from training.data_files import OPENAPI_DOCUMENT, folder_documents, serving_max_chars
from training.data_identity import file_identity, file_sha256, package_version
from training.data_sources import DataError, resolve_path
from training.params import DEFAULT_PARAMS_PATH, ParamsError, load_params
from training.sources import named_source
from training.tracked_files import data_files

DEFAULT_OUT = REPO_ROOT / "training" / "reports" / "data.json"


# The libraries whose arithmetic or file format the model's bytes depend on (their versions come from
# uv.lock, which `make setup` installs exactly). Bumping one of them retrains the model.
MODEL_LIBRARIES = ("scikit-learn", "scipy", "numpy", "joblib")


def fingerprint(source: str, test_source: str | None = None, extra_sources: Sequence[str] = ()) -> dict:
    """What identifies the model's inputs besides params and code: the data and the computing libraries.

    A fixed test set (data.test_source) adds a `test` entry, corrected relabel exports
    (data.extra_sources) an `extra_sources` list, each file's content hash: editing a label in one
    retrains. Without them the fingerprint is as before.
    `serving_max_text_chars` is the longest text serving accepts (training leaves longer ones out,
    training.data_files): recorded here, the model depends on that one number of serving's OpenAPI
    document rather than on every edit of the document.
    """
    libraries = {name: package_version(name) for name in MODEL_LIBRARIES}
    test = {} if test_source is None else {"test": _path_fingerprint(test_source, "data.test_source")}
    extra = (
        {"extra_sources": [_path_fingerprint(path, "data.extra_sources") for path in extra_sources]}
        if extra_sources
        else {}
    )
    limit = {"serving_max_text_chars": serving_max_chars()}
    return {**data_fingerprint(source), **test, **extra, **limit, "libraries": libraries}


def input_paths(source: str, test_source: str | None = None, extra_sources: Sequence[str] = ()) -> list[str]:
    """The repository's files the fingerprint depends on (relative paths): what a pull request can change.

    train.yml retrains on a change to any of them (its path filter is tested against this list), so
    the list names: params.yaml (data.source itself), uv.lock (the library versions, and the packaged
    corpora), serving's OpenAPI document (the text limit), and the data: the user's file or folder, or
    the files a named source reads from the repository (NamedSource.repository_files), and the corrected
    relabel exports; for data DVC tracks (20 Newsgroups, a team's own, a relabel export), the `.dvc` file
    that records it, which is what git sees change. Data outside the repository is not listed: no pull
    request changes it, and `make check-lock` still refuses a lock whose data changed.
    """
    paths = [DEFAULT_PARAMS_PATH, REPO_ROOT / "uv.lock", OPENAPI_DOCUMENT]
    for name in (source, test_source, *extra_sources):
        if name is None:
            continue
        named = named_source(name)
        if named is None:
            paths += _data_paths((REPO_ROOT / Path(name).expanduser()).resolve())
            continue
        for path in named.repository_files:
            paths += _data_paths(path)
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
    named = named_source(source)
    if named is not None:
        return {"source": source, **named.fingerprint()}
    return _path_fingerprint(source, "data.source")


def _path_fingerprint(source: str, key: str) -> dict:
    path = resolve_path(source, key)
    if path.is_dir():
        return {"source": source, **_folder_fingerprint(path)}
    return {"source": source, **file_identity(path)}


def _folder_fingerprint(folder: Path) -> dict:
    """One hash over sorted relative names and contents: renaming, moving or editing a document changes it."""
    digest = hashlib.sha256()
    files = folder_documents(folder)
    for file in files:
        digest.update(file.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(file_sha256(file).encode("ascii") + b"\n")
    labels = {file.relative_to(folder).parts[0] for file in files}
    return {
        "sha256": digest.hexdigest(),
        "files": len(files),
        "labels": len(labels),
        "bytes": sum(file.stat().st_size for file in files),
    }


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
        content = json.dumps(fingerprint(source, data["test_source"], data["extra_sources"]), indent=2) + "\n"
    except (ParamsError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    changed = write_if_changed(args.out, content)
    print(f"{args.out}: {'updated' if changed else 'unchanged'} ({source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
