"""Broken copies of a real model artifact, one per way a model can reach the function damaged.

Each function copies a good model directory and damages the copy the way it happens in practice: a file
left out of the image, a download cut short, a flipped bit on disk, a model written by a newer training
format or by the previous one, a manifest that records another model's hash, or arrays whose vocabulary
does not add up (a hand-made or half-converted model). The good directory is never touched.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from serving.app.artifact.manifest import model_version
from serving.app.contracts.artifact import FORMAT_VERSION, MANIFEST_FILE

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
    newer = FORMAT_VERSION + 1
    _rewrite_manifest(_copy(good, broken), lambda manifest: manifest.update(format_version=newer))
    return broken


def hash_of_another_model(good: Path, broken: Path) -> Path:
    """Intact arrays, but the manifest records another model's sha256 (a manifest and arrays mixed up)."""
    other = hashlib.sha256(b"another model").hexdigest()

    def record_other(manifest: dict) -> None:
        manifest["artifact"]["sha256"] = other
        # consistent, so the check that fires is the hash comparison
        manifest["version"] = model_version(other, manifest["classes"], manifest["settings"])

    _rewrite_manifest(_copy(good, broken), record_other)
    return broken


def previous_format(good: Path, broken: Path) -> Path:
    """A manifest of the previous format version, which recorded no kind and held the featurizer at the
    top level (an image built before a retraining): not served, the message says to retrain."""
    older = FORMAT_VERSION - 1

    def record_older(manifest: dict) -> None:
        manifest["format_version"] = older
        del manifest["kind"]
        manifest["featurizer"] = manifest.pop("settings")["featurizer"]

    _rewrite_manifest(_copy(good, broken), record_older)
    return broken


def word_ids_out_of_range(good: Path, broken: Path) -> Path:
    """Sealed arrays (size and hash recorded) whose word n-grams name words the archive does not hold."""
    directory = _copy(good, broken)
    path = directory / ARRAYS_FILE
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["word_ngrams"] = arrays["word_ngrams"] + len(bytes(arrays["words"]).split(b" "))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    path.write_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()

    def seal(manifest: dict) -> None:
        manifest["artifact"].update(sha256=sha256, bytes=len(data))
        manifest["version"] = model_version(sha256, manifest["classes"], manifest["settings"])

    _rewrite_manifest(directory, seal)
    return broken
