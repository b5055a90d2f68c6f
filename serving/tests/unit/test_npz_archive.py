"""The archive reader against numpy's own: the same arrays from the same bytes, and a clear error for
anything it does not read."""

import io
import zipfile

import numpy as np
import pytest

from serving.app.artifact.npz_archive import read_npz
from serving.app.contracts.linear_tfidf import STORED_ARRAYS

ARRAYS = {
    "words": np.frombuffer("naïve café \ud800".encode("utf-8", "surrogatepass"), np.uint8),
    "empty": np.zeros(0, np.uint32),
    "ngrams": np.arange(12, dtype=np.int32).reshape(4, 3) - 1,
    "fortran": np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
    "half": np.array([[1.5, -2.0], [np.inf, 0.0]], np.float16),
    "scalar": np.array(3.25),
}


def archive_bytes(save) -> bytes:
    buffer = io.BytesIO()
    save(buffer, **ARRAYS)
    return buffer.getvalue()


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed], ids=["stored", "deflated"])
def test_reads_what_numpy_writes(save):
    data = archive_bytes(save)
    with np.load(io.BytesIO(data), allow_pickle=False) as expected:
        arrays = read_npz(data)
        assert sorted(arrays) == sorted(expected.files)
        for name in expected.files:
            assert arrays[name].dtype == expected[name].dtype, name
            np.testing.assert_array_equal(arrays[name], expected[name])


def test_an_aligned_stored_array_shares_the_archives_memory_read_only():
    from training.export import npz_bytes  # it aligns the stored weights

    arrays = {"vocabulary": np.zeros(5, np.uint8), "coef": np.ones((4, 3), np.float16)}
    coef = read_npz(npz_bytes(arrays, stored=("coef",)))["coef"]
    assert coef.flags.aligned and not coef.flags.writeable  # read-only: the archive's own bytes


def test_an_unaligned_array_is_copied_aligned():
    arrays = {"x" * length: np.arange(3, dtype=np.float64) for length in range(1, 9)}  # names shift the data
    read = read_npz(archive_bytes(lambda buffer, **_: np.savez(buffer, **arrays)))
    assert all(array.flags.aligned for array in read.values())
    assert any(array.flags.writeable for array in read.values())  # some were copied
    for name, array in arrays.items():
        np.testing.assert_array_equal(read[name], array)


def test_reads_the_training_exporters_archive(tmp_path):
    from training.export import npz_bytes  # the writer whose output serving reads

    data = npz_bytes(ARRAYS, stored=STORED_ARRAYS)
    arrays = read_npz(data)
    for name, array in ARRAYS.items():
        np.testing.assert_array_equal(arrays[name], array)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"not a zip archive at all", "no zip end record"),
        (b"", "no zip end record"),
        (b"PK\x05\x06" + bytes(18), ""),  # an empty archive is read as no arrays
    ],
)
def test_not_an_archive(data, expected):
    if expected:
        with pytest.raises(ValueError, match=expected):
            read_npz(data)
    else:
        assert read_npz(data) == {}


def test_truncated_archive_is_refused():
    data = archive_bytes(np.savez)
    with pytest.raises(Exception):  # noqa: B017 (struct, zlib and ValueError all mean "broken")
        read_npz(data[: len(data) // 2] + data[-22:])


def test_other_compression_methods_and_object_arrays_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_BZIP2) as archive:
        content = io.BytesIO()
        np.lib.format.write_array(content, np.ones(3))
        archive.writestr("ones.npy", content.getvalue())
    with pytest.raises(ValueError, match="compression method 12"):
        read_npz(buffer.getvalue())
    buffer = io.BytesIO()
    np.savez(buffer, objects=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="unpickling"):
        read_npz(buffer.getvalue())
