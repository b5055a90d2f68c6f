"""Train the reference system's recipe on 20 Newsgroups, for `make bench` to measure beside this project.

    python -m bench.reference OUT_DIR

TF-IDF (1-2-grams, min_df=30, sublinear tf) + LogisticRegressionCV() with scikit-learn's defaults,
saved as OUT_DIR/model.joblib.gz (joblib, compress=9), as the reference shipped it. Writes the same
test metrics this project reports to OUT_DIR/metrics.json.
"""

import json
import sys
import time
from pathlib import Path

import joblib
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.pipeline import Pipeline

from training.evaluate import classification_metrics
from training.sources.twenty_newsgroups import load_twenty_newsgroups

MODEL_NAME = "model.joblib.gz"


def reference_pipeline() -> Pipeline:
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=30, sublinear_tf=True)
    return Pipeline([("tfidf", vectorizer), ("clf", LogisticRegressionCV())])


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = load_twenty_newsgroups()
    started = time.perf_counter()
    pipeline = reference_pipeline().fit(dataset.train_texts, dataset.train_labels)
    fit_seconds = time.perf_counter() - started
    joblib.dump(pipeline, out_dir / MODEL_NAME, compress=9)
    labels = dataset.labels
    scores = classification_metrics(dataset.test_labels, list(pipeline.predict(dataset.test_texts)), labels)
    stripped = classification_metrics(
        dataset.stripped_test_labels, list(pipeline.predict(dataset.stripped_test_texts)), labels
    )
    metrics = {
        "accuracy": scores["accuracy"],
        "stripped_accuracy": stripped["accuracy"],
        "macro_f1": scores["macro_f1"],
        "fit_seconds": fit_seconds,
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"reference: accuracy {metrics['accuracy']:.4f}, fit {fit_seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
