"""model.npz, the artifact's arrays: read once, checked against the manifest's size and hash, then against
the model kind's table of names, dtypes and dimensions. Nothing is unpickled: plain arrays only."""

import hashlib
from typing import Any

import numpy as np

from ..contracts import artifact
from .manifest import FilePath, ModelLoadError
from .npz_archive import read_npz


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


def check_table(arrays: dict[str, np.ndarray], table: dict[str, Any], path: FilePath) -> None:
    """The archive holds exactly the arrays of ``table`` (name -> (dtype names, number of dimensions), a
    kind's contract), each with one of its dtypes and its number of dimensions."""
    if set(arrays) != set(table):
        raise ModelLoadError(path, f"holds arrays {sorted(arrays)}, expected {sorted(table)}")
    for name, (dtypes, ndim) in table.items():
        array = arrays[name]
        # Compared as dtypes, not names: a dtype name is also that of the non-native byte order.
        if array.dtype not in [np.dtype(dtype) for dtype in dtypes] or array.ndim != ndim:
            found = f"{array.dtype} {array.shape}"
            raise ModelLoadError(
                path, f"array {name!r} is {found}, expected a {ndim}-D {' or '.join(dtypes)} array"
            )


def decoded_text(data: np.ndarray, name: str, path: FilePath) -> str:
    """A text array's bytes as text (contracts.artifact.TEXT_ENCODING)."""
    try:
        return data.tobytes().decode(*artifact.TEXT_ENCODING)
    except UnicodeDecodeError:
        raise ModelLoadError(path, f"array {name!r} is not UTF-8 text") from None
