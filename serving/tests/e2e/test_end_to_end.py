"""End to end: train a real model with the training CLI, serve it through the local Lambda runtime, ask
it over HTTP — the path a user's request takes, with nothing replaced by a stand-in but API Gateway.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from local_runtime.child_service import child_service
from local_runtime.client import request_json as http_request
from local_runtime.paths import REPO_ROOT
from serving.app.contracts import api
from training.data_sources import load_dataset
from training.params import load_params
from training.sources.bbc_news import NAME as BBC_NEWS

HELD_OUT_SAMPLE = 120
JSON = {"Content-Type": "application/json"}

pytestmark = pytest.mark.e2e


def _train(data: str, workdir: Path) -> Path:
    """Runs the real training CLI; returns the folder holding model.npz + model.json."""
    model_dir, reports_dir = workdir / "model", workdir / "reports"
    command = [sys.executable, "-m", "training", "--data", data]
    command += ["--out-dir", str(model_dir), "--reports-dir", str(reports_dir)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "exporting" in result.stdout and "total:" in result.stdout  # progress is printed
    return model_dir


@pytest.fixture(scope="module")
def bbc_service(tmp_path_factory):
    model_dir = _train(BBC_NEWS, tmp_path_factory.mktemp("bbc"))
    with child_service(model_dir=model_dir) as base_url:
        yield base_url, json.loads((model_dir / "model.json").read_text())


@pytest.fixture(scope="module")
def held_out_articles():
    data = load_params()["data"]
    dataset = load_dataset(BBC_NEWS, data["test_size"], data["seed"])
    pairs = list(zip(dataset.test_texts, dataset.test_labels, strict=True))
    return random.Random(7).sample(pairs, HELD_OUT_SAMPLE)


def test_model_route_describes_the_served_model(bbc_service):
    base_url, metadata = bbc_service
    status, body = http_request(base_url, "GET", api.MODEL)
    assert status == 200
    assert body["version"] == metadata["version"]
    assert body["classes"] == ["business", "entertainment", "politics", "sports", "tech"]


def test_batch_of_held_out_articles_is_labelled_correctly(bbc_service, held_out_articles):
    base_url, metadata = bbc_service
    texts = [text for text, _ in held_out_articles]
    status, body = http_request(base_url, "POST", api.CLASSIFY, {"texts": texts})
    assert status == 200
    assert body["model"]["version"] == metadata["version"]
    predicted = [prediction["label"] for prediction in body["predictions"]]
    correct = sum(p == label for p, (_, label) in zip(predicted, held_out_articles, strict=True))
    # TF-IDF + logistic regression separates BBC News' five desks almost perfectly.
    assert correct / len(texts) >= 0.93


def test_single_requests_agree_with_the_batch(bbc_service, held_out_articles):
    base_url, _ = bbc_service
    sample = [text for text, _ in held_out_articles[:5]]
    _, batch = http_request(base_url, "POST", api.CLASSIFY, {"texts": sample})
    for text, expected in zip(sample, batch["predictions"], strict=True):
        status, single = http_request(base_url, "POST", api.CLASSIFY, {"text": text, "top_k": 2})
        assert status == 200
        assert single["label"] == expected["label"]
        assert len(single["scores"]) == 2
        assert max(single["scores"].values()) == pytest.approx(expected["scores"][single["label"]])


def test_a_sports_report_is_sport(bbc_service):
    base_url, _ = bbc_service
    text = "The Seattle Seahawks crushed the Cleveland Browns on Thursday 52-7 in the league match"
    status, body = http_request(base_url, "POST", api.CLASSIFY, {"text": text})
    assert (status, body["label"]) == (200, "sports")


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "code"),
    [
        ("POST", api.CLASSIFY, b"{", JSON, 400, "malformed_json"),
        ("POST", api.CLASSIFY, b'{"text": ""}', JSON, 400, "empty_text"),
        ("POST", api.CLASSIFY, b'{"text": 42}', JSON, 422, "invalid_type"),
        ("POST", api.CLASSIFY, b"text=hello", {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        ("POST", api.CLASSIFY, b'{"text": "' + b"a" * 2_000_000 + b'"}', JSON, 413, "body_too_large"),
        ("GET", "/nope", None, {}, 404, "not_found"),
        ("DELETE", api.CLASSIFY, None, {}, 405, "method_not_allowed"),
    ],
)
def test_client_mistakes_get_4xx_with_a_json_reason(bbc_service, method, path, body, headers, status, code):
    base_url, _ = bbc_service
    got_status, got_body = http_request(base_url, method, path, raw_body=body, headers=headers)
    assert (got_status, got_body["error"]["code"]) == (status, code)
    assert got_body["error"]["message"]
    assert "Traceback" not in json.dumps(got_body)


def test_a_users_own_csv_trains_and_serves_its_labels(tmp_path):
    """`make train DATA=my.csv`: the user's labels, not the corpus's, come back from the service."""
    desks = {"business": "money", "sports": "games", "tech": "gadgets"}
    dataset = load_dataset(BBC_NEWS, 0.2, 42)
    pairs = zip(dataset.train_texts, dataset.train_labels, strict=True)
    rows = [(text, desks[label]) for text, label in pairs if label in desks]
    csv_path = tmp_path / "my data.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    model_dir = _train(str(csv_path), tmp_path)
    with child_service(model_dir=model_dir) as base_url:
        status, body = http_request(base_url, "GET", api.MODEL)
        assert (status, body["classes"]) == (200, sorted(desks.values()))
        text = "Shares in the bank fell after profits dropped and investors worried about the economy"
        status, body = http_request(base_url, "POST", api.CLASSIFY, {"text": text})
        assert (status, body["label"]) == (200, "money")
