"""Export a fitted model as serving's artifact: model.npz (plain arrays) + model.json (metadata).

The format is the contract in serving/MODEL_ARTIFACT.md (its facts in serving/app/contracts): no
pickle, nothing serving must unpickle or import from scikit-learn. What the arrays and the `settings`
hold is the model family's (training.families); this module writes the envelope every family shares.
Each file is written to a temporary name and renamed into place, so a crash never leaves a half-written
file; a crash between the two renames leaves a model.json whose sha256 does not match model.npz, which
serving's integrity check reports instead of serving a mixed model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import tempfile
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from serving.app.artifact.manifest import model_version
from serving.app.contracts import artifact
from training import REPO_ROOT
from training.families.registry import family_of

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


def export_model(pipeline: Any, out_dir: Path, metadata: dict[str, Any]) -> ExportResult:
    """Write the artifact of a fitted model (its family's: training.families.registry) into out_dir.

    `metadata` holds the contract's `data`, `metrics` and `params` entries; everything else in model.json
    is derived from the fitted model itself, so it cannot disagree with the arrays. Nothing in either
    file depends on the clock or the host (no training time, no patch-level Python version): the same
    commit, data and platform give the same bytes, so dvc.lock's hashes can be checked by retraining.
    """
    family = family_of(pipeline)
    family.check_servable(pipeline)
    npz_data = npz_bytes(family.arrays(pipeline), family.STORED_ARRAYS)
    sha256 = hashlib.sha256(npz_data).hexdigest()
    classes, settings = family.classes(pipeline), family.settings(pipeline)
    document = {
        "format_version": artifact.FORMAT_VERSION,
        "kind": family.KIND,
        "version": model_version(sha256, classes, settings),
        "artifact": {"file": NPZ_NAME, "sha256": sha256, "bytes": len(npz_data)},
        "classes": classes,
        "settings": settings,
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


def npz_bytes(arrays: dict[str, np.ndarray], stored: Collection[str] = ()) -> bytes:
    """The arrays as a .npz archive (a zip of .npy files, what numpy.load reads), byte-reproducible.

    The `stored` arrays are stored uncompressed and aligned (the family's STORED_ARRAYS: for the linear
    family the weights, which barely compress, about 17% for float16, and which inflating would cost every
    cold start more time than reading the extra bytes); the others (vocabularies, idf: three- to
    sevenfold) are deflated. A fixed timestamp makes the bytes, hence the version, depend on the model
    alone.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in arrays.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_TIMESTAMP)
            member.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            if name in stored:
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
    padding = -start % artifact.ALIGNMENT
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
