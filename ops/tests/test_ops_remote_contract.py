"""`make test-remote`: the contract suite passes against the local service and fails when it drifts."""

import copy
import http.server
import json
import threading
from typing import ClassVar

import pytest

from local_runtime.child_service import child_service
from local_runtime.logs import ServiceLog
from ops import remote_contract
from ops.api_diff import OPENAPI_DOCUMENT, REPO_ROOT
from ops.remote_contract import Client, Contract, Suite, run
from serving.app.contracts import api
from serving.tests.artifact_export import NEWS_MODEL_SETTINGS, bbc_news, export, train

DOCUMENT = json.loads((REPO_ROOT / OPENAPI_DOCUMENT).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def service_url(tmp_path_factory):
    """`make serve`'s local runtime with a real 5-class BBC News model."""
    texts, labels = bbc_news(per_class=60)
    vectorizer, classifier = train(texts, labels, **NEWS_MODEL_SETTINGS)
    model_dir = export(vectorizer, classifier, tmp_path_factory.mktemp("model"))
    with child_service(model_dir=model_dir, workers=1, log=ServiceLog()) as url:
        yield url


def test_the_suite_passes_against_the_local_service(service_url, capsys, tmp_path):
    summary = tmp_path / "summary.md"
    assert remote_contract.main(["--url", service_url, "--summary", str(summary)]) == 0
    output = capsys.readouterr().out.splitlines()
    assert len(output) == len(Suite(Contract(DOCUMENT), Client(service_url, None)).checks())
    assert all(line.startswith("PASS") for line in output), output
    assert summary.read_text(encoding="utf-8").count("| pass |") == len(output)


def test_the_error_checks_cover_every_client_mistake_status():
    """400, 404, 405, 413, 415, 422 locally; with an API key also the 403 of a request without it."""
    suite = Suite(Contract(DOCUMENT), Client("http://127.0.0.1:9", "key"))
    statuses = {status for _, _, allowed in suite.error_cases() for status, _ in allowed}
    assert statuses == {400, 403, 404, 405, 413, 415, 422}


def run_with(document: dict, url: str) -> dict[str, str | None]:
    return dict(run(Suite(Contract(document), Client(url, None)), write=lambda line: None))


def test_a_service_that_drifted_from_the_document_fails(service_url):
    document = copy.deepcopy(DOCUMENT)
    response = document["components"]["schemas"]["ClassifyResponse"]
    response["properties"]["confidence"] = {"type": "number"}
    response["required"].append("confidence")
    results = run_with(document, service_url)
    assert "this commit's" in results["GET openapi document: this commit's"]
    assert "is not valid under any of the given schemas" in results["POST classify: one text"]
    assert results["GET model: version and classes"] is None


def test_a_changed_error_code_and_a_wrong_label_fail(service_url, monkeypatch):
    document = copy.deepcopy(DOCUMENT)
    codes = document["components"]["responses"]["UnprocessableEntity"]["content"]["application/json"][
        "schema"
    ]
    codes["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"] = ["invalid_type"]
    monkeypatch.setattr(
        remote_contract, "CLASSIFICATION_CASES", (("The striker scored twice", r"^politics$"),)
    )
    results = run_with(document, service_url)
    assert (
        "is not one of ['invalid_type']"
        in results["errors: documented status and code for each client mistake"]
    )
    assert "expected a class matching '^politics$'" in results["POST classify: known texts get their class"]


def test_no_service_is_a_clear_failure(capsys):
    from local_runtime.child_service import free_port

    assert remote_contract.main(["--url", f"http://127.0.0.1:{free_port()}"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  GET model: version and classes: no answer from" in out


class KeyCheckingGateway(http.server.BaseHTTPRequestHandler):
    """API Gateway's part that the local runtime lacks: 403 invalid_api_key without the stage's key."""

    seen_keys: ClassVar[list[str | None]] = []

    def do_GET(self):
        key = self.headers.get("x-api-key")
        KeyCheckingGateway.seen_keys.append(key)
        status, body = (
            (200, {}) if key == "the-key" else (403, {"error": {"code": "invalid_api_key", "message": "m"}})
        )
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_with_an_api_key_every_request_carries_it_except_the_one_that_checks_it_is_needed():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KeyCheckingGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        suite = Suite(Contract(DOCUMENT), Client(url, "the-key"))
        [(_, send, allowed)] = [case for case in suite.error_cases() if case[0] == "no API key"]
        answer = send()
        assert (answer.status, answer.body["error"]["code"]) in allowed
        assert Client(url, "the-key").send("GET", api.MODEL).status == 200
        assert KeyCheckingGateway.seen_keys == [None, "the-key"]
    finally:
        server.shutdown()
        server.server_close()
