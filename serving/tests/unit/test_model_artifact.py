"""Loading the artifact, and every way it can be broken failing loudly with a message saying what to do."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from serving.app.artifact import loader
from serving.app.artifact.float_bits import all_finite
from serving.app.artifact.loader import load_model
from serving.app.artifact.manifest import ModelLoadError
from serving.app.contracts.artifact import FORMAT_VERSION, MODEL_DIRECTORY
from serving.app.contracts.linear_tfidf import KIND
from serving.tests.artifact_export import (
    bbc_news,
    blocks_of,
    export,
    read_terms,
    rewrite_arrays,
    rewrite_featurizer,
    rewrite_manifest,
    rewrite_terms,
    train_union,
)
from serving.tests.served_model import feature_names, predict_proba, transform


@pytest.fixture
def model_dir(bbc_model_dir, tmp_path) -> Path:
    """A private copy of the BBC model that a test may break."""
    return Path(shutil.copytree(bbc_model_dir, tmp_path / "model"))


@pytest.fixture(scope="module")
def union_model(tmp_path_factory) -> Path:
    """A small word + char_wb model, exported once; tests copy it before breaking it."""
    texts, labels = bbc_news(per_class=8)
    blocks = [{"min_df": 2}, {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 2}]
    return export(*train_union(texts, labels, blocks), tmp_path_factory.mktemp("union_model"))


@pytest.fixture
def union_dir(union_model, tmp_path) -> Path:
    return Path(shutil.copytree(union_model, tmp_path / "union"))


def load_error(directory: Path) -> str:
    with pytest.raises(ModelLoadError) as caught:
        load_model(directory)
    message = str(caught.value)
    assert "make train" in message and "dvc pull" in message, message
    return message


def test_loads_a_valid_artifact(model_dir, bbc_manifest):
    model = load_model(model_dir)
    sha256 = hashlib.sha256((model_dir / "model.npz").read_bytes()).hexdigest()
    content = {
        "artifact_sha256": sha256,
        "classes": bbc_manifest["classes"],
        "settings": bbc_manifest["settings"],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":")).encode("ascii")
    assert model.version == hashlib.sha256(canonical).hexdigest()[:12] == bbc_manifest["version"]
    assert model.classifier.classes == ["business", "entertainment", "politics", "sports", "tech"]
    assert model.description["kind"] == bbc_manifest["kind"] == KIND
    assert model.description["settings"] == bbc_manifest["settings"]
    assert model.description["metrics"] == bbc_manifest["metrics"]


def test_model_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MODEL_DIR", str(tmp_path))
    assert Path(loader.default_model_dir()) == tmp_path
    monkeypatch.delenv("MODEL_DIR")
    assert Path(loader.default_model_dir()) == Path(loader.__file__).resolve().parents[1] / MODEL_DIRECTORY


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


@pytest.mark.parametrize(
    "version", [1, 2, 3, FORMAT_VERSION - 1, FORMAT_VERSION + 1, 0, str(FORMAT_VERSION), None, True, 5.0]
)
def test_unsupported_format_version(model_dir, version):
    """Every older version (2 and 3 stored every term as text, 4 recorded no kind) included: serving says
    to retrain."""
    rewrite_manifest(model_dir, format_version=version)
    message = load_error(model_dir)
    assert "model.json" in message and f"format_version {version!r} is not supported" in message
    assert f"(supported: [{FORMAT_VERSION}])" in message and "Retrain with `make train`" in message


@pytest.mark.parametrize("kind", [None, "", "linear", 5, ["linear-tfidf"]])
def test_a_kind_no_family_serves(model_dir, kind):
    rewrite_manifest(model_dir, kind=kind)
    message = load_error(model_dir)
    assert "model.json" in message and f"kind {kind!r} is not served by this code" in message
    assert f"(served: ['{KIND}'])" in message


SERVED_LINKS = "['modified_huber', 'ovr_sigmoid', 'softmax', 'temperature_softmax']"
BLOCKS = {"blocks": []}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (None, "'settings' must be an object with a 'link' and a 'featurizer'"),
        ({"featurizer": BLOCKS}, "'settings' must be an object with a 'link' and a 'featurizer'"),
        (
            {"link": "softmax"},
            "'settings' of the softmax link must have exactly the keys ['featurizer', 'link']",
        ),
        ({"link": "sigmoid", "featurizer": BLOCKS}, f"settings.link must be one of {SERVED_LINKS}"),
        ({"link": ["softmax"], "featurizer": BLOCKS}, f"settings.link must be one of {SERVED_LINKS}"),
        (
            {"link": "softmax", "temperature": 2.0, "featurizer": BLOCKS},
            "'settings' of the softmax link must have exactly the keys ['featurizer', 'link']",
        ),
        (
            {"link": "temperature_softmax", "featurizer": BLOCKS},
            "'settings' of the temperature_softmax link must have exactly the keys "
            "['featurizer', 'link', 'temperature']",
        ),
        *(
            (
                {"link": "temperature_softmax", "temperature": value, "featurizer": BLOCKS},
                "settings.temperature must be a positive, finite number",
            )
            for value in (0, -1.5, True, "2", None)
        ),
    ],
)
def test_settings_section_shape(model_dir, settings, expected):
    rewrite_manifest(model_dir, settings=settings)
    assert expected in load_error(model_dir)


MAP = "settings.confidence_map"
TWO_NUMBERS = "must be a list of at least two numbers"


@pytest.mark.parametrize(
    ("confidence_map", "expected"),
    [
        (None, f"{MAP} must be an object with the keys 'top_probability', 'calibrated'"),
        ({"top_probability": [0.1, 0.9]}, f"{MAP} must be an object with the keys"),
        ({"top_probability": [0.5], "calibrated": [0.5]}, f"{MAP}.top_probability {TWO_NUMBERS}"),
        ({"top_probability": [0.1, "0.9"], "calibrated": [0.1, 0.9]}, f"{MAP}.top_probability {TWO_NUMBERS}"),
        ({"top_probability": [0.1, 0.9], "calibrated": [0.1, True]}, f"{MAP}.calibrated {TWO_NUMBERS}"),
        (
            {"top_probability": [0.1, 0.5, 0.9], "calibrated": [0.1, 0.9]},
            f"{MAP}.top_probability and {MAP}.calibrated must be as long",
        ),
        *(
            (
                {"top_probability": knots, "calibrated": [0.1, 0.9]},
                f"{MAP}.top_probability must increase strictly",
            )
            for knots in ([0.5, 0.5], [0.9, 0.1], [-0.1, 0.9], [0.1, 1.5], [0.1, float("nan")])
        ),
        *(
            ({"top_probability": [0.1, 0.9], "calibrated": knots}, f"{MAP}.calibrated must not decrease")
            for knots in ([0.9, 0.1], [-0.1, 0.9], [0.1, 1.0], [0.1, float("nan")])
        ),
    ],
)
def test_a_confidence_map_that_serving_could_not_apply_faithfully_is_refused(
    model_dir, confidence_map, expected
):
    settings = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))["settings"]
    rewrite_manifest(model_dir, settings=settings | {"confidence_map": confidence_map})
    assert expected in load_error(model_dir)


def test_a_confidence_map_sets_each_texts_top_probability(model_dir):
    """The top class's probability is the map's interpolation of the link's, the class ranking stays."""
    texts = ["Chelsea won the cup final", "The central bank raised interest rates", "a", ""]
    plain = load_model(model_dir).classifier.classify(texts, top_k=5)
    knots = {"top_probability": [0.2, 0.6, 1.0], "calibrated": [0.2, 0.3, 0.9]}
    settings = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))["settings"]
    rewrite_manifest(model_dir, settings=settings | {"confidence_map": knots})
    mapped = load_model(model_dir).classifier.classify(texts, top_k=5)
    for before, after in zip(plain, mapped, strict=True):
        assert [label for label, _ in after.scores] == [label for label, _ in before.scores]
        expected = np.interp(before.scores[0][1], knots["top_probability"], knots["calibrated"])
        assert after.scores[0][1] == pytest.approx(max(expected, after.scores[1][1]), abs=1e-12)


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


@pytest.mark.parametrize(
    "change",
    [
        lambda manifest: manifest["settings"].update(link="ovr_sigmoid"),
        lambda manifest: manifest["classes"].reverse(),
        lambda manifest: manifest["settings"].update(
            confidence_map={"top_probability": [0.2, 0.9], "calibrated": [0.3, 0.8]}
        ),
    ],
)
def test_a_model_answering_otherwise_from_the_same_arrays_is_another_version(model_dir, bbc_manifest, change):
    """Same arrays, other classes or settings: the version recorded for the old ones is refused."""
    manifest = json.loads(json.dumps(bbc_manifest))
    change(manifest)
    rewrite_manifest(model_dir, **manifest)  # the old version kept
    assert "'version' must be the first 12 hex digits" in load_error(model_dir)


@pytest.mark.parametrize("name", ["../model.npz", "/etc/passwd", "", "sub/model.npz"])
def test_artifact_file_must_be_a_plain_name(model_dir, bbc_manifest, name):
    rewrite_manifest(model_dir, artifact={**bbc_manifest["artifact"], "file": name})
    assert "'artifact' must be" in load_error(model_dir)


def test_sealed_file_that_is_not_an_npz_archive(model_dir):
    (model_dir / "model.npz").write_bytes(b"not a zip archive at all")
    data = (model_dir / "model.npz").read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    rewrite_manifest(model_dir, artifact={"file": "model.npz", "sha256": sha256, "bytes": len(data)})
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
        ({"idf": lambda a: a["idf"][:-1]}, "model.json's blocks add up to"),
        ({"term_lengths": lambda a: np.ones(1, np.uint32)}, "array 'term_lengths' has shape"),
        ({"term_lengths": lambda a: a["term_lengths"].astype(np.int64)}, "array 'term_lengths' is int64"),
        ({"word_ngrams": lambda a: a["word_ngrams"][:-1]}, "array 'word_ngrams' has shape"),
        ({"word_ngrams": lambda a: a["word_ngrams"].astype(np.int64)}, "array 'word_ngrams' is int64"),
        ({"word_ngrams": lambda a: a["word_ngrams"][:, :1]}, "must hold 2 word ids per term"),
        ({"word_ngrams": lambda a: a["word_ngrams"] + 1}, "must hold 2 word ids per term"),
        ({"word_ngrams": lambda a: a["word_ngrams"][:, ::-1]}, "must hold 2 word ids per term"),
        ({"word_ngram_order": lambda a: a["word_ngram_order"][:-1]}, "array 'word_ngram_order' has shape"),
        (
            {"word_ngram_order": lambda a: a["word_ngram_order"][::-1]},
            "must sort the terms by (length, number)",
        ),
        ({"word_ngram_order": lambda a: a["word_ngram_order"] + 1}, "must list term positions"),
        (
            {"words": lambda a: np.frombuffer(a["words"].tobytes().rsplit(b" ", 1)[0], np.uint8)},
            "must hold 2 word ids per term",
        ),
        (
            {"words": lambda a: np.frombuffer(b"\xff" + a["words"].tobytes(), np.uint8)},
            "'words' is not UTF-8",
        ),
        ({"coef": lambda a: a["coef"].astype(np.int8)}, "array 'coef' is int8"),
        ({"coef": lambda a: a["coef"].ravel()}, "expected a 2-D float16 or float32 or float64 array"),
        ({"idf": lambda a: a["idf"].astype(np.float32)}, "array 'idf' is float32"),
        ({"coef": lambda a: np.full_like(a["coef"], np.inf)}, "NaN or infinite"),
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


def test_duplicate_vocabulary_terms(union_dir):
    terms = read_terms(union_dir)
    terms[1] = terms[0]
    rewrite_terms(union_dir, terms)
    assert "duplicate terms in block 1" in load_error(union_dir)


def test_the_character_terms_must_add_up_to_the_vocabulary(union_dir):
    with np.load(union_dir / "model.npz") as archive:
        lengths = archive["term_lengths"]
    rewrite_arrays(union_dir, term_lengths=lengths + 1)
    assert "the lengths of array 'vocabulary' add up to" in load_error(union_dir)


def test_duplicate_word_ngrams(model_dir):
    with np.load(model_dir / "model.npz") as archive:
        ngrams, order = archive["word_ngrams"].copy(), archive["word_ngram_order"]
    ngrams[order[1]] = ngrams[order[0]]
    rewrite_arrays(model_dir, word_ngrams=ngrams)
    assert "duplicate terms?" in load_error(model_dir)


def test_a_word_listed_twice_is_refused(model_dir):
    with np.load(model_dir / "model.npz") as archive:
        words = archive["words"].tobytes().decode("utf-8").split(" ")
    words[1] = words[0]
    rewrite_arrays(model_dir, words=np.frombuffer(" ".join(words).encode("utf-8"), np.uint8))
    message = load_error(model_dir)
    assert "holds a word twice" in message or "must sort the terms" in message


def test_the_same_term_in_two_blocks_is_two_features(union_dir):
    """Blocks have their own vocabularies: a word and a character n-gram may be spelled alike ("000")."""
    manifest = json.loads((union_dir / "model.json").read_text(encoding="utf-8"))
    n_words = blocks_of(manifest)[0]["n_features"]
    featurizer = load_model(union_dir).classifier.featurizer
    terms = feature_names(featurizer)
    shared = sorted(set(terms[:n_words]) & set(terms[n_words:]))
    assert shared, "the union model should have a word that is also a character n-gram"
    indices, _ = transform(featurizer, shared[0])
    word_index, char_index = terms.index(shared[0]), terms.index(shared[0], n_words)
    assert {word_index, char_index} <= set(indices.tolist()) and word_index < n_words <= char_index


def test_a_char_wb_term_with_two_spaces_is_refused(union_dir):
    """The featurizer skips the n-grams that cross words because no char_wb term has two spaces."""
    terms = read_terms(union_dir)
    terms[-1] = "a  b"
    rewrite_terms(union_dir, terms)
    assert "a char_wb term with two spaces in block 1" in load_error(union_dir)


def test_blocks_must_add_up_to_the_arrays(union_dir):
    manifest = json.loads((union_dir / "model.json").read_text(encoding="utf-8"))
    blocks = blocks_of(manifest)
    blocks[0]["n_features"] += 3
    rewrite_featurizer(union_dir, {"blocks": blocks})
    total = blocks[0]["n_features"] + blocks[1]["n_features"]
    assert f"model.json's blocks add up to {total}" in load_error(union_dir)


@pytest.mark.parametrize(
    ("featurizer", "expected"),
    [
        ([], "settings.featurizer must be an object with one key, 'blocks'"),
        ({"blocks": [], "norm": "l2"}, "settings.featurizer must be an object with one key, 'blocks'"),
        ({"blocks": []}, "featurizer.blocks must be a non-empty list"),
        ({"blocks": {"analyzer": "word"}}, "featurizer.blocks must be a non-empty list"),
        ({"blocks": ["word"]}, "featurizer.blocks[0] must be an object"),
    ],
)
def test_featurizer_section_shape(model_dir, featurizer, expected):
    rewrite_featurizer(model_dir, featurizer)
    assert expected in load_error(model_dir)


@pytest.mark.parametrize(
    ("block", "change", "expected"),
    [
        (
            1,
            {"token_pattern": r"\w+"},
            "featurizer.blocks[1].token_pattern must be null for the char_wb analyzer",
        ),
        (0, {"token_pattern": None}, "featurizer.blocks[0].token_pattern must be a string"),
        (
            1,
            {"analyzer": "chars"},
            "featurizer.blocks[1].analyzer must be one of ['word', 'char_wb', 'char']",
        ),
        (1, {"n_features": 0}, "featurizer.blocks[1].n_features must be a positive integer"),
        (1, {"n_features": True}, "featurizer.blocks[1].n_features must be a positive integer"),
        (1, {"ngram_range": [3, 2]}, "featurizer.blocks[1].ngram_range must be [low, high]"),
    ],
)
def test_block_settings_serving_cannot_reproduce(union_dir, block, change, expected):
    manifest = json.loads((union_dir / "model.json").read_text(encoding="utf-8"))
    blocks = blocks_of(manifest)
    blocks[block] |= change
    rewrite_featurizer(union_dir, {"blocks": blocks})
    message = load_error(union_dir)
    assert "model.json" in message and expected in message


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
        ({"norm": "max"}, "featurizer.blocks[0].norm must be one of"),
        ({"strip_accents": "latin"}, "featurizer.blocks[0].strip_accents must be one of"),
        ({"lowercase": "yes"}, "featurizer.blocks[0].lowercase must be true or false"),
        ({"token_pattern": r"(\w)(\w)"}, "more than one capturing group"),
        ({"token_pattern": "(unclosed"}, "does not compile"),
        ({"ngram_range": [2, 1]}, "ngram_range must be [low, high]"),
        ({"ngram_range": [0, 1]}, "ngram_range must be [low, high]"),
    ],
)
def test_featurizer_settings_serving_cannot_reproduce(model_dir, bbc_manifest, change, expected):
    (block,) = blocks_of(bbc_manifest)
    rewrite_featurizer(model_dir, {"blocks": [{**block, **change}]})
    message = load_error(model_dir)
    assert "model.json" in message and expected in message


def test_missing_featurizer_setting(model_dir, bbc_manifest):
    block = dict(blocks_of(bbc_manifest)[0])  # the manifest fixture is shared: copy
    del block["sublinear_tf"]
    rewrite_featurizer(model_dir, {"blocks": [block]})
    assert "featurizer.blocks[0] settings unknown [] / missing ['sublinear_tf']" in load_error(model_dir)


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
        expected = predict_proba(before.classifier, text)
        np.testing.assert_array_equal(predict_proba(after.classifier, text), expected)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_all_finite_reads_the_exponent_bits(dtype):
    info = np.finfo(dtype)
    finite = np.array([[1.0, -2.0], [0.0, -0.0], [info.max, info.min], [info.tiny / 2, info.eps]], dtype)
    assert all_finite(finite) and all_finite(np.zeros((0, 2), dtype))
    for bad in (np.nan, np.inf, -np.inf):
        broken = finite.copy()
        broken[2, 1] = bad
        assert not all_finite(broken)
        assert not all_finite(np.asfortranarray(broken))
