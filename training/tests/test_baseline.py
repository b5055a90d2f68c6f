"""The model-quality baseline: the served model's own quality figures on held-out texts, in model.json."""

import json

import numpy as np
import pytest

from serving.app.artifact.loader import load_model
from serving.app.artifact.manifest import ModelLoadError
from serving.app.contracts import metrics as names
from serving.app.contracts.artifact import BASELINE_PERCENTILES
from serving.tests.artifact_export import bbc_news, export, train
from training import baseline


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    texts, labels = bbc_news(per_class=8)
    return export(*train(texts, labels), tmp_path_factory.mktemp("baseline_model"))


HELD_OUT = [
    "The striker scored twice before half time",
    "Shares in the bank fell after the results",
    "The new phone has a faster chip and a better camera",
    "Parliament voted on the budget late last night",
    "zzzz qqqq",
    "The film won three awards at the festival",
]


def test_the_baseline_summarizes_what_the_served_model_reports_per_text(model_dir):
    measured = baseline.measure(model_dir, HELD_OUT)
    served = load_model(model_dir).classifier.classify(HELD_OUT, 1)
    per_text = {
        names.LABEL_PROBABILITY: [p.quality.probability for p in served],
        names.LABEL_MARGIN: [p.quality.margin for p in served],
        names.VOCABULARY_COVERAGE: [p.quality.coverage for p in served],
        names.TEXT_CHARACTERS: [len(text) for text in HELD_OUT],
    }
    assert measured["documents"] == len(HELD_OUT)
    assert set(measured["quantiles"]) == set(names.QUALITY_FIELDS)
    for name, values in per_text.items():
        expected = np.quantile(values, list(BASELINE_PERCENTILES.values()))
        assert list(measured["quantiles"][name]) == list(BASELINE_PERCENTILES)
        assert list(measured["quantiles"][name].values()) == pytest.approx(expected, abs=0.5e-4)
    labels = [p.label for p in served]
    assert measured["label_shares"] == {
        label: round(labels.count(label) / len(labels), 4)
        for label in load_model(model_dir).classifier.classes
    }
    assert min(per_text[names.VOCABULARY_COVERAGE]) == 0.0  # "zzzz qqqq": no word the model knows


def test_the_baseline_goes_into_model_json_and_get_model_without_changing_the_version(model_dir, tmp_path):
    for name in ("model.json", "model.npz"):
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    measured = baseline.measure(tmp_path, HELD_OUT)
    before = load_model(tmp_path).version
    baseline.write_into(tmp_path / "model.json", measured)
    model = load_model(tmp_path)
    assert model.version == before
    assert model.description["baseline"] == measured


@pytest.mark.parametrize(
    "broken",
    [
        "not an object",
        {"documents": 0, "quantiles": {}, "label_shares": {}},
        "drop a metric",
        "a share above one",
        "an unknown label",
        "a missing percentile",
    ],
)
def test_a_malformed_baseline_fails_the_load_naming_it(model_dir, tmp_path, broken):
    for name in ("model.json", "model.npz"):
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    measured = baseline.measure(tmp_path, HELD_OUT)
    if broken == "drop a metric":
        del measured["quantiles"][names.LABEL_MARGIN]
    elif broken == "a share above one":
        measured["label_shares"][next(iter(measured["label_shares"]))] = 1.5
    elif broken == "an unknown label":
        measured["label_shares"]["weather"] = 0.0
    elif broken == "a missing percentile":
        del measured["quantiles"][names.LABEL_PROBABILITY]["p50"]
    else:
        measured = broken
    baseline.write_into(tmp_path / "model.json", measured)
    with pytest.raises(ModelLoadError, match="'baseline' must be"):
        load_model(tmp_path)


def test_no_held_out_text_is_refused(model_dir):
    with pytest.raises(ValueError, match="at least one held-out text"):
        baseline.measure(model_dir, [])


def test_model_json_stays_readable_json(model_dir, tmp_path):
    for name in ("model.json", "model.npz"):
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    baseline.write_into(tmp_path / "model.json", baseline.measure(tmp_path, HELD_OUT))
    document = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    assert (tmp_path / "model.json").stat().st_mode & 0o644 == 0o644
    assert document["version"] == load_model(tmp_path).version
