"""Loads and verifies the model artifact (serving/MODEL_ARTIFACT.md); the only code that reads ``data/``.

A model that is missing, truncated, corrupt or written for another format must stop the function at
start with a message that says which file is wrong and how to fix it, never serve wrong predictions.
Nothing is unpickled: ``model.npz`` is plain arrays, read with ``allow_pickle=False``.
"""

import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from text_classifier import TextClassifier
from tfidf_featurizer import NORMS, STRIP_ACCENTS, FeaturizerSettings, TfidfFeaturizer

SUPPORTED_FORMAT_VERSIONS = (2,)
MODEL_DIR_ENV = "MODEL_DIR"
MANIFEST_FILE = "model.json"
FIX = "Retrain with `make train`, or fetch the versioned model with `dvc pull`."

# name -> (accepted dtypes, number of dimensions); shapes are checked against each other and the classes.
# The weights may be stored narrower than float64 (the precision training rounded them to); they stay
# so in memory, and each request widens the few rows it reads (see text_classifier).
ARRAYS = {
    "vocabulary": ((np.dtype(np.uint8),), 1),
    "idf": ((np.dtype(np.float64),), 1),
    "coef": ((np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)), 2),
    "intercept": ((np.dtype(np.float64),), 1),
}
# The featurizer section's keys are FeaturizerSettings' fields: the dataclass is their one definition on
# the serving side (training's exporter writes them; a contract test holds the two sides together).
FEATURIZER_KEYS = tuple(setting.name for setting in fields(FeaturizerSettings))
_BOOLEAN_FEATURIZER_KEYS = tuple(key.name for key in fields(FeaturizerSettings) if key.type is bool)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class ModelLoadError(Exception):
    """The model artifact cannot be served; the message names the file, the problem and the fix."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}. {FIX}")


@dataclass(frozen=True)
class Model:
    """A verified, ready-to-serve model and what GET /model reports about it."""

    classifier: TextClassifier
    version: str
    description: dict[str, Any]


def default_model_dir() -> Path:
    """``$MODEL_DIR`` when set (tests, local runs), else ``data/`` next to this module (the image)."""
    configured = os.environ.get(MODEL_DIR_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parent / "data"


def load_model(directory: Path | None = None) -> Model:
    """Reads, verifies (in the order MODEL_ARTIFACT.md lists) and assembles the model."""
    directory = directory if directory is not None else default_model_dir()
    manifest_path = directory / MANIFEST_FILE
    manifest = read_manifest(manifest_path)
    settings = featurizer_settings(manifest.get("featurizer"), manifest_path)
    classes = class_names(manifest.get("classes"), manifest_path)
    artifact_path, sha256, size = artifact_entry(manifest, directory, manifest_path)
    arrays = read_arrays(artifact_path, sha256, size)
    check_shapes(arrays, len(classes), artifact_path)
    vocabulary = vocabulary_index(arrays["vocabulary"], len(arrays["idf"]), artifact_path)
    featurizer = TfidfFeaturizer(vocabulary, arrays["idf"], settings)
    classifier = TextClassifier(featurizer, arrays["coef"], arrays["intercept"], classes)
    return Model(classifier=classifier, version=manifest["version"], description=describe(manifest))


def read_manifest(path: Path) -> dict[str, Any]:
    """model.json exists, is a JSON object and has a format version this code supports."""
    try:
        text = path.read_text(encoding="utf-8")
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
    if type(version) is not int or version not in SUPPORTED_FORMAT_VERSIONS:
        raise ModelLoadError(
            path,
            f"format_version {version!r} is not supported by this serving code "
            f"(supported: {list(SUPPORTED_FORMAT_VERSIONS)})",
        )
    return manifest


def featurizer_settings(section: Any, path: Path) -> FeaturizerSettings:
    """The ``featurizer`` section, refusing any setting serving could not reproduce exactly."""
    if not isinstance(section, dict):
        raise ModelLoadError(path, "'featurizer' must be an object")
    unknown = sorted(set(section) - set(FEATURIZER_KEYS))
    missing = [key for key in FEATURIZER_KEYS if key not in section]
    if unknown or missing:
        raise ModelLoadError(path, f"featurizer settings unknown {unknown} / missing {missing}")
    for key in _BOOLEAN_FEATURIZER_KEYS:
        if not isinstance(section[key], bool):
            raise ModelLoadError(path, f"featurizer.{key} must be true or false")
    if section["strip_accents"] not in STRIP_ACCENTS:
        raise ModelLoadError(path, f"featurizer.strip_accents must be one of {list(STRIP_ACCENTS)}")
    if section["norm"] not in NORMS:
        raise ModelLoadError(path, f"featurizer.norm must be one of {list(NORMS)}")
    return FeaturizerSettings(
        lowercase=section["lowercase"],
        strip_accents=section["strip_accents"],
        token_pattern=token_pattern(section["token_pattern"], path),
        ngram_range=ngram_range(section["ngram_range"], path),
        binary=section["binary"],
        sublinear_tf=section["sublinear_tf"],
        use_idf=section["use_idf"],
        norm=section["norm"],
    )


def token_pattern(pattern: Any, path: Path) -> str:
    """A regular expression with at most one capturing group, as scikit-learn requires."""
    if not isinstance(pattern, str):
        raise ModelLoadError(path, "featurizer.token_pattern must be a string")
    try:
        groups = re.compile(pattern).groups
    except re.error as error:
        raise ModelLoadError(path, f"featurizer.token_pattern does not compile ({error})") from None
    if groups > 1:
        raise ModelLoadError(path, "featurizer.token_pattern has more than one capturing group")
    return pattern


def ngram_range(value: Any, path: Path) -> tuple[int, int]:
    """``[low, high]`` with 1 <= low <= high."""
    valid = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value)
        and 1 <= value[0] <= value[1]
    )
    if not valid:
        raise ModelLoadError(path, "featurizer.ngram_range must be [low, high] with 1 <= low <= high")
    return value[0], value[1]


def class_names(classes: Any, path: Path) -> list[str]:
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


def artifact_entry(manifest: dict[str, Any], directory: Path, path: Path) -> tuple[Path, str, int]:
    """The arrays file named by ``artifact`` (a plain name inside the model directory), sha256 and size."""
    entry = manifest.get("artifact")
    valid = (
        isinstance(entry, dict)
        and isinstance(entry.get("file"), str)
        and entry["file"] not in ("", ".", "..")
        and Path(entry["file"]).name == entry["file"]
        and isinstance(entry.get("sha256"), str)
        and SHA256_HEX.fullmatch(entry["sha256"]) is not None
        and isinstance(entry.get("bytes"), int)
        and not isinstance(entry.get("bytes"), bool)
    )
    if not valid:
        raise ModelLoadError(path, "'artifact' must be {file: a name, sha256: 64 hex digits, bytes: int}")
    if manifest.get("version") != entry["sha256"][:12]:
        raise ModelLoadError(path, "'version' must be the first 12 hex digits of artifact.sha256")
    return directory / entry["file"], entry["sha256"], entry["bytes"]


def read_arrays(path: Path, sha256: str, size: int) -> dict[str, np.ndarray]:
    """Reads the archive once, checks its size and hash, then loads the arrays without unpickling."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelLoadError(path, "the model arrays file is missing") from None
    except OSError as error:
        raise ModelLoadError(path, f"cannot be read ({error})") from None
    if len(data) != size:
        raise ModelLoadError(path, f"is {len(data)} bytes but model.json expects {size} (truncated?)")
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ModelLoadError(path, f"sha256 is {actual} but model.json expects {sha256} (corrupt?)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except Exception as error:  # numpy raises several types for a broken archive; all mean the same here
        raise ModelLoadError(path, f"cannot be read as a .npz archive ({error})") from None
    return arrays


def check_shapes(arrays: dict[str, np.ndarray], n_classes: int, path: Path) -> None:
    """Array names, dtypes and shapes agree with each other and with ``classes``; weights are finite."""
    if set(arrays) != set(ARRAYS):
        raise ModelLoadError(path, f"holds arrays {sorted(arrays)}, expected {sorted(ARRAYS)}")
    for name, (dtypes, ndim) in ARRAYS.items():
        array = arrays[name]
        if array.dtype not in dtypes or array.ndim != ndim:
            found = f"{array.dtype} {array.shape}"
            expected = " or ".join(str(dtype) for dtype in dtypes)
            raise ModelLoadError(path, f"array {name!r} is {found}, expected a {ndim}-D {expected} array")
    n_features = arrays["idf"].shape[0]
    expected = {"coef": (n_features, n_classes), "intercept": (n_classes,)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ModelLoadError(
                path,
                f"array {name!r} has shape {arrays[name].shape}, expected {shape} "
                f"({n_features} features, {n_classes} classes in model.json)",
            )
    for name in ("idf", "coef", "intercept"):
        if not np.isfinite(arrays[name]).all():
            raise ModelLoadError(path, f"array {name!r} contains NaN or infinite values")


def vocabulary_index(vocabulary: np.ndarray, n_features: int, path: Path) -> dict[str, int]:
    """term -> feature index from the newline-joined UTF-8 terms; one distinct term per feature."""
    try:
        text = vocabulary.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ModelLoadError(path, "array 'vocabulary' is not UTF-8 text") from None
    terms = text.split("\n") if text else []
    if len(terms) != n_features:
        raise ModelLoadError(path, f"array 'vocabulary' has {len(terms)} terms for {n_features} features")
    index = dict(zip(terms, range(n_features), strict=True))
    if len(index) != n_features:
        raise ModelLoadError(path, "array 'vocabulary' contains duplicate terms")
    return index


def describe(manifest: dict[str, Any]) -> dict[str, Any]:
    """What GET /model reports: identity, classes, how it was trained and how well it scored."""
    return {
        "version": manifest["version"],
        "format_version": manifest["format_version"],
        "classes": manifest["classes"],
        "metrics": manifest.get("metrics"),
        "data": manifest.get("data"),
        "libraries": manifest.get("libraries"),
        "featurizer": manifest["featurizer"],
    }
