"""The served model answers exactly as the scikit-learn pipeline that training evaluated.

`make train` saves that pipeline (training/model/pipeline.joblib, a DVC output; a pickle, loaded here
only because the test trusts its own training run) beside the artifact serving loads. Over the model's
whole held-out split (20 Newsgroups' official test split by default, or the hold-out of the data it was
trained on), the artifact must give the pipeline's labels and its probabilities within 1e-6, and each
label's explanation must add up to the pipeline's decision score within 1e-9.

It needs the trained model (`make train`, or `dvc pull`) and its data. Without them the test is skipped
with the reason; in CI (CI=true), which trains or pulls the model before testing, a missing piece is a
failure instead, so the test can never silently stop running there. Every test here unpickles (the
pipeline, or 20 Newsgroups' pickled cache), so they carry the `unpickles` marker: a deploy job, which
holds deploy credentials, leaves them out (`make test-artifact`) and never pulls the pipeline.

The committed model has the featurizer params.yaml names; the e2e test below trains a words + char_wb
model on 20 Newsgroups in the test session, so the character analyzers meet a real corpus's whole test
split (mail headers, signatures, ASCII art, runs of whitespace) whatever params.yaml chooses. It trains
on a third of the training split with character 2-4-grams to stay affordable.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from local_runtime.paths import APP_DIR, REPO_ROOT
from serving.app.artifact.loader import load_model

pytestmark = pytest.mark.unpickles

MODEL_DIR = APP_DIR / "data"
PIPELINE = REPO_ROOT / "training" / "model" / "pipeline.joblib"
TOLERANCE = 1e-6
EXPLAINED_TERMS = 10


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def trained_model():
    """(served model, trained pipeline, held-out texts), or a skip/failure saying what is missing."""
    from training.data_sources import DataError, load_dataset

    manifest_path = MODEL_DIR / "model.json"
    if not manifest_path.is_file() or not PIPELINE.is_file():
        unavailable(f"no trained model ({manifest_path}, {PIPELINE}): run `make train` or `dvc pull`")
    data = json.loads(manifest_path.read_text(encoding="utf-8"))["params"]["data"]
    try:
        dataset = load_dataset(data["source"], data["test_size"], data["seed"])
    except DataError as error:
        unavailable(f"the model's data ({data['source']}) cannot be loaded: {error}")
    import joblib

    return load_model(MODEL_DIR), joblib.load(PIPELINE), dataset.test_texts


def test_served_model_equals_the_pipeline_on_the_whole_held_out_split(trained_model):
    model, pipeline, texts = trained_model
    assert model.classifier.classes == [str(label) for label in pipeline.classes_]
    assert_serves_like(model, pipeline, texts)
    assert len(texts) > 0


def test_explanations_add_up_to_the_pipelines_decision_scores_on_the_whole_held_out_split(trained_model):
    model, pipeline, texts = trained_model
    assert_explains_like(model, pipeline, texts)


def assert_serves_like(model, pipeline, texts: list[str]) -> None:
    """The served model gives the pipeline's labels, and its probabilities within TOLERANCE, on `texts`."""
    expected_proba = pipeline.predict_proba(texts)
    served = model.classifier.classify(texts, top_k=len(model.classifier.classes))
    order = {label: i for i, label in enumerate(model.classifier.classes)}
    served_proba = np.zeros_like(expected_proba)
    for row, prediction in enumerate(served):
        for label, probability in prediction.scores:
            served_proba[row, order[label]] = probability
    assert [prediction.label for prediction in served] == [str(label) for label in pipeline.predict(texts)]
    assert np.abs(served_proba - expected_proba).max() <= TOLERANCE


def assert_explains_like(model, pipeline, texts: list[str]) -> None:
    """Each predicted label's intercept + contributions is the pipeline's decision score for it (for two
    classes, the second class's score or its negation) within 1e-9, and its terms are the text's
    EXPLAINED_TERMS largest contributions by the pipeline's own features and weights, largest first."""
    features = pipeline[:-1].transform(texts).tocsr()
    from training.families.linear_estimators import weights

    coef, intercept = weights(pipeline[-1])  # whichever linear classifier params.yaml names
    if coef.shape[0] == 1:  # binary: one row, for the second class; the first class's is its negation
        coef, intercept = np.vstack([-coef, coef]), np.array([-intercept[0], intercept[0]])
    decision = features @ coef.T + intercept
    explained = model.classifier.classify_explained(texts, top_k=1, n_terms=EXPLAINED_TERMS)
    # The pipeline's own names of its columns: serving must name each feature as scikit-learn does.
    names = [name for _, block in pipeline[0].transformer_list for name in block.get_feature_names_out()]
    for row, (prediction, explanation) in enumerate(explained):
        label_index = model.classifier.classes.index(prediction.label)
        assert abs(explanation.score - decision[row, label_index]) <= 1e-9, texts[row][:60]
        start, end = features.indptr[row], features.indptr[row + 1]
        indices = features.indices[start:end]
        contributions = features.data[start:end] * coef[label_index, indices]
        largest = sorted((-abs(c), i, c) for i, c in zip(indices, contributions, strict=True) if c)
        expected = [(names[i], c) for _, i, c in largest[:EXPLAINED_TERMS]]
        assert [term for term, _ in explanation.terms] == [term for term, _ in expected], texts[row][:60]
        listed = [contribution for _, contribution in explanation.terms]
        assert np.allclose(listed, [c for _, c in expected], rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def union_model_on_newsgroups(tmp_path_factory):
    """(served model, fitted pipeline, 20NG test texts) for a word + char_wb model trained here."""
    from training import newsgroups
    from training.data_sources import load_dataset
    from training.export import export_model
    from training.fit import fit_pipeline
    from training.params import load_params, validate_params

    if newsgroups.local_copy() is None:
        unavailable(
            "20 Newsgroups is not on this machine: run `make fetch-newsgroups` (or set SCIKIT_LEARN_DATA)"
        )
    dataset = load_dataset("20newsgroups", 0.2, 42)
    params = load_params()
    params["data"] |= {"source": "20newsgroups"}
    params["featurize"] |= {"analyzer": "word+char_wb", "char_ngram_range": [2, 4], "select_features": 30_000}
    params["train"] |= {"weights_dtype": "float16"}
    params = validate_params(params)
    train_texts, train_labels = dataset.train_texts[::3], dataset.train_labels[::3]
    pipeline = fit_pipeline(params, train_texts, train_labels)
    directory = Path(tmp_path_factory.mktemp("newsgroups_union"))
    export_model(pipeline, directory, {"data": {}, "metrics": {}, "params": params})
    return load_model(directory), pipeline, dataset.test_texts


@pytest.mark.e2e
def test_a_words_and_char_wb_model_equals_its_pipeline_on_the_whole_newsgroups_test_split(
    union_model_on_newsgroups,
):
    model, pipeline, texts = union_model_on_newsgroups
    blocks = [block["analyzer"] for block in model.description["settings"]["featurizer"]["blocks"]]
    assert blocks == ["word", "char_wb"]
    assert len(texts) == 7532
    assert_serves_like(model, pipeline, texts)
    assert_explains_like(model, pipeline, texts)
