"""Export a fitted pipeline as serving's artifact: model.npz (plain arrays) + model.json (metadata).

The format is the contract in serving/MODEL_ARTIFACT.md: no pickle, nothing serving must unpickle or
import from scikit-learn. Each file is written to a temporary name and renamed into place, so a crash
never leaves a half-written file; a crash between the two renames leaves a model.json whose sha256 does
not match model.npz, which serving's integrity check reports instead of serving a mixed model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from serving.app.contracts import artifact
from serving.app.contracts.linear_tfidf import (
    ALIGNMENT,
    NUMBER_LIMIT,
    PADDING,
    STORED_ARRAYS,
    WEIGHT_DTYPES,
    WORD_ANALYZER,
    ngram_number,
)
from training import REPO_ROOT
from training.pipeline import UnservableModelError, check_servable, vectorizers

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
DEFAULT_OUT_DIR = REPO_ROOT / "serving" / "app" / artifact.MODEL_DIRECTORY
NPZ_NAME = artifact.ARRAYS_FILE
JSON_NAME = artifact.MANIFEST_FILE


@dataclass(frozen=True)
class ExportResult:
    npz_path: Path
    json_path: Path
    bytes: int
    version: str


def export_model(pipeline: Pipeline, out_dir: Path, metadata: dict[str, Any]) -> ExportResult:
    """Write the artifact into out_dir.

    `metadata` holds the contract's `data`, `metrics` and `params` entries; everything else in model.json
    is derived from the fitted pipeline itself, so it cannot disagree with the arrays. Nothing in either
    file depends on the clock or the host (no training time, no patch-level Python version): the same
    commit, data and platform give the same bytes, so dvc.lock's hashes can be checked by retraining.
    """
    check_servable(pipeline)
    npz_data = npz_bytes(model_arrays(pipeline))
    sha256 = hashlib.sha256(npz_data).hexdigest()
    document = {
        "format_version": artifact.FORMAT_VERSION,
        "version": artifact.model_version(sha256),
        "artifact": {"file": NPZ_NAME, "sha256": sha256, "bytes": len(npz_data)},
        "classes": [str(label) for label in pipeline.named_steps["clf"].classes_],
        "featurizer": featurizer_settings(pipeline),
        "data": metadata["data"],
        "metrics": metadata["metrics"],
        "params": metadata["params"],
        "libraries": {
            "python": ".".join(platform.python_version_tuple()[:2]),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    npz_path, json_path = out_dir / NPZ_NAME, out_dir / JSON_NAME
    write_atomically(npz_path, npz_data)
    write_atomically(json_path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return ExportResult(npz_path, json_path, len(npz_data), document["version"])


def model_arrays(pipeline: Pipeline) -> dict[str, np.ndarray]:
    """The arrays of model.npz, with the dtypes and shapes the contract fixes.

    The word block's terms are stored as word ids (`word_ngram_arrays`), the character blocks' terms as
    text: concatenated without a separator (a character n-gram may be or contain any character, "\n"
    included), with `term_lengths` giving each one's length in characters (code points), so serving
    decodes the bytes once and slices the terms out of the text.
    """
    blocks = [vectorizer for _, vectorizer in vectorizers(pipeline)]
    classifier = pipeline.named_steps["clf"]
    char_terms = [
        term
        for vectorizer in blocks
        if vectorizer.analyzer != WORD_ANALYZER
        for term in vectorizer.get_feature_names_out().tolist()
    ]
    word_blocks = [vectorizer for vectorizer in blocks if vectorizer.analyzer == WORD_ANALYZER]
    coef = np.asarray(classifier.coef_, dtype=np.float64)
    intercept = np.asarray(classifier.intercept_, dtype=np.float64)
    if coef.shape[0] == 1:
        # Binary: softmax([0, z]) == [1 - sigmoid(z), sigmoid(z)], so serving keeps one code path.
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros(1), intercept])
    idf = np.concatenate(
        [
            vectorizer.idf_ if vectorizer.use_idf else np.ones(len(vectorizer.vocabulary_))
            for vectorizer in blocks
        ]
    )
    return {
        "vocabulary": _utf8("".join(char_terms)),
        "term_lengths": _lengths(char_terms),
        **word_ngram_arrays(word_blocks[0] if word_blocks else None),
        "idf": np.asarray(idf, dtype=np.float64),
        "coef": np.ascontiguousarray(_narrowest_exact(coef).T),
        "intercept": intercept,
    }


def word_ngram_arrays(vectorizer: TfidfVectorizer | None) -> dict[str, np.ndarray]:
    """The word block's terms as numbers (serving/MODEL_ARTIFACT.md, format 4): its distinct words
    (sorted, as text, one space between words: check_servable ensures no token holds one), each term's
    word ids in `word_ngrams` (padded with -1 to the longest n-gram), and `word_ngram_order`, the terms
    sorted by (length, number), where an n-gram's number is id_1 * W**(n-1) + ... + id_n for W words.
    Serving finds a text's n-grams by these numbers instead of joining and hashing n-gram strings.
    """
    if vectorizer is None:
        words, rows, high = [], [], 1
    else:
        low, high = vectorizer.ngram_range
        rows = [term.split(" ") for term in vectorizer.get_feature_names_out().tolist()]
        if any(not low <= len(row) <= high for row in rows):
            raise UnservableModelError("a word n-gram does not split into its words at spaces")
        words = sorted({word for row in rows for word in row})
        if max(len(words), 1) ** high >= NUMBER_LIMIT:
            raise UnservableModelError(
                f"{len(words)} words in n-grams of up to {high} words overflow 64-bit numbers; "
                "lower featurize.ngram_range or featurize.select_features"
            )
    word_id = {word: i for i, word in enumerate(words)}
    # int16 when the ids fit (half the bytes, stored uncompressed: inflating would cost every cold start)
    id_type = np.int16 if len(words) <= np.iinfo(np.int16).max else np.int32
    ngrams = np.full((len(rows), high), PADDING, dtype=id_type)
    keys = np.zeros(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        ids = [word_id[word] for word in row]
        ngrams[i, : len(ids)] = ids
        keys[i] = ngram_number(ids, len(words))
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    return {
        "words": _utf8(" ".join(words)),
        "word_ngrams": ngrams,
        "word_ngram_order": np.lexsort((keys, lengths)).astype(np.int32),
    }


def _utf8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(*artifact.TEXT_ENCODING), dtype=np.uint8)


def _lengths(strings: list[str]) -> np.ndarray:
    return np.fromiter(map(len, strings), dtype=np.uint32, count=len(strings))


def _narrowest_exact(weights: np.ndarray) -> np.ndarray:
    """The weights in the narrowest float type that holds every one of them exactly.

    Training rounds the weights to train.weights_dtype before evaluating (training.fit), so this finds
    that type again and the artifact stores the evaluated weights bit for bit, at a quarter of the size
    for float16. Weights that were never rounded stay float64: export never loses precision.
    """
    for dtype in WEIGHT_DTYPES[:-1]:  # the narrower ones first; the last is float64 itself
        narrowed = weights.astype(dtype)
        if np.array_equal(narrowed.astype(np.float64), weights):
            return narrowed
    return weights


def featurizer_settings(pipeline: Pipeline) -> dict[str, Any]:
    """The feature blocks in column order, each with the settings serving needs to reproduce it."""
    return {"blocks": [block_settings(vectorizer) for _, vectorizer in vectorizers(pipeline)]}


def block_settings(vectorizer: TfidfVectorizer) -> dict[str, Any]:
    """Exactly the TfidfVectorizer settings serving needs to reproduce one block's transform(), and the
    block's number of features (its columns follow the previous blocks')."""
    return {
        "analyzer": vectorizer.analyzer,
        "lowercase": bool(vectorizer.lowercase),
        "strip_accents": vectorizer.strip_accents,
        # scikit-learn ignores the pattern of a character analyzer; the artifact says so with null.
        "token_pattern": vectorizer.token_pattern if vectorizer.analyzer == WORD_ANALYZER else None,
        "ngram_range": list(vectorizer.ngram_range),
        "binary": bool(vectorizer.binary),
        "sublinear_tf": bool(vectorizer.sublinear_tf),
        "use_idf": bool(vectorizer.use_idf),
        "norm": vectorizer.norm,
        "n_features": len(vectorizer.vocabulary_),
    }


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """The arrays as a .npz archive (a zip of .npy files, what numpy.load reads), byte-reproducible.

    The weights are stored uncompressed: they barely compress (about 17% for float16) and inflating them
    would cost every cold start more time than reading the extra bytes. The vocabulary and the idf
    compress three- to sevenfold and are deflated. A fixed timestamp makes the bytes, hence the version,
    depend on the model alone.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIMESTAMP)
            member.compress_type = zipfile.ZIP_STORED if name in STORED_ARRAYS else zipfile.ZIP_DEFLATED
            if name in STORED_ARRAYS:
                member.extra = _alignment_padding(buffer.tell(), member.filename)
            content = io.BytesIO()
            np.lib.format.write_array(content, array, allow_pickle=False)
            archive.writestr(member, content.getvalue())
    return buffer.getvalue()


# A zip extra field that only pads (the id Android's zipalign uses for the same purpose), so that a stored
# member's data starts on an ALIGNMENT (64-byte) boundary: numpy pads each .npy header to a multiple of
# 64 bytes, so the array then is aligned too, and serving uses it in place (numpy computes slowly on
# unaligned data).
ALIGNMENT_EXTRA_ID = 0xD935
LOCAL_HEADER_BYTES = 30


def _alignment_padding(header_offset: int, filename: str) -> bytes:
    """The extra field that puts the data of a member whose local header starts at `header_offset` on an
    `ALIGNMENT` boundary."""
    start = header_offset + LOCAL_HEADER_BYTES + len(filename.encode("utf-8")) + 4
    padding = -start % ALIGNMENT
    return ALIGNMENT_EXTRA_ID.to_bytes(2, "little") + padding.to_bytes(2, "little") + bytes(padding)


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); the Lambda image's non-root user must be able to read it.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
