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
from tfidf_featurizer import (
    ANALYZERS,
    NORMS,
    STRIP_ACCENTS,
    FeatureUnion,
    FeaturizerSettings,
    TfidfFeaturizer,
)

# Version 2 (one word block, terms joined by "\n") is not served: retraining writes version 3.
SUPPORTED_FORMAT_VERSIONS = (3,)
MODEL_DIR_ENV = "MODEL_DIR"
MANIFEST_FILE = "model.json"
FIX = "Retrain with `make train`, or fetch the versioned model with `dvc pull`."

# name -> (accepted dtypes, number of dimensions); shapes are checked against each other and the classes.
# The weights may be stored narrower than float64 (the precision training rounded them to); they stay
# so in memory, and each request widens the few rows it reads (see text_classifier).
ARRAYS = {
    "vocabulary": ((np.dtype(np.uint8),), 1),
    "term_lengths": ((np.dtype(np.uint32),), 1),
    "idf": ((np.dtype(np.float64),), 1),
    "coef": ((np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)), 2),
    "intercept": ((np.dtype(np.float64),), 1),
}
# The keys of each block of the featurizer section: FeaturizerSettings' fields (the dataclass is their one
# definition on the serving side) and the block's number of features. Training's exporter writes them; a
# contract test holds the two sides together.
BLOCK_KEYS = (*(setting.name for setting in fields(FeaturizerSettings)), "n_features")
_BOOLEAN_FEATURIZER_KEYS = tuple(key.name for key in fields(FeaturizerSettings) if key.type is bool)
# How the terms' text is encoded: UTF-8, lone surrogates (which JSON texts can carry) in their three-byte
# form, as training writes them; a request's lone surrogate then finds its term.
TERM_ENCODING = ("utf-8", "surrogatepass")
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
    blocks = featurizer_blocks(manifest.get("featurizer"), manifest_path)
    classes = class_names(manifest.get("classes"), manifest_path)
    artifact_path, sha256, size = artifact_entry(manifest, directory, manifest_path)
    arrays = read_arrays(artifact_path, sha256, size)
    check_shapes(arrays, len(classes), artifact_path)
    # Decoded once: the featurizer's indexes and the explanations' names share these strings.
    terms = vocabulary_terms(arrays["vocabulary"], arrays["term_lengths"], artifact_path)
    featurizer = feature_union(blocks, arrays, terms, artifact_path)
    classifier = TextClassifier(featurizer, arrays["coef"], arrays["intercept"], classes, terms)
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


def featurizer_blocks(section: Any, path: Path) -> list[tuple[FeaturizerSettings, int]]:
    """The ``featurizer`` section: its blocks in column order, each (settings, number of features)."""
    if not isinstance(section, dict) or set(section) != {"blocks"}:
        raise ModelLoadError(path, "'featurizer' must be an object with one key, 'blocks'")
    blocks = section["blocks"]
    if not isinstance(blocks, list) or not blocks:
        raise ModelLoadError(path, "featurizer.blocks must be a non-empty list of feature blocks")
    return [block_settings(block, f"featurizer.blocks[{k}]", path) for k, block in enumerate(blocks)]


def block_settings(block: Any, name: str, path: Path) -> tuple[FeaturizerSettings, int]:
    """One block's settings, refusing any serving could not reproduce exactly, and its feature count."""
    if not isinstance(block, dict):
        raise ModelLoadError(path, f"{name} must be an object")
    unknown = sorted(set(block) - set(BLOCK_KEYS))
    missing = [key for key in BLOCK_KEYS if key not in block]
    if unknown or missing:
        raise ModelLoadError(path, f"{name} settings unknown {unknown} / missing {missing}")
    for key in _BOOLEAN_FEATURIZER_KEYS:
        if not isinstance(block[key], bool):
            raise ModelLoadError(path, f"{name}.{key} must be true or false")
    if block["analyzer"] not in ANALYZERS:
        raise ModelLoadError(path, f"{name}.analyzer must be one of {list(ANALYZERS)}")
    if block["strip_accents"] not in STRIP_ACCENTS:
        raise ModelLoadError(path, f"{name}.strip_accents must be one of {list(STRIP_ACCENTS)}")
    if block["norm"] not in NORMS:
        raise ModelLoadError(path, f"{name}.norm must be one of {list(NORMS)}")
    n_features = block["n_features"]
    if not isinstance(n_features, int) or isinstance(n_features, bool) or n_features < 1:
        raise ModelLoadError(path, f"{name}.n_features must be a positive integer")
    settings = FeaturizerSettings(
        analyzer=block["analyzer"],
        lowercase=block["lowercase"],
        strip_accents=block["strip_accents"],
        token_pattern=token_pattern(block["token_pattern"], block["analyzer"], name, path),
        ngram_range=ngram_range(block["ngram_range"], name, path),
        binary=block["binary"],
        sublinear_tf=block["sublinear_tf"],
        use_idf=block["use_idf"],
        norm=block["norm"],
    )
    return settings, n_features


def token_pattern(pattern: Any, analyzer: str, name: str, path: Path) -> str | None:
    """The word analyzer's regular expression, with at most one capturing group as scikit-learn requires;
    null for a character analyzer (scikit-learn ignores the pattern there)."""
    if analyzer != "word":
        if pattern is not None:
            raise ModelLoadError(path, f"{name}.token_pattern must be null for the {analyzer} analyzer")
        return None
    if not isinstance(pattern, str):
        raise ModelLoadError(path, f"{name}.token_pattern must be a string")
    try:
        groups = re.compile(pattern).groups
    except re.error as error:
        raise ModelLoadError(path, f"{name}.token_pattern does not compile ({error})") from None
    if groups > 1:
        raise ModelLoadError(path, f"{name}.token_pattern has more than one capturing group")
    return pattern


def ngram_range(value: Any, name: str, path: Path) -> tuple[int, int]:
    """``[low, high]`` with 1 <= low <= high."""
    valid = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value)
        and 1 <= value[0] <= value[1]
    )
    if not valid:
        raise ModelLoadError(path, f"{name}.ngram_range must be [low, high] with 1 <= low <= high")
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
    expected = {"term_lengths": (n_features,), "coef": (n_features, n_classes), "intercept": (n_classes,)}
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


def feature_union(
    blocks: list[tuple[FeaturizerSettings, int]], arrays: dict[str, np.ndarray], terms: list[str], path: Path
) -> FeatureUnion:
    """The blocks over their columns of the arrays and of ``terms``: block k's features follow blocks
    0..k-1's."""
    sizes = [n_features for _, n_features in blocks]
    if sum(sizes) != len(arrays["idf"]):
        raise ModelLoadError(
            path, f"holds {len(arrays['idf'])} features but model.json's blocks add up to {sum(sizes)}"
        )
    featurizers, start = [], 0
    for k, (settings, size) in enumerate(blocks):
        vocabulary = block_vocabulary(terms[start : start + size], settings, k, path)
        featurizers.append(TfidfFeaturizer(vocabulary, arrays["idf"][start : start + size], settings))
        start += size
    return FeatureUnion(featurizers)


def vocabulary_terms(vocabulary: np.ndarray, term_lengths: np.ndarray, path: Path) -> list[str]:
    """Every term, in column order: the bytes decoded once, then cut at the lengths (in characters)."""
    try:
        text = vocabulary.tobytes().decode(*TERM_ENCODING)
    except UnicodeDecodeError:
        raise ModelLoadError(path, "array 'vocabulary' is not UTF-8 text") from None
    ends = np.cumsum(term_lengths, dtype=np.int64)
    total = int(ends[-1]) if len(ends) else 0
    if total != len(text):
        raise ModelLoadError(
            path, f"array 'term_lengths' adds up to {total} characters but 'vocabulary' holds {len(text)}"
        )
    ends = ends.tolist()
    return list(map(text.__getitem__, map(slice, [0, *ends[:-1]], ends)))


def block_vocabulary(terms: list[str], settings: FeaturizerSettings, k: int, path: Path) -> dict[str, int]:
    """term -> feature index within block ``k``; one distinct term per feature.

    A char_wb term never holds two consecutive spaces (it is cut from one space-padded word): the
    featurizer relies on it to skip the n-grams that cross words, so a vocabulary breaking it is refused.
    """
    index = dict(zip(terms, range(len(terms)), strict=True))
    if len(index) != len(terms):
        raise ModelLoadError(path, f"array 'vocabulary' contains duplicate terms in block {k}")
    if settings.analyzer == "char_wb" and any("  " in term for term in terms):
        raise ModelLoadError(path, f"array 'vocabulary' has a char_wb term with two spaces in block {k}")
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
