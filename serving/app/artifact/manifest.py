"""model.json, the artifact's manifest: what every model kind's manifest holds, checked before anything else.

A model that is missing, truncated, corrupt or written for another format must stop the function at
start with a message that says which file is wrong and how to fix it, never serve wrong predictions.
"""

import hashlib
import json
import math
import os
import re
from collections.abc import Collection
from typing import Any

from ..contracts import artifact
from ..contracts.metrics import QUALITY_FIELDS

FIX = "Retrain with `make train`, or fetch the versioned model with `dvc pull`."
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# Paths are plain strings (os.path), not pathlib: importing pathlib costs milliseconds of cold start.
FilePath = str | os.PathLike


class ModelLoadError(Exception):
    """The model artifact cannot be served; the message names the file, the problem and the fix."""

    def __init__(self, path: FilePath, problem: str):
        super().__init__(f"{path}: {problem}. {FIX}")


def read_manifest(path: FilePath) -> dict[str, Any]:
    """model.json exists, is a JSON object and has the format version this code reads."""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except FileNotFoundError:
        raise ModelLoadError(path, "the model manifest is missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ModelLoadError(path, f"cannot be read ({error})") from None
    try:
        manifest = json.loads(text)
    except ValueError as error:
        raise ModelLoadError(path, f"is not valid JSON ({error})") from None
    if not isinstance(manifest, dict):
        raise ModelLoadError(path, "must be a JSON object")
    version = manifest.get("format_version")
    if type(version) is not int or version != artifact.FORMAT_VERSION:
        raise ModelLoadError(
            path,
            f"format_version {version!r} is not supported by this serving code "
            f"(supported: {[artifact.FORMAT_VERSION]})",
        )
    return manifest


def model_kind(manifest: dict[str, Any], kinds: Collection[str], path: FilePath) -> str:
    """The model's kind (its family), one this code serves."""
    kind = manifest.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        raise ModelLoadError(path, f"kind {kind!r} is not served by this code (served: {sorted(kinds)})")
    return kind


def class_names(classes: Any, path: FilePath) -> list[str]:
    """At least two distinct string labels, in the model's column order."""
    valid = (
        isinstance(classes, list)
        and len(classes) >= 2
        and all(isinstance(label, str) for label in classes)
        and len(set(classes)) == len(classes)
    )
    if not valid:
        raise ModelLoadError(path, "'classes' must be a list of at least two distinct strings")
    return classes


def artifact_entry(manifest: dict[str, Any], directory: FilePath, path: FilePath) -> tuple[str, str, int]:
    """The arrays file named by ``artifact`` (a plain name inside the model directory), sha256 and size."""
    entry = manifest.get("artifact")
    valid = (
        isinstance(entry, dict)
        and isinstance(entry.get("file"), str)
        and entry["file"] not in ("", ".", "..")
        and os.path.basename(entry["file"]) == entry["file"]
        and isinstance(entry.get("sha256"), str)
        and SHA256_HEX.fullmatch(entry["sha256"]) is not None
        and isinstance(entry.get("bytes"), int)
        and not isinstance(entry.get("bytes"), bool)
    )
    if not valid:
        raise ModelLoadError(path, "'artifact' must be {file: a name, sha256: 64 hex digits, bytes: int}")
    if manifest.get("version") != model_version(
        entry["sha256"], manifest.get("classes"), manifest.get("settings")
    ):
        digits = artifact.VERSION_HEX_DIGITS
        raise ModelLoadError(
            path,
            f"'version' must be the first {digits} hex digits of the SHA-256 of artifact.sha256, classes and "
            "settings (contracts.artifact.VERSION_KEYS)",
        )
    return os.path.join(directory, entry["file"]), entry["sha256"], entry["bytes"]


def model_version(sha256_hex: str, classes: Any, settings: Any) -> str:
    """The version of a model whose arrays file has this SHA-256 (hex digits), with model.json's
    `classes` and `settings` as they are written (any JSON values: they are checked later). The
    exporter computes it with this function too: one definition."""
    content = dict(zip(artifact.VERSION_KEYS, (sha256_hex, classes, settings), strict=True))
    canonical = json.dumps(content, **artifact.VERSION_JSON).encode("ascii")
    return hashlib.sha256(canonical).hexdigest()[: artifact.VERSION_HEX_DIGITS]


def baseline(manifest: dict[str, Any], classes: list[str], path: FilePath) -> dict[str, Any] | None:
    """The model-quality baseline, if the model has one: its documents, each quality metric's
    percentiles (``contracts.artifact.BASELINE_PERCENTILES``) and each class's share of the predictions."""
    entry = manifest.get(artifact.BASELINE_KEY)
    if entry is None:
        return None
    quantiles = entry.get("quantiles") if isinstance(entry, dict) else None
    shares = entry.get("label_shares") if isinstance(entry, dict) else None
    valid = (
        isinstance(entry, dict)
        and _is_count(entry.get("documents"))
        and isinstance(quantiles, dict)
        and set(quantiles) == set(QUALITY_FIELDS)
        and all(
            isinstance(figures, dict)
            and set(figures) == set(artifact.BASELINE_PERCENTILES)
            and all(_is_number(value) for value in figures.values())
            for figures in quantiles.values()
        )
        and isinstance(shares, dict)
        and set(shares) == set(classes)
        and all(_is_number(share) and 0 <= share <= 1 for share in shares.values())
    )
    if not valid:
        raise ModelLoadError(
            path,
            f"'{artifact.BASELINE_KEY}' must be {{documents: a positive int, quantiles: {{each of "
            f"{sorted(QUALITY_FIELDS)}: {{each of {list(artifact.BASELINE_PERCENTILES)}: a number}}}}, "
            "label_shares: {each class: a share in [0, 1]}}",
        )
    return entry


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
