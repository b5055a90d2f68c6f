"""Loads and verifies the model artifact (serving/MODEL_ARTIFACT.md); the only code that reads ``data/``.

A model that is missing, truncated, corrupt or written for another format must stop the function at
start with a message that says which file is wrong and how to fix it, never serve wrong predictions.
Nothing is unpickled: ``model.npz`` is plain arrays, read with ``allow_pickle=False``.
"""

import hashlib
import json
import os
import re
from typing import Any, NamedTuple

import numpy as np

from .contracts import artifact
from .contracts.linear_tfidf import (
    ANALYZERS,
    ARRAYS,
    BLOCK_KEYS,
    CHAR_WB_ANALYZER,
    MAX_WORD_BLOCKS,
    NORMS,
    NUMBER_LIMIT,
    PADDING,
    STRIP_ACCENTS,
    WORD_ANALYZER,
)
from .npz_archive import read_npz
from .text_classifier import TextClassifier
from .tfidf_featurizer import (
    FeatureUnion,
    FeaturizerSettings,
    SortedTerms,
    TermIndex,
    TfidfFeaturizer,
    WordNgramIndex,
    ngram_lengths_and_numbers,
)

MODEL_DIR_ENV = "MODEL_DIR"
FIX = "Retrain with `make train`, or fetch the versioned model with `dvc pull`."

# The weights may be stored narrower than float64 (the precision training rounded them to); they stay
# so in memory, and each request widens the few rows it reads (see text_classifier).
_DTYPES = {name: (tuple(map(np.dtype, dtypes)), ndim) for name, (dtypes, ndim) in ARRAYS.items()}
_BOOLEAN_FEATURIZER_KEYS = tuple(
    key for key, value_type in FeaturizerSettings.__annotations__.items() if value_type is bool
)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


# Paths are plain strings (os.path), not pathlib: importing pathlib costs milliseconds of cold start.
FilePath = str | os.PathLike


class ModelLoadError(Exception):
    """The model artifact cannot be served; the message names the file, the problem and the fix."""

    def __init__(self, path: FilePath, problem: str):
        super().__init__(f"{path}: {problem}. {FIX}")


class Model(NamedTuple):  # a NamedTuple: a dataclass costs milliseconds of cold start
    """A verified, ready-to-serve model and what GET /model reports about it."""

    classifier: TextClassifier
    version: str
    description: dict[str, Any]


def default_model_dir() -> str:
    """``$MODEL_DIR`` when set (tests, local runs), else ``data/`` next to this module (the image)."""
    configured = os.environ.get(MODEL_DIR_ENV)
    return configured or os.path.join(os.path.dirname(os.path.realpath(__file__)), artifact.MODEL_DIRECTORY)


def load_model(directory: FilePath | None = None) -> Model:
    """Reads, verifies (in the order MODEL_ARTIFACT.md lists) and assembles the model."""
    directory = directory if directory is not None else default_model_dir()
    manifest_path = os.path.join(directory, artifact.MANIFEST_FILE)
    manifest = read_manifest(manifest_path)
    blocks = featurizer_blocks(manifest.get("featurizer"), manifest_path)
    classes = class_names(manifest.get("classes"), manifest_path)
    artifact_path, sha256, size = artifact_entry(manifest, directory, manifest_path)
    arrays = read_arrays(artifact_path, sha256, size)
    check_shapes(arrays, blocks, len(classes), artifact_path)
    featurizer = feature_union(blocks, arrays, artifact_path)
    classifier = TextClassifier(featurizer, arrays["coef"], arrays["intercept"], classes)
    return Model(classifier=classifier, version=manifest["version"], description=describe(manifest))


def read_manifest(path: FilePath) -> dict[str, Any]:
    """model.json exists, is a JSON object and has a format version this code supports."""
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


def featurizer_blocks(section: Any, path: FilePath) -> list[tuple[FeaturizerSettings, int]]:
    """The ``featurizer`` section: its blocks in column order, each (settings, number of features)."""
    if not isinstance(section, dict) or set(section) != {"blocks"}:
        raise ModelLoadError(path, "'featurizer' must be an object with one key, 'blocks'")
    blocks = section["blocks"]
    if not isinstance(blocks, list) or not blocks:
        raise ModelLoadError(path, "featurizer.blocks must be a non-empty list of feature blocks")
    return [block_settings(block, f"featurizer.blocks[{k}]", path) for k, block in enumerate(blocks)]


def block_settings(block: Any, name: str, path: FilePath) -> tuple[FeaturizerSettings, int]:
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


def token_pattern(pattern: Any, analyzer: str, name: str, path: FilePath) -> str | None:
    """The word analyzer's regular expression, with at most one capturing group as scikit-learn requires;
    null for a character analyzer (scikit-learn ignores the pattern there)."""
    if analyzer != WORD_ANALYZER:
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


def ngram_range(value: Any, name: str, path: FilePath) -> tuple[int, int]:
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
    if manifest.get("version") != artifact.model_version(entry["sha256"]):
        raise ModelLoadError(path, "'version' must be the first 12 hex digits of artifact.sha256")
    return os.path.join(directory, entry["file"]), entry["sha256"], entry["bytes"]


def read_arrays(path: FilePath, sha256: str, size: int) -> dict[str, np.ndarray]:
    """Reads the archive once, checks its size and hash, then loads the arrays without unpickling."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
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
        return read_npz(data)
    except Exception as error:  # a broken archive raises several types; all mean the same here
        raise ModelLoadError(path, f"cannot be read as a .npz archive ({error})") from None


def check_shapes(
    arrays: dict[str, np.ndarray],
    blocks: list[tuple[FeaturizerSettings, int]],
    n_classes: int,
    path: FilePath,
) -> None:
    """Array names, dtypes and shapes agree with each other, the blocks and ``classes``; weights are
    finite."""
    if set(arrays) != set(_DTYPES):
        raise ModelLoadError(path, f"holds arrays {sorted(arrays)}, expected {sorted(_DTYPES)}")
    for name, (dtypes, ndim) in _DTYPES.items():
        array = arrays[name]
        if array.dtype not in dtypes or array.ndim != ndim:
            found = f"{array.dtype} {array.shape}"
            expected = " or ".join(str(dtype) for dtype in dtypes)
            raise ModelLoadError(path, f"array {name!r} is {found}, expected a {ndim}-D {expected} array")
    n_features, blocks_total = arrays["idf"].shape[0], sum(size for _, size in blocks)
    if blocks_total != n_features:
        raise ModelLoadError(
            path, f"holds {n_features} features but model.json's blocks add up to {blocks_total}"
        )
    word_features = sum(size for settings, size in blocks if settings.analyzer == WORD_ANALYZER)
    if sum(settings.analyzer == WORD_ANALYZER for settings, _ in blocks) > MAX_WORD_BLOCKS:
        raise ModelLoadError(path, f"model.json lists more than {MAX_WORD_BLOCKS} word block")
    expected = {
        "term_lengths": (n_features - word_features,),
        "word_ngrams": (word_features, arrays["word_ngrams"].shape[1]),
        "word_ngram_order": (word_features,),
        "coef": (n_features, n_classes),
        "intercept": (n_classes,),
    }
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ModelLoadError(
                path,
                f"array {name!r} has shape {arrays[name].shape}, expected {shape} ({n_features} features, "
                f"{word_features} of them word n-grams, {n_classes} classes in model.json)",
            )
    for name in ("idf", "coef", "intercept"):
        if not all_finite(arrays[name]):
            raise ModelLoadError(path, f"array {name!r} contains NaN or infinite values")


# A float is NaN or infinite exactly when its exponent bits are all ones (IEEE 754). Testing them on the
# raw bits takes a fifteenth of np.isfinite's time on float16 weights, which numpy does not vectorise.
_EXPONENT_BITS = {
    np.dtype(np.float16): (np.uint16, 0x7C00),
    np.dtype(np.float32): (np.uint32, 0x7F80_0000),
    np.dtype(np.float64): (np.uint64, 0x7FF0_0000_0000_0000),
}


# all_finite tests this many values at a time in one small buffer: a temporary the size of the weights
# would be fresh memory, whose page faults cost a cold start more than the test itself.
_FINITE_CHUNK = 16384


def all_finite(array: np.ndarray) -> bool:
    """No NaN and no infinity in a float16, float32 or float64 array."""
    bits, exponent = _EXPONENT_BITS[array.dtype]
    raw = np.ascontiguousarray(array).reshape(-1).view(bits)
    buffer = np.empty(min(len(raw), _FINITE_CHUNK), bits)
    for start in range(0, len(raw), _FINITE_CHUNK):
        chunk = buffer[: min(_FINITE_CHUNK, len(raw) - start)]
        np.bitwise_and(raw[start : start + _FINITE_CHUNK], bits(exponent), out=chunk)
        # The exponent bits are all ones exactly when (raw & exponent) reaches its largest possible value.
        if int(chunk.max()) == exponent:
            return False
    return True


def feature_union(
    blocks: list[tuple[FeaturizerSettings, int]], arrays: dict[str, np.ndarray], path: FilePath
) -> FeatureUnion:
    """The blocks over their columns of the arrays: block k's features follow blocks 0..k-1's. The word
    block's terms are the rows of ``word_ngrams``; the character blocks' terms follow each other in
    ``vocabulary``."""
    char_terms = decoded_strings(arrays["vocabulary"], arrays["term_lengths"], "vocabulary", path)
    featurizers, start, char_start = [], 0, 0
    for k, (settings, size) in enumerate(blocks):
        if settings.analyzer == WORD_ANALYZER:
            index = word_ngram_index(arrays, settings.ngram_range, path)
        else:
            index = term_index(char_terms[char_start : char_start + size], settings, k, path)
            char_start += size
        featurizers.append(TfidfFeaturizer(index, arrays["idf"][start : start + size], settings))
        start += size
    return FeatureUnion(featurizers)


def decoded_strings(data: np.ndarray, lengths: np.ndarray, name: str, path: FilePath) -> list[str]:
    """The strings of a text array, in order: the bytes decoded once, then cut at the lengths (in
    characters)."""
    text = decoded_text(data, name, path)
    ends = np.cumsum(lengths, dtype=np.int64)
    total = int(ends[-1]) if len(ends) else 0
    if total != len(text):
        raise ModelLoadError(
            path, f"the lengths of array {name!r} add up to {total} characters but it holds {len(text)}"
        )
    ends = ends.tolist()
    return list(map(text.__getitem__, map(slice, [0, *ends[:-1]], ends)))


def word_list(data: np.ndarray, path: FilePath) -> list[str]:
    """The words, in id order: UTF-8 text, one space between words (no word holds a space, since
    spaces are what separate the words of an n-gram)."""
    return decoded_text(data, "words", path).split(" ")


def decoded_text(data: np.ndarray, name: str, path: FilePath) -> str:
    """A text array's bytes as text (UTF-8, lone surrogates in their three-byte form)."""
    try:
        return data.tobytes().decode(*artifact.TEXT_ENCODING)
    except UnicodeDecodeError:
        raise ModelLoadError(path, f"array {name!r} is not UTF-8 text") from None


def term_index(terms: list[str], settings: FeaturizerSettings, k: int, path: FilePath) -> TermIndex:
    """A character block's terms -> columns; one distinct term per feature.

    A char_wb term never holds two consecutive spaces (it is cut from one space-padded word): the
    featurizer relies on it to skip the n-grams that cross words, so a vocabulary breaking it is refused.
    """
    if settings.analyzer == CHAR_WB_ANALYZER and any("  " in term for term in terms):
        raise ModelLoadError(path, f"array 'vocabulary' has a char_wb term with two spaces in block {k}")
    index = TermIndex(terms)  # its dict counts the distinct terms: no second pass over them
    if index.n_distinct_terms != len(terms):
        raise ModelLoadError(path, f"array 'vocabulary' contains duplicate terms in block {k}")
    return index


def word_ngram_index(
    arrays: dict[str, np.ndarray], ngram_range: tuple[int, int], path: FilePath
) -> WordNgramIndex:
    """The word block's index, after checking what it relies on: distinct words without spaces; per
    term, ``ngram_range[1]`` slots of known word ids then -1 padding, at least ``ngram_range[0]`` ids;
    numbers within int64; and ``word_ngram_order`` sorting the terms strictly by (length, number),
    which also proves the terms distinct."""
    words = word_list(arrays["words"], path)
    ngrams, order = arrays["word_ngrams"], arrays["word_ngram_order"]
    low, high = ngram_range
    valid = (
        ngrams.shape[1] == high
        and ngrams.min(initial=PADDING) >= PADDING
        and ngrams.max(initial=PADDING) < len(words)
    )
    # Padding only at the end: no known id after a -1.
    valid = valid and len(ngrams) and (ngrams[:, 0] >= 0).all()
    valid = valid and not any(((ngrams[:, j] >= 0) & (ngrams[:, j - 1] < 0)).any() for j in range(1, high))
    if not valid:
        raise ModelLoadError(path, f"array 'word_ngrams' must hold {high} word ids per term, -1 padding last")
    if len(words) ** high >= NUMBER_LIMIT:
        raise ModelLoadError(path, f"{len(words)} words in n-grams of up to {high} overflow 64-bit numbers")
    lengths, numbers = ngram_lengths_and_numbers(ngrams, len(words))
    if lengths.min() < low:
        raise ModelLoadError(path, f"array 'word_ngrams' has a term of fewer than {low} words")
    if order.min() < 0 or order.max() >= len(order):
        raise ModelLoadError(path, "array 'word_ngram_order' must list term positions")
    sorted_terms = SortedTerms(order, lengths.take(order), numbers.take(order))
    sorted_lengths, sorted_numbers = sorted_terms.lengths, sorted_terms.numbers
    increasing = (sorted_lengths[1:] > sorted_lengths[:-1]) | (
        (sorted_lengths[1:] == sorted_lengths[:-1]) & (sorted_numbers[1:] > sorted_numbers[:-1])
    )
    if not increasing.all():
        raise ModelLoadError(
            path, "array 'word_ngram_order' must sort the terms by (length, number); duplicate terms?"
        )
    index = WordNgramIndex(words, ngrams, sorted_terms, ngram_range)
    if index.n_distinct_words != len(words):
        raise ModelLoadError(path, "array 'words' holds a word twice")
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
