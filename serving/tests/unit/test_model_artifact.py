"""Loading the artifact, and every way it can be broken failing loudly with a message saying what to do."""

import hashlib
import json
import shutil
from pathlib import Path

import model_artifact
import numpy as np
import pytest
from model_artifact import ModelLoadError, load_model

from serving.tests.artifact_export import rewrite_arrays, rewrite_manifest


@pytest.fixture
def model_dir(bbc_model_dir, tmp_path) -> Path:
    """A private copy of the BBC model that a test may break."""
    return Path(shutil.copytree(bbc_model_dir, tmp_path / "model"))


def load_error(directory: Path) -> str:
    with pytest.raises(ModelLoadError) as caught:
        load_model(directory)
    message = str(caught.value)
    assert "make train" in message and "dvc pull" in message, message
    return message


def test_loads_a_valid_artifact(model_dir, bbc_manifest):
    model = load_model(model_dir)
    sha256 = hashlib.sha256((model_dir / "model.npz").read_bytes()).hexdigest()
    assert model.version == sha256[:12] == bbc_manifest["version"]
    assert model.classifier.classes == ["business", "entertainment", "politics", "sports", "tech"]
    assert model.description["featurizer"] == bbc_manifest["featurizer"]
    assert model.description["metrics"] == bbc_manifest["metrics"]


def test_model_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    assert model_artifact.default_model_dir() == tmp_path
    monkeypatch.delenv("MODEL_DIR")
    assert model_artifact.default_model_dir() == Path(model_artifact.__file__).resolve().parent / "data"


def test_missing_manifest(model_dir):
    (model_dir / "model.json").unlink()
    message = load_error(model_dir)
    assert "model.json" in message and "missing" in message


def test_manifest_that_is_not_json(model_dir):
    (model_dir / "model.json").write_text('{"format_version": 1,', encoding="utf-8")
    assert "not valid JSON" in load_error(model_dir)


def test_manifest_that_is_not_an_object(model_dir):
    (model_dir / "model.json").write_text("[1]", encoding="utf-8")
    assert "must be a JSON object" in load_error(model_dir)


@pytest.mark.parametrize("version", [1, 3, 0, "2", None, True, 2.0])
def test_unsupported_format_version(model_dir, version):
    rewrite_manifest(model_dir, format_version=version)
    message = load_error(model_dir)
    assert "model.json" in message and f"format_version {version!r} is not supported" in message
    assert "(supported: [2])" in message


def test_missing_arrays_file(model_dir):
    (model_dir / "model.npz").unlink()
    message = load_error(model_dir)
    assert "model.npz" in message and "missing" in message


def test_truncated_arrays_file(model_dir):
    path = model_dir / "model.npz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    message = load_error(model_dir)
    assert (
        "model.npz" in message and f"is {len(data) // 2} bytes but model.json expects {len(data)}" in message
    )


def test_bit_flip_is_a_hash_mismatch(model_dir):
    path = model_dir / "model.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    message = load_error(model_dir)
    assert "model.npz" in message and "sha256 is" in message and "(corrupt?)" in message


def test_manifest_version_must_match_the_hash(model_dir):
    rewrite_manifest(model_dir, version="0123456789ab")
    assert "'version' must be the first 12 hex digits" in load_error(model_dir)


@pytest.mark.parametrize("name", ["../model.npz", "/etc/passwd", "", "sub/model.npz"])
def test_artifact_file_must_be_a_plain_name(model_dir, bbc_manifest, name):
    rewrite_manifest(model_dir, artifact={**bbc_manifest["artifact"], "file": name})
    assert "'artifact' must be" in load_error(model_dir)


def test_sealed_file_that_is_not_an_npz_archive(model_dir):
    (model_dir / "model.npz").write_bytes(b"not a zip archive at all")
    data = (model_dir / "model.npz").read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    rewrite_manifest(
        model_dir, version=sha256[:12], artifact={"file": "model.npz", "sha256": sha256, "bytes": len(data)}
    )
    assert "cannot be read as a .npz archive" in load_error(model_dir)


def test_pickled_arrays_are_refused(model_dir):
    rewrite_arrays(model_dir, idf=np.array([object()] * 3, dtype=object))
    assert "cannot be read as a .npz archive" in load_error(model_dir)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"coef": lambda a: a["coef"][:, :4]}, "array 'coef' has shape"),
        ({"coef": lambda a: a["coef"][:-1]}, "array 'coef' has shape"),
        ({"intercept": lambda a: a["intercept"][:3]}, "array 'intercept' has shape"),
        ({"idf": lambda a: a["idf"][:-1]}, "array 'coef' has shape"),
        ({"coef": lambda a: a["coef"].astype(np.int8)}, "array 'coef' is int8"),
        ({"coef": lambda a: a["coef"].ravel()}, "expected a 2-D float16 or float32 or float64 array"),
        ({"idf": lambda a: a["idf"].astype(np.float32)}, "array 'idf' is float32"),
        ({"coef": lambda a: np.full_like(a["coef"], np.inf)}, "NaN or infinite"),
        ({"vocabulary": lambda a: a["vocabulary"][:-40]}, "terms for"),
        (
            {"vocabulary": lambda a: np.frombuffer(b"\xff\xfe" + a["vocabulary"].tobytes(), np.uint8)},
            "not UTF-8",
        ),
        ({"intercept": lambda a: np.full_like(a["intercept"], np.nan)}, "NaN or infinite"),
        ({"idf": lambda a: None}, "holds arrays"),
        ({"extra": lambda a: np.zeros(3)}, "holds arrays"),
    ],
)
def test_arrays_that_disagree_with_the_contract(model_dir, change, expected):
    with np.load(model_dir / "model.npz") as archive:
        arrays = {name: archive[name] for name in archive.files}
    rewrite_arrays(model_dir, **{name: make(arrays) for name, make in change.items()})
    message = load_error(model_dir)
    assert "model.npz" in message and expected in message


def test_duplicate_vocabulary_terms(model_dir):
    with np.load(model_dir / "model.npz") as archive:
        terms = archive["vocabulary"].tobytes().decode("utf-8").split("\n")
    terms[1] = terms[0]
    rewrite_arrays(model_dir, vocabulary=np.frombuffer("\n".join(terms).encode(), np.uint8))
    assert "duplicate terms" in load_error(model_dir)


def test_classes_that_do_not_match_the_weights(model_dir, bbc_manifest):
    rewrite_manifest(model_dir, classes=bbc_manifest["classes"][:4])
    message = load_error(model_dir)
    assert "4 classes in model.json" in message


@pytest.mark.parametrize("classes", [["only-one"], ["a", "a", "b", "c", "d"], "abcde", [1, 2, 3, 4, 5]])
def test_invalid_classes(model_dir, classes):
    rewrite_manifest(model_dir, classes=classes)
    assert "'classes' must be a list of at least two distinct strings" in load_error(model_dir)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"stop_words": "english"}, "unknown ['stop_words']"),
        ({"norm": "max"}, "featurizer.norm must be one of"),
        ({"strip_accents": "latin"}, "featurizer.strip_accents must be one of"),
        ({"lowercase": "yes"}, "featurizer.lowercase must be true or false"),
        ({"token_pattern": r"(\w)(\w)"}, "more than one capturing group"),
        ({"token_pattern": "(unclosed"}, "does not compile"),
        ({"ngram_range": [2, 1]}, "ngram_range must be [low, high]"),
        ({"ngram_range": [0, 1]}, "ngram_range must be [low, high]"),
    ],
)
def test_featurizer_settings_serving_cannot_reproduce(model_dir, bbc_manifest, change, expected):
    rewrite_manifest(model_dir, featurizer={**bbc_manifest["featurizer"], **change})
    message = load_error(model_dir)
    assert "model.json" in message and expected in message


def test_missing_featurizer_setting(model_dir, bbc_manifest):
    featurizer = dict(bbc_manifest["featurizer"])
    del featurizer["sublinear_tf"]
    rewrite_manifest(model_dir, featurizer=featurizer)
    assert "missing ['sublinear_tf']" in load_error(model_dir)


def test_manifest_is_checked_before_the_arrays(model_dir):
    """The order MODEL_ARTIFACT.md gives: an unsupported format is reported even if the arrays are gone."""
    (model_dir / "model.npz").unlink()
    manifest = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 99
    (model_dir / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert "format_version 99" in load_error(model_dir)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weights_stored_wider_predict_the_same(model_dir, dtype):
    """The contract lets training store the weights at any of three precisions; serving widens them."""
    texts = ["Shares fell sharply", "The striker scored twice", ""]
    before = load_model(model_dir)
    with np.load(model_dir / "model.npz") as archive:
        coef = archive["coef"]
    assert coef.dtype == np.float16  # what the test exporter writes for rounded weights
    rewrite_arrays(model_dir, coef=coef.astype(dtype))
    after = load_model(model_dir)
    for text in texts:
        expected = before.classifier.predict_proba(text)
        np.testing.assert_array_equal(after.classifier.predict_proba(text), expected)
