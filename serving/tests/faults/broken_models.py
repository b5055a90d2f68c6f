"""Broken copies of a real model artifact, one per way a model can reach the function damaged.

Each function copies a good model directory and damages the copy the way it happens in practice: a file
left out of the image, a download cut short, a flipped bit on disk, a model written by a newer training
format, or a manifest that records another model's hash. The good directory is never touched.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from model_artifact import MANIFEST_FILE, SUPPORTED_FORMAT_VERSIONS

ARRAYS_FILE = "model.npz"


def _copy(good: Path, broken: Path) -> Path:
    shutil.copytree(good, broken)
    return broken


def _rewrite_manifest(directory: Path, change: Callable[[dict], None]) -> None:
    path = directory / MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def arrays_missing(good: Path, broken: Path) -> Path:
    """model.npz was not copied (e.g. `dvc pull` never ran): only the manifest is there."""
    (_copy(good, broken) / ARRAYS_FILE).unlink()
    return broken


def manifest_missing(good: Path, broken: Path) -> Path:
    """model.json is missing: serving cannot even tell which arrays file to read."""
    (_copy(good, broken) / MANIFEST_FILE).unlink()
    return broken


def arrays_truncated(good: Path, broken: Path) -> Path:
    """model.npz cut to half its size, as an interrupted download or copy leaves it."""
    path = _copy(good, broken) / ARRAYS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return broken


def arrays_bit_flipped(good: Path, broken: Path) -> Path:
    """One bit of model.npz flipped in the middle: same size, different content."""
    path = _copy(good, broken) / ARRAYS_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return broken


def unsupported_format(good: Path, broken: Path) -> Path:
    """A manifest from a format version this serving code does not know (a newer training)."""
    newer = max(SUPPORTED_FORMAT_VERSIONS) + 1
    _rewrite_manifest(_copy(good, broken), lambda manifest: manifest.update(format_version=newer))
    return broken


def hash_of_another_model(good: Path, broken: Path) -> Path:
    """Intact arrays, but the manifest records another model's sha256 (a manifest and arrays mixed up)."""
    other = hashlib.sha256(b"another model").hexdigest()

    def record_other(manifest: dict) -> None:
        manifest["artifact"]["sha256"] = other
        manifest["version"] = other[:12]  # consistent, so the check that fires is the hash comparison

    _rewrite_manifest(_copy(good, broken), record_other)
    return broken
