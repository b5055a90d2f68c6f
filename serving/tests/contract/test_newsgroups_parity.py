"""The served 20 Newsgroups model answers exactly as the scikit-learn pipeline that training evaluated.

`make train` saves that pipeline (training/model/pipeline.joblib, a DVC output; a pickle, loaded here
only because the test trusts its own training run) beside the artifact serving loads. Over the whole
20NG test split, the artifact must give the pipeline's labels and its probabilities within 1e-6.

It needs the trained 20NG model and the 20NG data in scikit-learn's cache (SCIKIT_LEARN_DATA, or its
default folder). Without them the test is skipped with the reason; in CI (CI=true), which trains on 20NG
(or pulls the model) before testing, a missing piece is a failure instead, so the test can never
silently stop running there.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from model_artifact import load_model

REPO_ROOT = Path(__file__).resolve().parents[3]
MODEL_DIR = REPO_ROOT / "serving" / "app" / "data"
PIPELINE = REPO_ROOT / "training" / "model" / "pipeline.joblib"
TOLERANCE = 1e-6


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def newsgroups_model():
    """(served model, trained pipeline), or a skip/failure saying what is missing."""
    from training.data_sources import twenty_newsgroups_available

    if not twenty_newsgroups_available():
        unavailable("set SCIKIT_LEARN_DATA to a folder holding 20news-bydate_py3.pkz to check 20NG parity")
    manifest_path = MODEL_DIR / "model.json"
    if not manifest_path.is_file() or not PIPELINE.is_file():
        unavailable(f"no trained model ({manifest_path}, {PIPELINE}): run `make train` on 20newsgroups")
    if json.loads(manifest_path.read_text(encoding="utf-8"))["data"]["source"] != "20newsgroups":
        unavailable("the trained model is not the 20newsgroups one: run `make train DATA=20newsgroups`")
    import joblib

    return load_model(MODEL_DIR), joblib.load(PIPELINE)


def test_served_model_equals_the_pipeline_on_the_whole_test_split(newsgroups_model):
    from training.data_sources import load_twenty_newsgroups

    model, pipeline = newsgroups_model
    assert model.classifier.classes == [str(label) for label in pipeline.classes_]
    texts = load_twenty_newsgroups().test_texts
    expected_proba = pipeline.predict_proba(texts)
    expected_labels = pipeline.predict(texts)
    served = model.classifier.classify(texts, top_k=len(model.classifier.classes))
    order = {label: i for i, label in enumerate(model.classifier.classes)}
    served_proba = np.zeros_like(expected_proba)
    for row, prediction in enumerate(served):
        for label, probability in prediction.scores:
            served_proba[row, order[label]] = probability
    assert [prediction.label for prediction in served] == list(expected_labels)
    assert np.abs(served_proba - expected_proba).max() <= TOLERANCE
    assert len(texts) == 7532
