"""Reads a NumPy ``.npz`` archive held in memory: what ``numpy.load(..., allow_pickle=False)`` returns,
without importing ``zipfile``.

Why not ``numpy.load``: it imports ``zipfile`` (and with it ``pathlib``, ``shutil``, ``bz2``, ``lzma``,
threading...), about 9 ms of every cold start, then checks each member's CRC-32, which repeats what the
artifact's SHA-256 has already proven, and copies every array out of the archive. The part of the zip
format a ``.npz`` uses is small (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT, sections
4.3.7, 4.3.12 and 4.3.16): the end record names the central directory, whose entries give each member's
name, compression method (stored or deflated), compressed size and local header; the data follows the
local header. Each member is an ``.npy`` file, read with ``numpy.lib.format``'s public header readers;
a stored member becomes a read-only array over the archive's own bytes, with no copy (unless its data
is not aligned for its type: training's exporter aligns it).

Anything else (zip64 end records, other compression methods, object arrays, which only pickle can
read) raises ``ValueError``; the caller reports which file and what to do.

Target: the cold start, at most 50 ms above a bare ``import numpy`` (``make bench``, docs/performance.md).
"""

import io
import struct
import zlib

import numpy as np

_END = struct.Struct("<4s4H2LH")  # end of central directory record
_ENTRY = struct.Struct("<4s6H3L5H2L")  # central directory file header
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header
_STORED, _DEFLATED = 0, 8


def read_npz(data: bytes) -> dict[str, np.ndarray]:
    """The archive's arrays by name (the member name without ``.npy``)."""
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or end + _END.size > len(data):
        raise ValueError("no zip end record: not a .npz archive")
    record = _END.unpack_from(data, end)
    count, offset = record[4], record[6]
    arrays = {}
    for _ in range(count):
        entry = _ENTRY.unpack_from(data, offset)
        if entry[0] != b"PK\x01\x02":
            raise ValueError("broken zip central directory")
        method, size, name_length, local = entry[4], entry[8], entry[10], entry[16]
        name = data[offset + _ENTRY.size : offset + _ENTRY.size + name_length].decode("utf-8")
        offset += _ENTRY.size + name_length + entry[11] + entry[12]
        arrays[name.removesuffix(".npy")] = read_npy(_member_bytes(data, local, method, size))
    return arrays


def _member_bytes(data: bytes, local: int, method: int, size: int) -> memoryview | bytes:
    """One member's content: a view of ``data`` if stored, inflated if deflated."""
    header = _LOCAL.unpack_from(data, local)
    if header[0] != b"PK\x03\x04":
        raise ValueError("broken zip local header")
    start = local + _LOCAL.size + header[9] + header[10]
    if start + size > len(data):
        raise ValueError("a zip member runs past the end of the archive")
    content = memoryview(data)[start : start + size]
    if method == _STORED:
        return content
    if method == _DEFLATED:
        return zlib.decompress(content, -zlib.MAX_WBITS)
    raise ValueError(f"zip compression method {method} (only stored and deflated are read)")


def read_npy(content: memoryview | bytes) -> np.ndarray:
    """An ``.npy`` file's array, sharing ``content``'s memory (read-only)."""
    stream = io.BytesIO(content[:65536])  # the header: magic, version, length and a short dict
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f".npy format version {version} is not read")
    if dtype.hasobject:
        raise ValueError("an object array can only be read by unpickling, which is refused")
    count = int(np.prod(shape, dtype=np.int64))
    array = np.frombuffer(content, dtype=dtype, count=count, offset=stream.tell())
    if not array.flags.aligned:  # numpy computes on unaligned data several times slower: copy it once
        array = array.copy()
    return array.reshape(shape, order="F" if fortran_order else "C")
