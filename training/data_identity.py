"""What identifies a data set or a library: a file's content hash, or the version of an installed package.

The data fingerprint (training.fingerprint) records these so that DVC retrains when the data changes even
though no parameter or code did; each named source (training/sources/) says which of them pins its data.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_CHUNK = 1 << 20


def file_identity(path: Path) -> dict:
    """One file's sha256, counted as one file of its size in bytes."""
    return {"sha256": file_sha256(path), "files": 1, "bytes": path.stat().st_size}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def package_version(name: str) -> str | None:
    """The installed version of a distribution (uv.lock pins it), None when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None
