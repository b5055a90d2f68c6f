"""The artifact round trip: arrays and metadata per serving/MODEL_ARTIFACT.md, and predictions that a
plain numpy implementation of the contract's recipe reproduces exactly."""

import collections
import copy
import hashlib
import io
import json
import math
import os
import re
import stat
import struct
import unicodedata
import zipfile

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from serving.app.contracts.artifact import FORMAT_VERSION
from serving.app.contracts.linear_tfidf import KIND, SOFTMAX
from training.export import export_model, npz_bytes
from training.families.linear_tfidf import word_ngram_arrays
from training.fit import fit_pipeline, round_weights
from training.params import validate_params
from training.pipeline import UnservableModelError, build_pipeline
from training.tests.corpus import LOGISTIC_REGRESSION, make_corpus, repo_params

METADATA = {
    "data": {"source": "generated", "train_documents": 60, "test_documents": 0},
    "metrics": {"accuracy": 0.9, "macro_f1": 0.8, "baseline_accuracy": 0.3},
    "params": {"train": {"C": 1.0}},
}
ARRAY_NAMES = [
    "vocabulary",
    "term_lengths",
    "words",
    "word_ngrams",
    "word_ngram_order",
    "idf",
    "coef",
    "intercept",
]
PROBES = [
    "The telescope saw a comet near the moon.",
    "Garlic and butter, then roast it in the oven",
    "CRÈME BRÛLÉE with a ᴬ modifier letter and naïve café anchors",
    "",
    "words never seen during training",
    "tide tide tide tide anchor star star",
]


def stored_terms(arrays, blocks: list[dict]) -> list[str]:
    """The terms of model.npz, in column order, block by block. A word block's term is its words (ids
    into `words`, space-separated UTF-8) joined by one space; the character blocks' terms follow each
    other in `vocabulary`, UTF-8 (lone surrogates passed) cut at `term_lengths`."""
    text = bytes(arrays["vocabulary"]).decode("utf-8", "surrogatepass")
    ends = np.cumsum(arrays["term_lengths"]).tolist()
    assert (ends[-1] if ends else 0) == len(text)
    starts = [0, *ends[:-1]] if ends else []
    char_terms = iter(text[start:end] for start, end in zip(starts, ends, strict=True))
    words = bytes(arrays["words"]).decode("utf-8", "surrogatepass").split(" ")
    terms = []
    for block in blocks:
        if block["analyzer"] == "word":
            assert arrays["word_ngrams"].shape == (block["n_features"], block["ngram_range"][1])
            terms += [" ".join(words[i] for i in row if i >= 0) for row in arrays["word_ngrams"].tolist()]
        else:
            terms += [next(char_terms) for _ in range(block["n_features"])]
    assert next(char_terms, None) is None
    return terms


def blocks_of(out_dir) -> list[dict]:
    return json.loads((out_dir / "model.json").read_text(encoding="utf-8"))["settings"]["featurizer"][
        "blocks"
    ]


def reference_ngrams(block: dict, text: str) -> list[str]:
    """One block's analyzer, following the contract's wording with plain loops."""
    if block["lowercase"]:
        text = text.lower()
    if block["strip_accents"] == "ascii":
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    elif block["strip_accents"] == "unicode":
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    low, high = block["ngram_range"]
    if block["analyzer"] == "word":
        tokens = re.findall(block["token_pattern"], text)
        return [" ".join(tokens[i : i + n]) for n in range(low, high + 1) for i in range(len(tokens) - n + 1)]
    text = re.sub(r"\s\s+", " ", text)
    if block["analyzer"] == "char":
        return [text[i : i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)]
    grams = []
    for word in text.split():
        padded = f" {word} "
        if len(padded) <= low:
            grams.append(padded)
            continue
        for n in range(low, min(high, len(padded)) + 1):
            grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return grams


def reference_predict_proba(out_dir, texts):
    """serving/MODEL_ARTIFACT.md's prediction recipe, written independently of scikit-learn."""
    manifest = json.loads((out_dir / "model.json").read_text(encoding="utf-8"))
    with np.load(out_dir / "model.npz", allow_pickle=False) as arrays:
        terms = stored_terms(arrays, manifest["settings"]["featurizer"]["blocks"])
        idf, coef, intercept = arrays["idf"], arrays["coef"], arrays["intercept"]
    rows = []
    for text in texts:
        parts, start = [], 0
        for block in manifest["settings"]["featurizer"]["blocks"]:
            size = block["n_features"]
            index = {term: i for i, term in enumerate(terms[start : start + size])}
            x = np.zeros(size)
            counts = collections.Counter(g for g in reference_ngrams(block, text) if g in index)
            for gram, count in counts.items():
                if block["binary"]:
                    tf = 1.0
                elif block["sublinear_tf"]:
                    tf = 1.0 + math.log(count)
                else:
                    tf = float(count)
                x[index[gram]] = tf
            x *= idf[start : start + size]
            norm = {"l2": np.sqrt(np.sum(x * x)), "l1": np.sum(np.abs(x)), None: 0.0}[block["norm"]]
            if norm > 0:
                x /= norm
            parts.append(x)
            start += size
        assert start == len(terms)
        scores = np.concatenate(parts) @ coef + intercept
        exp = np.exp(scores - scores.max())
        rows.append(exp / exp.sum())
    return np.array(rows)


def single_block(**settings) -> Pipeline:
    """The pipeline shape training builds, with one block of the given TfidfVectorizer settings."""
    return union_of(settings)


def union_of(*blocks: dict) -> Pipeline:
    union = FeatureUnion([(block.get("analyzer", "word"), TfidfVectorizer(**block)) for block in blocks])
    return Pipeline([("features", union), ("clf", LogisticRegression(C=5.0))])


def clone_fitted(pipeline: Pipeline) -> Pipeline:
    """A deep copy of a fitted pipeline, so a test can change it without touching a shared fixture."""
    return copy.deepcopy(pipeline)


def _pipeline_from_params(**train):
    raw = repo_params()
    raw["featurize"]["analyzer"] = "word"
    raw["train"] |= LOGISTIC_REGRESSION | train
    return build_pipeline(validate_params(raw))


@pytest.fixture(scope="module")
def multiclass(tmp_path_factory):
    texts, labels = make_corpus(per_label=20, seed=2)
    pipeline = _pipeline_from_params(C=10.0).fit(texts, labels)
    out_dir = tmp_path_factory.mktemp("multiclass")
    return pipeline, out_dir, export_model(pipeline, out_dir, METADATA)


def test_arrays_have_the_contract_names_dtypes_and_shapes(multiclass):
    pipeline, out_dir, _ = multiclass
    ((_, vectorizer),) = pipeline.named_steps["features"].transformer_list
    classifier = pipeline.named_steps["clf"]
    with np.load(out_dir / "model.npz", allow_pickle=False) as arrays:
        assert sorted(arrays.files) == sorted(ARRAY_NAMES)
        n_features, n_classes = len(vectorizer.vocabulary_), len(classifier.classes_)
        assert (arrays["vocabulary"].dtype, arrays["vocabulary"].shape) == (np.uint8, (0,))
        assert (arrays["term_lengths"].dtype, arrays["term_lengths"].shape) == (np.uint32, (0,))
        assert (arrays["words"].dtype, arrays["words"].ndim) == (np.uint8, 1)
        assert (arrays["word_ngrams"].dtype, arrays["word_ngrams"].shape) == (np.int16, (n_features, 2))
        assert (arrays["word_ngram_order"].dtype, arrays["word_ngram_order"].shape) == (
            np.int32,
            (n_features,),
        )
        assert stored_terms(arrays, blocks_of(out_dir)) == list(vectorizer.get_feature_names_out())
        words = bytes(arrays["words"]).decode("utf-8").split(" ")
        assert words == sorted(set(words))
        rows = arrays["word_ngrams"].tolist()
        key = [(sum(i >= 0 for i in row), [i for i in row if i >= 0]) for row in rows]
        assert [key[i] for i in arrays["word_ngram_order"]] == sorted(key)  # by (length, number)
        assert (arrays["idf"].dtype, arrays["idf"].shape) == (np.float64, (n_features,))
        assert (arrays["coef"].dtype, arrays["coef"].shape) == (np.float64, (n_features, n_classes))
        assert (arrays["intercept"].dtype, arrays["intercept"].shape) == (np.float64, (n_classes,))
        assert arrays["coef"].flags.c_contiguous
        np.testing.assert_array_equal(arrays["idf"], vectorizer.idf_)
        np.testing.assert_array_equal(arrays["coef"], classifier.coef_.T)
        np.testing.assert_array_equal(arrays["intercept"], classifier.intercept_)


def test_metadata_matches_the_file_and_the_model(multiclass):
    _, out_dir, result = multiclass
    manifest = json.loads((out_dir / "model.json").read_text(encoding="utf-8"))
    data = (out_dir / "model.npz").read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["kind"] == KIND
    assert manifest["artifact"] == {"file": "model.npz", "sha256": sha256, "bytes": len(data)}
    content = {"artifact_sha256": sha256, "classes": manifest["classes"], "settings": manifest["settings"]}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":")).encode("ascii")
    assert manifest["version"] == hashlib.sha256(canonical).hexdigest()[:12] == result.version
    assert result.bytes == len(data)
    assert manifest["classes"] == ["astronomy", "cooking", "sailing"]
    ((_, vectorizer),) = multiclass[0].named_steps["features"].transformer_list
    assert manifest["settings"]["link"] == SOFTMAX
    assert manifest["settings"]["featurizer"] == {
        "blocks": [
            {
                "analyzer": "word",
                "lowercase": True,
                "strip_accents": None,
                "token_pattern": repo_params()["featurize"]["token_pattern"],
                "ngram_range": repo_params()["featurize"]["ngram_range"],
                "binary": False,
                "sublinear_tf": repo_params()["featurize"]["sublinear_tf"],
                "use_idf": True,
                "norm": "l2",
                "n_features": len(vectorizer.vocabulary_),
            }
        ]
    }


def test_a_union_lists_its_blocks_in_column_order(tmp_path):
    texts, labels = make_corpus(per_label=15, seed=4)
    raw = repo_params()
    raw["featurize"] |= {"analyzer": "word+char_wb", "char_ngram_range": [2, 4], "select_features": 200}
    raw["train"] |= LOGISTIC_REGRESSION
    pipeline = fit_pipeline(validate_params(raw), texts, labels)
    export_model(pipeline, tmp_path, METADATA)
    manifest = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    word, chars = manifest["settings"]["featurizer"]["blocks"]
    (_, word_vectorizer), (_, char_vectorizer) = pipeline.named_steps["features"].transformer_list
    assert (word["analyzer"], word["token_pattern"]) == ("word", raw["featurize"]["token_pattern"])
    assert (chars["analyzer"], chars["token_pattern"], chars["ngram_range"]) == ("char_wb", None, [2, 4])
    assert (word["n_features"], chars["n_features"]) == (
        len(word_vectorizer.vocabulary_),
        len(char_vectorizer.vocabulary_),
    )
    assert word["n_features"] + chars["n_features"] == 200
    with np.load(tmp_path / "model.npz", allow_pickle=False) as arrays:
        assert stored_terms(arrays, [word, chars]) == [
            *word_vectorizer.get_feature_names_out(),
            *char_vectorizer.get_feature_names_out(),
        ]
        np.testing.assert_array_equal(
            arrays["idf"], np.concatenate([word_vectorizer.idf_, char_vectorizer.idf_])
        )
    np.testing.assert_allclose(
        reference_predict_proba(tmp_path, PROBES), pipeline.predict_proba(PROBES), rtol=0, atol=1e-9
    )
    for key in ("data", "metrics", "params"):
        assert manifest[key] == METADATA[key]
    assert set(manifest["libraries"]) == {"python", "scikit-learn", "numpy"}
    assert manifest["libraries"]["python"].count(".") == 1  # major.minor: no host-specific patch level
    assert "trained_at" not in manifest  # nothing from the clock in a hashed file


def test_files_are_readable_by_other_users_and_no_temporary_file_is_left(multiclass):
    _, out_dir, _ = multiclass
    assert sorted(path.name for path in out_dir.iterdir()) == ["model.json", "model.npz"]
    for name in ("model.json", "model.npz"):
        assert stat.S_IMODE((out_dir / name).stat().st_mode) == 0o644


def test_same_model_gives_the_same_version(multiclass, tmp_path):
    pipeline, _, result = multiclass
    assert export_model(pipeline, tmp_path, METADATA).version == result.version


def test_reference_recipe_reproduces_predict_proba(multiclass):
    pipeline, out_dir, _ = multiclass
    np.testing.assert_allclose(
        reference_predict_proba(out_dir, PROBES), pipeline.predict_proba(PROBES), rtol=0, atol=1e-9
    )


def test_binary_model_is_stored_as_two_columns(tmp_path):
    texts, labels = make_corpus(per_label=20, labels=["cooking", "sailing"], seed=3)
    pipeline = _pipeline_from_params().fit(texts, labels)
    export_model(pipeline, tmp_path, METADATA)
    classifier = pipeline.named_steps["clf"]
    with np.load(tmp_path / "model.npz", allow_pickle=False) as arrays:
        np.testing.assert_array_equal(arrays["coef"][:, 0], 0.0)
        np.testing.assert_array_equal(arrays["coef"][:, 1], classifier.coef_[0])
        np.testing.assert_array_equal(arrays["intercept"], [0.0, classifier.intercept_[0]])
    np.testing.assert_allclose(
        reference_predict_proba(tmp_path, PROBES), pipeline.predict_proba(PROBES), rtol=0, atol=1e-9
    )


@pytest.mark.parametrize(
    "settings",
    [
        # One-character tokens keep "ᴬ" -> "A", which only scikit-learn's order (lowercase, then strip) gives.
        {"strip_accents": "unicode", "ngram_range": (1, 3), "token_pattern": r"(?u)\b\w+\b"},
        {"strip_accents": "ascii", "lowercase": False, "binary": True, "norm": "l1"},
        {"use_idf": False, "sublinear_tf": False, "norm": None, "ngram_range": (2, 2)},
        {"token_pattern": r"(?u)\b(\w)\w*", "sublinear_tf": True},
        {"analyzer": "char", "ngram_range": (1, 3), "strip_accents": "unicode"},
        {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True},
        {"analyzer": "char_wb", "ngram_range": (4, 6), "lowercase": False, "norm": "l1"},
    ],
)
def test_reference_recipe_covers_every_featurizer_setting(tmp_path, settings):
    texts, labels = make_corpus(per_label=15, seed=4)
    texts = [text + " Café naïve ᴬ\tI\n\n" if i % 2 else text for i, text in enumerate(texts)]
    pipeline = single_block(**settings).fit(texts, labels)
    export_model(pipeline, tmp_path, METADATA)
    manifest = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    (block,) = manifest["settings"]["featurizer"]["blocks"]
    assert block["use_idf"] == settings.get("use_idf", True)
    assert block["analyzer"] == settings.get("analyzer", "word")
    np.testing.assert_allclose(
        reference_predict_proba(tmp_path, PROBES), pipeline.predict_proba(PROBES), rtol=0, atol=1e-9
    )


def test_unservable_models_are_refused_before_writing(tmp_path):
    texts, labels = make_corpus(per_label=10)
    with_stop_words = single_block(stop_words="english").fit(texts, labels)
    with pytest.raises(UnservableModelError, match="stop_words"):
        export_model(with_stop_words, tmp_path, METADATA)
    assert list(tmp_path.iterdir()) == []


def test_terms_with_newlines_tabs_and_lone_surrogates_are_stored_whole(tmp_path):
    """The char analyzer keeps a single "\n" or "\t", and JSON texts can carry a lone surrogate: every
    term, whatever its characters, comes back from the arrays as it went in."""
    texts, labels = make_corpus(per_label=10, seed=6)
    texts = [f"{text}\nx\ty \ud800z" if i % 3 else text for i, text in enumerate(texts)]
    pipeline = single_block(analyzer="char", ngram_range=(1, 3)).fit(texts, labels)
    export_model(pipeline, tmp_path, METADATA)
    ((_, vectorizer),) = pipeline.named_steps["features"].transformer_list
    terms = list(vectorizer.get_feature_names_out())
    assert {"\n", "\nx", "\t", "x\ty", "\ud800", "\ud800z"} <= set(terms)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as arrays:
        assert stored_terms(arrays, blocks_of(tmp_path)) == terms
    probes = [*PROBES, "\nx\ty \ud800z", "\ud800"]
    np.testing.assert_allclose(
        reference_predict_proba(tmp_path, probes), pipeline.predict_proba(probes), rtol=0, atol=1e-9
    )


def test_a_failed_write_keeps_the_previous_model(multiclass, tmp_path, monkeypatch):
    source_dir = multiclass[1]
    previous = {name: (source_dir / name).read_bytes() for name in ("model.npz", "model.json")}
    for name, content in previous.items():
        (tmp_path / name).write_bytes(content)

    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    other = _pipeline_from_params(C=0.5).fit(*make_corpus(per_label=20, seed=9))
    with pytest.raises(OSError, match="disk full"):
        export_model(other, tmp_path, METADATA)
    assert {name: (tmp_path / name).read_bytes() for name in previous} == previous
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model.json", "model.npz"]


@pytest.mark.parametrize(("dtype", "stored"), [("float16", np.float16), ("float32", np.float32)])
def test_rounded_weights_are_stored_at_their_precision_bit_for_bit(multiclass, tmp_path, dtype, stored):
    pipeline = clone_fitted(multiclass[0])
    round_weights(pipeline.named_steps["clf"], dtype)
    export_model(pipeline, tmp_path, METADATA)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as arrays:
        assert arrays["coef"].dtype == stored
        np.testing.assert_array_equal(arrays["coef"].T.astype(np.float64), pipeline.named_steps["clf"].coef_)
    np.testing.assert_allclose(
        reference_predict_proba(tmp_path, PROBES), pipeline.predict_proba(PROBES), rtol=0, atol=1e-12
    )


def test_weights_never_rounded_are_stored_as_float64(multiclass):
    _, out_dir, _ = multiclass
    with np.load(out_dir / "model.npz", allow_pickle=False) as arrays:
        assert arrays["coef"].dtype == np.float64


def test_weights_word_ids_and_words_are_stored_uncompressed_the_rest_deflated_with_a_fixed_timestamp(
    multiclass,
):
    _, out_dir, _ = multiclass
    with zipfile.ZipFile(out_dir / "model.npz") as archive:
        members = {info.filename: info for info in archive.infolist()}
    assert sorted(members) == sorted(f"{name}.npy" for name in ARRAY_NAMES)
    for name in ("coef", "word_ngrams", "words"):
        assert members[f"{name}.npy"].compress_type == zipfile.ZIP_STORED
    for name in set(ARRAY_NAMES) - {"coef", "word_ngrams", "words"}:
        assert members[f"{name}.npy"].compress_type == zipfile.ZIP_DEFLATED
    assert {info.date_time for info in members.values()} == {(1980, 1, 1, 0, 0, 0)}


def test_word_ids_are_int16_until_they_need_int32():
    for n_words, dtype in ((32_767, np.int16), (32_768, np.int32)):
        vectorizer = TfidfVectorizer().fit([" ".join(f"w{i}" for i in range(n_words))])
        ngrams = word_ngram_arrays(vectorizer)["word_ngrams"]
        assert ngrams.dtype == dtype and ngrams.max() == n_words - 1


def test_the_stored_weights_start_on_a_64_byte_boundary(multiclass):
    """Serving then uses them in place, aligned for every float type (numpy pads .npy headers to 64)."""
    _, out_dir, _ = multiclass
    data = (out_dir / "model.npz").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("coef.npy")
    name_length, extra_length = struct.unpack_from("<2H", data, info.header_offset + 26)
    data_start = info.header_offset + 30 + name_length + extra_length
    header_length = len(data[data_start:].split(b"\n", 1)[0]) + 1  # the .npy header ends with "\n"
    assert data_start % 64 == 0 and header_length % 64 == 0


def test_archive_bytes_depend_on_the_arrays_alone(monkeypatch):
    arrays = {"coef": np.arange(6, dtype=np.float16).reshape(3, 2), "idf": np.ones(3)}
    first = npz_bytes(arrays)
    monkeypatch.setattr("time.time", lambda: 2_000_000_000.0)  # another day, another second
    assert npz_bytes(arrays) == first
    with np.load(io.BytesIO(first), allow_pickle=False) as loaded:
        np.testing.assert_array_equal(loaded["coef"], arrays["coef"])
        assert loaded["coef"].dtype == np.float16
