"""The confidence map (training.confidence_map): held-out folds that keep groups together, features
refitted on each fold exactly as fitting on its documents alone would give them, and a map that makes
the top probability honest on texts from groups the model has never seen."""

import random

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from training.confidence_map import held_out_folds
from training.evaluate import probability_metrics
from training.families.linear_estimators import ConfidenceMapped
from training.fit import count_blocks, fit_pipeline, fit_selected_union, fold_features
from training.params import validate_params
from training.sources.twenty_newsgroups import thread
from training.tests.corpus import SHARED_WORDS, TOPIC_WORDS, make_corpus, repo_params

WORD = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "token_pattern": r"(?u)\w+"}
CHAR_WB = {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 2, "sublinear_tf": True}


def union(blocks: list[dict]) -> FeatureUnion:
    return FeatureUnion(
        [(f"block{k}", TfidfVectorizer(**block, dtype=np.float64)) for k, block in enumerate(blocks)]
    )


@pytest.mark.parametrize("blocks", [[WORD], [WORD, CHAR_WB], [WORD | {"min_df": 3}]])
@pytest.mark.parametrize("n_terms", [None, 40])
def test_a_folds_features_are_those_of_the_blocks_fitted_on_its_documents_alone(blocks, n_terms):
    texts, labels = make_corpus(per_label=25, seed=5)
    y = np.asarray(labels)
    train_rows, test_rows = np.arange(0, 75, 3), np.setdiff1d(np.arange(75), np.arange(0, 75, 3))
    train_rows, test_rows = test_rows, train_rows  # two thirds to fit on, one third held out
    everything = union(blocks)
    counts, _ = count_blocks(everything, texts)
    fold_train, fold_test = fold_features(
        [vectorizer for _, vectorizer in everything.transformer_list],
        counts,
        train_rows,
        test_rows,
        y,
        n_terms,
    )

    alone = union(blocks)
    expected_train = fit_selected_union(alone, [texts[i] for i in train_rows], list(y[train_rows]), n_terms)
    expected_test = alone.transform([texts[i] for i in test_rows])
    assert fold_train.shape == expected_train.shape and fold_test.shape == expected_test.shape
    assert np.abs(fold_train.toarray() - expected_train.toarray()).max() <= 1e-12
    assert np.abs(fold_test.toarray() - expected_test.toarray()).max() <= 1e-12


def test_the_held_out_folds_keep_each_group_together_and_every_label_in_each():
    y = np.array(["a", "b", "c"] * 40)
    groups = [f"thread{i // 4}" for i in range(len(y))]
    folds = held_out_folds(y, groups, seed=3)
    assert len(folds) == 5
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(len(y)))
    for train, test in folds:
        assert not {groups[i] for i in train} & {groups[i] for i in test}
        assert set(y[train]) == {"a", "b", "c"}


def test_there_are_no_more_folds_than_groups():
    y = np.array(["a", "b"] * 6)
    folds = held_out_folds(y, ["one", "two", "three"] * 4, seed=3)
    assert len(folds) == 3


def test_without_groups_the_folds_are_stratified_and_as_many_as_the_smallest_label_allows():
    y = np.array(["a"] * 30 + ["b"] * 3)
    folds = held_out_folds(y, None, seed=3)
    assert len(folds) == 3
    for _, test in folds:
        assert list(y[test]).count("b") == 1


def threads(n_threads: int, first: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """Texts in threads of five, a thread's messages sharing its own words (as replies quote each other)
    besides their label's words, which are a coin toss from the wrong label's two times in five."""
    rng = random.Random(seed)
    labels = list(TOPIC_WORDS)
    texts, targets, groups = [], [], []
    for number in range(first, first + n_threads):
        label = labels[number % len(labels)]
        own = [f"thread{number}word{k}" for k in range(4)]
        for _ in range(5):
            topic = [
                rng.choice(TOPIC_WORDS[label if rng.random() < 0.6 else rng.choice(labels)]) for _ in range(3)
            ]
            words = topic + rng.choices(SHARED_WORDS, k=5) + rng.sample(own, 3)
            rng.shuffle(words)
            texts.append(" ".join(words))
            targets.append(label)
            groups.append(f"thread{number}")
    return texts, targets, groups


def test_on_new_threads_the_map_fitted_on_grouped_folds_is_the_honest_one():
    """Held-out messages of known threads are easy (their thread's words give the label away), messages
    of new threads are not: one temperature, or a map fitted on shuffled folds, promises more than new
    threads deliver; the map fitted on folds that hold whole threads out comes closest."""
    train_texts, train_labels, groups = threads(60, first=0, seed=1)
    test_texts, test_labels, _ = threads(60, first=1000, seed=2)
    raw = repo_params()
    raw["featurize"] |= {"analyzer": "word", "select_features": None, "min_df": 1}
    raw["train"] |= {"estimator": "linear_svc"}
    results = {}
    for name, confidence_map, fold_groups in [
        ("temperature", False, groups),
        ("shuffled folds", True, None),
        ("thread folds", True, groups),
    ]:
        params = validate_params(raw | {"train": raw["train"] | {"confidence_map": confidence_map}})
        pipeline = fit_pipeline(params, train_texts, train_labels, fold_groups)
        probabilities = pipeline.predict_proba(test_texts)
        results[name] = probability_metrics(probabilities, list(pipeline.classes_), test_labels)["ece"]
        accuracy = np.mean(pipeline.predict(test_texts) == np.asarray(test_labels))
    assert 0.7 < accuracy < 0.9
    assert results["thread folds"] < results["shuffled folds"] - 0.02
    assert results["thread folds"] < results["temperature"] - 0.04


def test_only_estimators_calibrated_by_a_temperature_get_a_map_and_only_when_asked():
    texts, labels, groups = threads(30, first=0, seed=2)
    kinds = {}
    for estimator in ("linear_svc", "logistic_regression"):
        for confidence_map in (True, False):
            raw = repo_params()
            raw["featurize"] |= {"analyzer": "word", "select_features": None, "min_df": 1}
            raw["train"] |= {"estimator": estimator, "confidence_map": confidence_map}
            classifier = fit_pipeline(validate_params(raw), texts, labels, groups)[-1]
            kinds[estimator, confidence_map] = type(classifier)
    assert kinds["linear_svc", True] is ConfidenceMapped
    assert kinds["linear_svc", False] is CalibratedClassifierCV
    assert ConfidenceMapped not in (kinds["logistic_regression", True], kinds["logistic_regression", False])


def test_the_map_rises_and_never_promises_certainty():
    texts, labels, groups = threads(30, first=0, seed=4)
    raw = repo_params()
    raw["featurize"] |= {"analyzer": "word", "select_features": None, "min_df": 1}
    raw["train"] |= {"estimator": "linear_svc", "confidence_map": True}
    mapped = fit_pipeline(validate_params(raw), texts, labels, groups)[-1]
    top, calibrated = np.array(mapped.top_probability), np.array(mapped.calibrated_probability)
    assert len(top) >= 2 and (np.diff(top) > 0).all() and (np.diff(calibrated) >= 0).all()
    assert calibrated[0] >= 0 and calibrated[-1] <= len(texts) / (len(texts) + 1)


def test_a_model_right_at_one_confidence_on_every_held_out_document_keeps_its_temperature(capsys):
    texts, labels = make_corpus(per_label=30, seed=4)  # each label's words give it away
    raw = repo_params()
    raw["featurize"] |= {"analyzer": "word", "select_features": None}
    raw["train"] |= {"estimator": "linear_svc", "confidence_map": True}
    classifier = fit_pipeline(validate_params(raw), texts, labels)[-1]
    assert isinstance(classifier, CalibratedClassifierCV)
    assert "confidence map: none, one level of confidence" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Subject: Re: Re[2]: FWD: Clipper  chip\n", "clipper chip"),
        ("subject: was: Orbit of the moon\n", "orbit of the moon"),
        ("Subject: Re:\n", ""),
        ("From: someone\n", ""),
    ],
)
def test_a_newsgroup_messages_thread_is_its_subject_without_reply_prefixes(header, expected):
    assert thread(f"From: a@b.c\n{header}Lines: 3\n\nbody Subject: not this\n") == expected
