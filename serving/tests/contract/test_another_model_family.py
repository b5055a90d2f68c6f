"""A new model family plugs in through the classifier protocol and serves end to end through the handler.

The keyword family of serving/tests/toy_family (throw-away: nothing outside this test registers it) is
added with one registry line on each side, as docs/use-another-model.md describes: training's exporter
writes its artifact (kind "toy-keywords"), and the real handler, in a fresh interpreter as Lambda's
init runs it, loads that artifact through serving's registry and answers every route within the OpenAPI
document, predicting exactly what the fitted model predicts.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from serving.app.contracts import api, artifact
from serving.tests.apigw_events import rest_event
from serving.tests.artifact_export import bbc_news
from serving.tests.openapi_document import assert_documented_answer
from serving.tests.toy_family import serving_side, training_side
from training.export import export_model
from training.families import registry as training_registry

METADATA = {
    "data": {"source": "bbc-news", "train_documents": 150, "test_documents": 0},
    "metrics": {"accuracy": 0.0, "macro_f1": 0.0, "baseline_accuracy": 0.0},
    "params": {},
}

# A fresh interpreter imports the handler, as Lambda's init does, after the registry line a family adds
# (argv[1] says whether to add it); then it answers the events of argv[2] into the file argv[3].
_SERVE = """
import json, sys
if sys.argv[1] == "register":
    from serving.app.families.registry import FAMILIES
    from serving.tests.toy_family import serving_side
    FAMILIES[serving_side.KIND] = serving_side
from serving.app import handler

class Context:
    aws_request_id = "toy-family"

with open(sys.argv[2], encoding="utf-8") as stream:
    events = json.load(stream)
answers = [handler.lambda_handler(event, Context()) for event in events]
with open(sys.argv[3], "w", encoding="utf-8") as stream:
    json.dump(answers, stream)
"""


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str], list[str]]:
    """Training texts and labels (30 BBC articles per class), and 4 unseen articles per class."""
    texts, labels = bbc_news(per_class=34)
    seen = [i for i in range(len(texts)) if i % 34 < 30]
    unseen = [texts[i] for i in range(len(texts)) if i % 34 >= 30]
    return [texts[i] for i in seen], [labels[i] for i in seen], unseen


@pytest.fixture(scope="module")
def exported(corpus, tmp_path_factory) -> tuple[training_side.KeywordModel, Path]:
    """The fitted keyword model, exported by training's own exporter once its family is registered."""
    texts, labels, _ = corpus
    model = training_side.KeywordModel().fit(texts, labels)
    directory = tmp_path_factory.mktemp("toy_model")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training_registry, "FAMILIES", [*training_registry.FAMILIES, training_side])
        export_model(model, directory, METADATA)
    return model, directory


def serve(model_dir: Path, events: list[dict], tmp_path: Path, register: bool = True):
    """The handler's answers to ``events``, with the family registered (or not); the process result."""
    events_path, answers_path = tmp_path / "events.json", tmp_path / "answers.json"
    events_path.write_text(json.dumps(events), encoding="utf-8")
    env = {**os.environ, "MODEL_DIR": str(model_dir), "AWS_EMF_ENVIRONMENT": "Local"}
    command = [
        sys.executable,
        "-c",
        _SERVE,
        "register" if register else "no",
        str(events_path),
        str(answers_path),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    answers = json.loads(answers_path.read_text(encoding="utf-8")) if result.returncode == 0 else None
    return answers, result


def test_the_exporter_writes_the_familys_kind_settings_and_arrays(exported):
    model, directory = exported
    manifest = json.loads((directory / artifact.MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["format_version"] == artifact.FORMAT_VERSION
    assert manifest["kind"] == serving_side.KIND
    assert manifest["classes"] == model.classes_
    assert manifest["settings"] == {"lowercase": True}


def test_the_registered_family_serves_every_route_through_the_handler(exported, corpus, tmp_path):
    model, directory = exported
    _, _, unseen = corpus
    events = [
        rest_event("POST", api.CLASSIFY, json.dumps({"text": unseen[0], "top_k": 2})),
        rest_event("POST", api.CLASSIFY, json.dumps({"texts": unseen, "top_k": 1})),
        rest_event("POST", api.CLASSIFY, json.dumps({"texts": unseen[:3], "explain": 3})),
        rest_event("GET", api.MODEL),
        rest_event("POST", api.CLASSIFY, json.dumps({"text": "  "})),
    ]
    answers, result = serve(directory, events, tmp_path)
    assert answers is not None, result.stderr[-2000:]
    for event, answer in zip(events, answers, strict=True):
        assert_documented_answer(
            event["path"], event["httpMethod"], answer["statusCode"], json.loads(answer["body"])
        )
    single, batch, explained, described, blank = (json.loads(answer["body"]) for answer in answers)

    assert single["label"] == model.predict(unseen[:1])[0] and len(single["scores"]) == 2
    assert [item["label"] for item in batch["predictions"]] == model.predict(unseen)
    assert [item["label"] for item in batch["predictions"]] != [model.classes_[0]] * len(unseen)  # it learned
    for item, text in zip(explained["predictions"], unseen[:3], strict=True):
        explanation = item["explanation"]
        assert explanation["label"] == item["label"]
        assert {term["term"] for term in explanation["terms"]} <= set(text.lower().split())
        assert all(
            model.owners_[term["term"]] == model.classes_.index(item["label"])
            for term in explanation["terms"]
        )
    assert described["kind"] == serving_side.KIND and described["settings"] == {"lowercase": True}
    assert described["classes"] == model.classes_ and described["format_version"] == artifact.FORMAT_VERSION
    assert blank["error"]["code"] == "empty_text"  # the API's own rules do not depend on the family


def test_without_its_registry_line_the_kind_stops_the_init_naming_it(exported, tmp_path):
    _, directory = exported
    answers, result = serve(directory, [], tmp_path, register=False)
    assert answers is None and result.returncode != 0
    assert f"kind '{serving_side.KIND}' is not served by this code" in result.stderr
    assert "ModelLoadError" in result.stderr
