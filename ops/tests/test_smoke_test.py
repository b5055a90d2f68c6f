"""The post-deploy smoke test: where it sends the request, what it accepts, and a real local service."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ops import smoke_test
from ops.smoke_test import KNOWN_TEXT, Answer, SmokeTestError, Target, classify, main, resolve_target, verdict
from serving.app.contracts import api

# The name of a stage's key secret (not a secret itself).
SECRET_NAME = "text-classifier/dev/api-key"  # pragma: allowlist secret
GOOD = {
    "label": "rec.sport.hockey",
    "scores": {"rec.sport.hockey": 0.9},
    "model": {"version": "9a4160ca4caa"},
}
API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/dev/"


def _write_outputs(root, stage: str, **outputs: str) -> None:
    path = root / "infrastructure" / "cdk.out" / f"{stage}-outputs.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({f"TextClassifier-{stage}": outputs}), encoding="utf-8")


def _no_aws(key_id: str) -> str:
    raise AssertionError(f"AWS was asked for key {key_id}")


# --- where the request goes ------------------------------------------------------------------------------


def test_the_stage_outputs_give_the_url_and_the_key(tmp_path):
    _write_outputs(tmp_path, "dev", ServiceUrl=API_URL, ApiKeySecretName=SECRET_NAME)
    asked = []

    def fetch_key(key_id: str) -> str:
        asked.append(key_id)
        return "the-key-value"

    assert resolve_target("dev", None, None, tmp_path, fetch_key) == Target(API_URL, "the-key-value")
    assert asked == [SECRET_NAME]


def test_a_given_key_is_used_without_asking_aws(tmp_path):
    _write_outputs(tmp_path, "prod", ServiceUrl=API_URL, ApiKeySecretName=SECRET_NAME)
    assert resolve_target("prod", None, "given", tmp_path, _no_aws) == Target(API_URL, "given")


def test_a_url_needs_no_outputs_and_no_key(tmp_path):
    assert resolve_target("dev", "http://127.0.0.1:3000", None, tmp_path, _no_aws) == Target(
        "http://127.0.0.1:3000", None
    )


def test_missing_outputs_say_how_to_deploy_or_name_a_url(tmp_path):
    with pytest.raises(SmokeTestError, match=r"make deploy STAGE=prod.*URL="):
        resolve_target("prod", None, None, tmp_path, _no_aws)


def test_outputs_of_another_stack_are_refused(tmp_path):
    _write_outputs(tmp_path, "dev", ServiceUrl=API_URL)
    (tmp_path / "infrastructure/cdk.out/dev-outputs.json").rename(
        tmp_path / "infrastructure/cdk.out/prod-outputs.json"
    )
    with pytest.raises(SmokeTestError, match="no ServiceUrl output of stack TextClassifier-prod"):
        resolve_target("prod", None, None, tmp_path, _no_aws)


# --- what passes -----------------------------------------------------------------------------------------


def test_a_200_with_a_label_and_a_version_passes():
    assert verdict(Answer(200, GOOD)) == ("rec.sport.hockey", "9a4160ca4caa")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(200, {"label": "", "model": {"version": "v"}}), "without a label"),
        (Answer(200, {"label": "x"}), "without a label and a model version"),
        (Answer(200, "<html>hello</html>"), "<html>hello</html>"),
        (Answer(403, {"message": "Forbidden"}), 'HTTP 403: {"message": "Forbidden"}'),
        (Answer(None, None, "Connection refused"), "no answer: Connection refused"),
    ],
)
def test_anything_else_fails_saying_what_came_back(answer, reason):
    with pytest.raises(SmokeTestError, match=reason.replace("(", r"\(")):
        verdict(answer)


def _replay(*answers: Answer):
    remaining = iter(answers)
    return lambda target: next(remaining)


def test_transient_failures_are_retried_until_a_good_answer():
    sleeps = []
    result = smoke_test.smoke_test(
        Target(API_URL, "k"),
        attempts=5,
        retry_seconds=2.0,
        send=_replay(Answer(403, {"message": "Forbidden"}), Answer(None, None, "refused"), Answer(200, GOOD)),
        sleep=sleeps.append,
    )
    assert (result.label, result.version, result.attempts) == ("rec.sport.hockey", "9a4160ca4caa", 3)
    assert sleeps == [2.0, 2.0]


def test_retries_are_bounded():
    sleeps = []
    with pytest.raises(SmokeTestError, match=r"HTTP 503.*attempt 3 of 3"):
        smoke_test.smoke_test(
            Target(API_URL, "k"),
            attempts=3,
            retry_seconds=1.0,
            send=_replay(*[Answer(503, {"message": "Service Unavailable"})] * 3),
            sleep=sleeps.append,
        )
    assert sleeps == [1.0, 1.0]


def test_a_wrong_answer_is_not_retried():
    sleeps = []
    with pytest.raises(SmokeTestError, match=r"HTTP 400.*attempt 1 of 6"):
        smoke_test.smoke_test(
            Target(API_URL, None),
            send=_replay(Answer(400, {"error": {"code": "missing_field"}})),
            sleep=sleeps.append,
        )
    assert sleeps == []


# --- over HTTP -------------------------------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    """Answers every POST with the server's canned (status, body) and records what it was sent."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.requests.append((self.path, dict(self.headers), json.loads(self.rfile.read(length))))
        status, body = self.server.answer
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests, server.answer = [], (200, GOOD)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_request_carries_the_known_text_and_the_key(stub):
    answer = classify(Target(stub.url + "/", "the-key-value"))
    assert answer == Answer(200, GOOD)
    path, headers, body = stub.requests[0]
    assert path == api.CLASSIFY
    assert body == {"text": KNOWN_TEXT}
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Api-Key"] == "the-key-value"


def test_no_key_header_without_a_key(stub):
    classify(Target(stub.url, None))
    _, headers, _ = stub.requests[0]
    assert "X-Api-Key" not in headers


def test_cli_passes_and_appends_the_url_and_version_to_the_summary(stub, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("API_KEY", "from-the-environment")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier steps\n", encoding="utf-8")
    assert main(["--url", stub.url, "--summary", str(summary)]) == 0
    assert stub.requests[0][1]["X-Api-Key"] == "from-the-environment"
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier steps\n### Smoke test: URL")
    assert f"| URL | {stub.url} |" in text and "| model version | `9a4160ca4caa` |" in text
    out = capsys.readouterr().out
    assert "PASS" in out and "from-the-environment" not in out


def test_cli_fails_on_a_client_error_without_writing_a_summary(stub, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("API_KEY", raising=False)
    stub.answer = (404, {"error": {"code": "not_found"}})
    summary = tmp_path / "summary.md"
    assert main(["--url", stub.url, "--summary", str(summary)]) == 1
    assert "HTTP 404" in capsys.readouterr().err
    assert not summary.exists()


@pytest.mark.e2e
def test_against_the_real_local_service(tmp_path, monkeypatch, capsys):
    """The command a user runs against `make serve`: the image's files and a real model, served through
    the local API Gateway stand-in and the real Lambda runtime client, no API key."""
    from local_runtime.gateway import DEFAULT_CONTEXT, LocalGateway, Settings
    from serving.tests.artifact_export import bbc_news, export, train

    context = tmp_path / "app"  # the build context, with this test's model where the image keeps it
    shutil.copytree(DEFAULT_CONTEXT, context, ignore=shutil.ignore_patterns("data", "__pycache__"))
    texts, labels = bbc_news(per_class=30)
    export(*train(texts, labels, sublinear_tf=True), context / "data")
    manifest = json.loads((context / "data" / "model.json").read_text(encoding="utf-8"))
    monkeypatch.delenv("API_KEY", raising=False)
    summary = tmp_path / "summary.md"
    gateway = LocalGateway(Settings(context=context, port=0, workers=1))
    url = gateway.start()
    try:
        assert main(["--url", url, "--summary", str(summary)]) == 0
    finally:
        gateway.stop()
    assert f"| model version | `{manifest['version']}` |" in summary.read_text(encoding="utf-8")
    out = capsys.readouterr().out
    assert any(f"label {label!r}" in out for label in manifest["classes"]), out


def test_the_outputs_are_looked_up_in_this_repository():
    """`make deploy` writes infrastructure/cdk.out/<stage>-outputs.json inside the checkout."""
    from ops import stage

    assert (smoke_test.REPO_ROOT / "infrastructure" / "cdk.json").is_file()
    assert stage.REPO_ROOT == smoke_test.REPO_ROOT
