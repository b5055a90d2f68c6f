"""Model selection: folds that hold out later posts, candidates fitted as training fits, the report and
--apply; and never a look at the test split."""

import json

import numpy as np
import pytest
import yaml

from training import tune
from training.dataset import Dataset
from training.params import C_ESTIMATORS, ESTIMATORS, load_params
from training.pipeline import build_pipeline
from training.tests.corpus import LOGISTIC_REGRESSION, make_corpus, write_csv, write_params


def dataset(posting_order=None) -> Dataset:
    texts, labels = make_corpus(per_label=12, seed=21)
    return Dataset("generated", texts, labels, ["unused"], ["cooking"], train_posting_order=posting_order)


def test_posting_time_folds_hold_out_consecutive_blocks_of_each_label():
    rng = np.random.default_rng(0)
    order = rng.permutation(1000)[:36].tolist()
    data = dataset(order)
    folds = tune.cv_folds(data, 3, seed=1)
    labels = np.array(data.train_labels)
    assert sorted(np.concatenate([valid for _, valid in folds]).tolist()) == list(range(36))
    for k, (train, valid) in enumerate(folds):
        assert len(set(train) & set(valid)) == 0 and len(train) + len(valid) == 36
        for label in set(labels):
            held = sorted(np.array(order)[valid][labels[valid] == label])
            ranks = sorted(np.array(order)[labels == label])
            assert held == ranks[4 * k : 4 * k + 4]  # the k-th third of the label's posts, in time order


def test_without_posting_times_the_folds_are_stratified():
    data = dataset()
    folds = tune.cv_folds(data, 3, seed=1)
    labels = np.array(data.train_labels)
    for _, valid in folds:
        assert sorted(np.unique(labels[valid], return_counts=True)[1].tolist()) == [4, 4, 4]
    assert sorted(np.concatenate([valid for _, valid in folds]).tolist()) == list(range(36))


def test_candidates_are_validated():
    params = load_params()
    before = params["train"]["C"]
    assert tune.with_changes(params, {"train.C": before * 3})["train"]["C"] == before * 3
    assert params["train"]["C"] == before  # the current settings are left as they are
    with pytest.raises(ValueError, match=r"train\.C must be a positive number"):
        tune.with_changes(params, {"train.C": -1})


def test_every_candidate_in_the_search_is_valid():
    params = load_params()
    for changes in tune.candidates(params):
        tune.with_changes(params, changes)


@pytest.mark.parametrize(("estimator", "C"), [("linear_svc", 1.0), ("logistic_regression", 100.0)])
def test_the_search_scales_the_current_c_for_an_estimator_that_takes_it(estimator, C):
    params = with_estimator(estimator, C)
    searched = [changes["train.C"] for changes in tune.candidates(params) if list(changes) == ["train.C"]]
    assert searched == [round(C * factor, 6) for factor in tune.C_FACTORS] and len(searched) == 2
    assert all(value != C for value in searched)


def test_the_search_leaves_c_alone_for_an_estimator_that_ignores_it():
    for estimator in set(ESTIMATORS) - set(C_ESTIMATORS):
        assert not [c for c in tune.candidates(with_estimator(estimator, 1.0)) if list(c) == ["train.C"]]


def test_the_estimators_said_to_take_c_are_those_built_with_it():
    """C_ESTIMATORS, which the search reads, against what training.pipeline builds from train.C."""
    for estimator in ESTIMATORS:
        built = [repr(build_pipeline(with_estimator(estimator, C, analyzer="word"))) for C in (0.5, 2.0)]
        assert (built[0] != built[1]) == (estimator in C_ESTIMATORS), estimator


def with_estimator(estimator: str, C: float, analyzer: str | None = None) -> dict:
    params = load_params()
    params["train"] |= {"estimator": estimator, "C": C, "class_weight": None}
    if analyzer is not None:
        params["featurize"]["analyzer"] = analyzer
    return tune.validate_params(params)


def test_assignments_keep_text_as_is_and_write_other_values_as_scalars():
    assert tune.assignment("featurize.token_pattern", r"(?u)\w+") == r"featurize.token_pattern=(?u)\w+"
    assert tune.assignment("featurize.select_features", None) == "featurize.select_features=null"
    assert tune.assignment("train.C", 30.0) == "train.C=30.0"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    texts, labels = make_corpus(per_label=15, seed=8)
    data = write_csv(tmp_path / "topics.csv", texts, labels)
    params = write_params(
        tmp_path / "params.yaml", data={"source": str(data)}, train=LOGISTIC_REGRESSION | {"C": 0.01}
    )
    # A tiny search: a C so small the model barely learns, against a C that learns the topics.
    monkeypatch.setattr(tune, "CANDIDATES", [{"train.C": 0.01}, {"train.C": 10.0}])
    monkeypatch.setattr(tune, "C_FACTORS", ())
    return tmp_path, params


def test_search_reports_every_candidate_and_applies_the_best(workspace, capsys):
    tmp_path, params = workspace
    report = tmp_path / "tuning.json"
    assert tune.main(["--params", str(params), "--report", str(report), "--folds", "3", "--apply"]) == 0
    content = json.loads(report.read_text(encoding="utf-8"))
    assert [row["changes"] for row in content["rows"]] == [{}, {"train.C": 10.0}]  # C=0.01 is params.yaml
    assert {row["analyzer"] for row in content["rows"]} == {"word"}  # `auto`, resolved as training does
    assert content["scheme"] == "stratified, shuffled" and content["folds"] == 3
    assert all(len(row["fold_accuracies"]) == 3 for row in content["rows"])
    assert content["chosen"]["changes"] == {"train.C": 10.0}
    assert content["rows"][1]["cv_accuracy"] > content["rows"][0]["cv_accuracy"]
    assert yaml.safe_load(params.read_text(encoding="utf-8"))["train"]["C"] == 10.0
    output = capsys.readouterr().out
    assert "| train.C=10.0 |" in output and "(params.yaml)" in output


def test_without_apply_the_params_file_is_untouched(workspace):
    tmp_path, params = workspace
    before = params.read_text(encoding="utf-8")
    assert tune.main(["--params", str(params), "--report", str(tmp_path / "t.json")]) == 0
    assert params.read_text(encoding="utf-8") == before


def test_the_test_split_is_never_read(workspace, monkeypatch):
    tmp_path, params = workspace
    predicted = []
    original = tune.fit_pipeline

    def recording_fit(params, texts, labels):
        pipeline = original(params, texts, labels)
        predict = pipeline.predict
        pipeline.predict = lambda texts: predicted.extend(texts) or predict(texts)
        return pipeline

    monkeypatch.setattr(tune, "fit_pipeline", recording_fit)
    real_load = tune.load_dataset
    seen = {}

    def recording_load(*args):
        seen["dataset"] = real_load(*args)
        return seen["dataset"]

    monkeypatch.setattr(tune, "load_dataset", recording_load)
    assert tune.main(["--params", str(params), "--report", str(tmp_path / "t.json")]) == 0
    assert set(predicted) <= set(seen["dataset"].train_texts)
    assert not set(predicted) & set(seen["dataset"].test_texts)


def test_a_gain_smaller_than_the_noise_keeps_the_current_settings():
    current = {"changes": {}, "cv_accuracy": 0.8894}
    slightly_better = {"changes": {"featurize.min_df": 1}, "cv_accuracy": 0.8903}
    clearly_better = {"changes": {"train.C": 1.0}, "cv_accuracy": 0.9}
    assert tune.choose([current, slightly_better], min_gain=0.002) is current
    assert tune.choose([current, slightly_better], min_gain=0.0005) is slightly_better
    assert tune.choose([current, slightly_better, clearly_better], min_gain=0.002) is clearly_better


def test_the_search_lists_every_estimator_and_only_estimator_compares_them(tmp_path, capsys):
    """`make tune ONLY=train.estimator`: the current settings, then every other linear classifier params.yaml
    can name, each cross-validated as `make train` fits it (a calibrated one included)."""
    assert {changes["train.estimator"] for changes in tune.CANDIDATES if "train.estimator" in changes} == set(
        ESTIMATORS
    )
    texts, labels = make_corpus(per_label=15, seed=8)
    data = write_csv(tmp_path / "topics.csv", texts, labels)
    params = write_params(
        tmp_path / "params.yaml", data={"source": str(data)}, train={"class_weight": "balanced"}
    )
    report = tmp_path / "tuning.json"
    assert tune.main(["--params", str(params), "--report", str(report), "--only", "train.estimator"]) == 0
    rows = json.loads(report.read_text(encoding="utf-8"))["rows"]
    assert rows[0]["changes"] == {}
    others = [name for name in ESTIMATORS if name != load_params()["train"]["estimator"]]
    assert [row["changes"]["train.estimator"] for row in rows[1:]] == others
    for row in rows[1:]:
        naive_bayes = row["changes"]["train.estimator"].endswith("_nb")
        assert ("train.class_weight" in row["changes"]) == naive_bayes  # balanced is refused there
        assert row["cv_accuracy"] > 0.5  # three topics: each classifier learned them
    output = capsys.readouterr().out
    assert all(f"train.estimator={name!r}" in output for name in others)


@pytest.mark.parametrize(
    ("current", "best", "warned"),
    [
        ("word", "word+char_wb", True),
        ("word", "char_wb", True),
        ("word", "word", False),
        ("char_wb", "word+char_wb", False),  # the current model already pays for characters
        ("word+char_wb", "word", False),
    ],
)
def test_a_best_candidate_that_adds_characters_comes_with_their_per_request_cost(current, best, warned):
    notice = tune.character_cost_notice({"analyzer": current}, {"analyzer": best})
    assert (notice is not None) == warned
    if warned:
        assert best in notice and "every request" in notice and "make bench" in notice


def test_make_tune_prints_the_notice_when_it_names_a_character_candidate_best(workspace, monkeypatch, capsys):
    tmp_path, params = workspace
    monkeypatch.setattr(tune, "CANDIDATES", [{"featurize.analyzer": "char_wb"}])
    monkeypatch.setattr(tune, "choose", lambda rows, min_gain: rows[-1])  # as if characters had won
    assert tune.main(["--params", str(params), "--report", str(tmp_path / "t.json")]) == 0
    assert "note: char_wb adds character n-grams, which every request pays for" in capsys.readouterr().out
