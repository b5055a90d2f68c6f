"""`make test-remote STAGE=dev` (or URL=... [API_KEY=...]): the API's contract, checked on a running service.

The smoke test proves one request works; this suite holds a deployed stage (or `make serve`) to the
repository's OpenAPI document: every route, the documented error codes and a few classification cases.
Each answer's body is validated against the document's schema for its operation and status, so a stage
whose gateway, image or model drifted from the document fails here rather than in a client.

It finds the service the way the smoke test does (the stage's outputs and API key; URL and API_KEY
override them) and the routes by operationId, so versioned or moved paths need no change here. It sends
about 20 small requests; nothing is written. Where API Gateway validates a body before the handler (a
deployed stage) its answer is `400 invalid_body`; the local runtime has no validator and the handler
answers with its own, more specific code: both are accepted.

    python -m ops.remote_contract [--stage dev] [--url URL] [--summary FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

from ops.api_diff import OPENAPI_DOCUMENT, REPO_ROOT
from ops.stage import StageError, smoke_test
from serving.app.contracts.request_schema import request_shapes

REQUEST_TIMEOUT_SECONDS = 30
GATEWAY_VALIDATION = (400, "invalid_body")
# Texts whose label any model of this project should get right: a pattern that matches the class name in
# each data set it is trained on (20 Newsgroups' rec.sport.*, comp.*, talk.politics.*; BBC News' sports,
# tech, politics). Checked against the committed 20 Newsgroups model and the tests' BBC News model.
CLASSIFICATION_CASES: tuple[tuple[str, str], ...] = (
    ("The goalkeeper saved a penalty in the final minute and the team won the championship game", r"sport"),
    (
        "The new graphics card driver crashes the computer when the software loads; the processor and "
        "memory chips are fine, so I reinstalled the operating system and the hard disk drivers",
        r"comp\.|tech",
    ),
    (
        "The government minister said the election and the new tax law will be debated by parliament",
        r"politic",
    ),
)


class ContractFailure(AssertionError):
    """An answer the document does not allow; the message shows what came back."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def as_draft_4(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as draft-04 (`anyOf` with null), the one keyword jsonschema lacks."""
    if isinstance(node, list):
        return [as_draft_4(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: as_draft_4(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") is True else converted


class Contract:
    """The repository's document: routes by operationId, and the schema of each documented answer."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self._root = as_draft_4(document)

    def route(self, operation_id: str) -> tuple[str, str]:
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                    return method.upper(), path
        raise ContractFailure(f"the document has no operation {operation_id!r}")

    def limit(self, field: str, keyword: str) -> int:
        """A request limit as the document states it (e.g. text's maxLength)."""
        for shape in request_shapes(self.document):
            prop = (shape.get("properties") or {}).get(field)
            if prop and keyword in prop:
                return prop[keyword]
        raise ContractFailure(f"the document states no {keyword} for {field}")

    def check(self, operation_id: str, answer: Answer, status: int) -> None:
        """The answer has `status` and a body valid against the document's schema for it."""
        method, path = self.route(operation_id)
        if answer.status != status:
            raise ContractFailure(
                f"{method} {path}: expected {status}, got {answer.status}: {_shown(answer.body)}"
            )
        self.validate(operation_id, answer)

    def validate(self, operation_id: str, answer: Answer) -> None:
        method, path = self.route(operation_id)
        responses = self.document["paths"][path][method.lower()]["responses"]
        if str(answer.status) in responses:
            pointer = responses[str(answer.status)].get("$ref") or "/".join(
                [
                    "#/paths",
                    path.replace("~", "~0").replace("/", "~1"),
                    method.lower(),
                    "responses",
                    str(answer.status),
                ]
            )
            schema_ref = f"{pointer}/content/application~1json/schema"
        elif answer.status >= 400:
            schema_ref = "#/components/schemas/Error"  # e.g. 404 and 405, which every route may answer
        else:
            raise ContractFailure(
                f"{method} {path} answered {answer.status}, which the document does not list"
            )
        # Draft-04 ignores a $ref's siblings, so the whole document can be the root the pointer resolves in.
        errors = [
            e.message for e in Draft4Validator({**self._root, "$ref": schema_ref}).iter_errors(answer.body)
        ]
        if errors:
            raise ContractFailure(
                f"{method} {path} {answer.status} does not match the document: {errors[:3]}"
            )


def _shown(body: Any) -> str:
    return json.dumps(body)[:300] if not isinstance(body, str) else body[:300]


class Client:
    """HTTP to one service, with its API key unless told otherwise; every outcome becomes an Answer."""

    def __init__(self, url: str, api_key: str | None) -> None:
        self.url, self.api_key = url.rstrip("/"), api_key

    def send(
        self,
        method: str,
        path: str,
        body: object = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
        with_key: bool = True,
    ) -> Answer:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if self.api_key and with_key:
            request.add_header("x-api-key", self.api_key)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                return Answer(response.status, dict(response.headers), _json(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), _json(error.read()))
        except (urllib.error.URLError, OSError) as error:
            raise ContractFailure(
                f"no answer from {self.url}{path}: {getattr(error, 'reason', error)}"
            ) from None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


class Suite:
    """The checks, in order; later ones use what /model said (classes and version)."""

    def __init__(self, contract: Contract, client: Client) -> None:
        self.contract, self.client = contract, client
        self.classes: list[str] = []
        self.model_version = ""

    def post(self, body: object = None, **options: Any) -> Answer:
        method, path = self.contract.route("classify")
        return self.client.send(method, path, body, **options)

    def classify(self, text: str, **fields: Any) -> dict:
        answer = self.post({"text": text, **fields})
        self.contract.check("classify", answer, 200)
        return answer.body

    def check_model(self) -> None:
        method, path = self.contract.route("describeModel")
        answer = self.client.send(method, path)
        self.contract.check("describeModel", answer, 200)
        self.classes, self.model_version = answer.body["classes"], answer.body["version"]

    def check_document(self) -> None:
        method, path = self.contract.route("openapiDocument")
        answer = self.client.send(method, path)
        self.contract.check("openapiDocument", answer, 200)
        served, ours = answer.body.get("info", {}).get("version"), self.contract.document["info"]["version"]
        if answer.body != self.contract.document:
            raise ContractFailure(
                f"the service serves another document (info.version {served}) than this commit's ({ours})"
            )

    def check_single(self) -> None:
        body = self.classify(smoke_test.KNOWN_TEXT)
        scores = list(body["scores"].items())
        if body["label"] not in self.classes or body["label"] != scores[0][0]:
            raise ContractFailure(
                f"label {body['label']!r} is not the most probable of classes {self.classes}"
            )
        if len(scores) != min(3, len(self.classes)) or [s for _, s in scores] != sorted(
            (s for _, s in scores), reverse=True
        ):
            raise ContractFailure(
                f"scores are not the 3 most probable classes, most probable first: {scores}"
            )
        if body["model"]["version"] != self.model_version:
            raise ContractFailure(
                f"answered by model {body['model']['version']}, /model says {self.model_version}"
            )

    def check_cases(self) -> None:
        for text, pattern in CLASSIFICATION_CASES:
            label = self.classify(text)["label"]
            if not re.search(pattern, label):
                raise ContractFailure(
                    f"{text[:50]!r}... was labelled {label!r}, expected a class matching {pattern!r}"
                )

    def check_batch(self) -> None:
        texts = [text for text, _ in CLASSIFICATION_CASES]
        answer = self.post({"texts": texts, "top_k": 1})
        self.contract.check("classify", answer, 200)
        labels = [prediction["label"] for prediction in answer.body["predictions"]]
        singles = [self.classify(text, top_k=1)["label"] for text in texts]
        if labels != singles or any(len(p["scores"]) != 1 for p in answer.body["predictions"]):
            raise ContractFailure(
                f"the batch answered {labels} (top_k 1), one by one the texts got {singles}"
            )

    def check_explain(self) -> None:
        body = self.classify(smoke_test.KNOWN_TEXT, explain=5)
        explanation = body["explanation"]
        sizes = [abs(term["contribution"]) for term in explanation["terms"]]
        if (
            explanation["label"] != body["label"]
            or not 0 < len(sizes) <= 5
            or sizes != sorted(sizes, reverse=True)
        ):
            raise ContractFailure(f"explain 5 gave {_shown(explanation)} for label {body['label']!r}")

    def error_cases(self) -> list[tuple[str, Callable[[], Answer], set[tuple[int, str]]]]:
        """(what is sent, how, the (status, code) answers allowed)."""
        too_long = "a" * (self.contract.limit("text", "maxLength") + 1)
        too_many = ["a text"] * (self.contract.limit("texts", "maxItems") + 1)
        method, path = self.contract.route("describeModel")
        cases = [
            (
                "malformed JSON",
                lambda: self.post(raw=b'{"text": '),
                {(400, "malformed_json"), GATEWAY_VALIDATION},
            ),
            ("no text field", lambda: self.post({}), {(400, "missing_field"), GATEWAY_VALIDATION}),
            (
                "text and texts",
                lambda: self.post({"text": "a", "texts": ["b"]}),
                {(400, "conflicting_fields"), GATEWAY_VALIDATION},
            ),
            ("blank text", lambda: self.post({"text": " \t\n"}), {(400, "empty_text"), GATEWAY_VALIDATION}),
            (
                "top_k 0",
                lambda: self.post({"text": "a", "top_k": 0}),
                {(422, "invalid_top_k"), GATEWAY_VALIDATION},
            ),
            (
                "unknown field",
                lambda: self.post({"text": "a", "colour": 1}),
                {(422, "unknown_field"), GATEWAY_VALIDATION},
            ),
            (
                "text over maxLength",
                lambda: self.post({"text": too_long}),
                {(413, "text_too_long"), GATEWAY_VALIDATION},
            ),
            (
                "texts over maxItems",
                lambda: self.post({"texts": too_many}),
                {(413, "too_many_texts"), GATEWAY_VALIDATION},
            ),
            (
                "text/plain body",
                lambda: self.post(raw=b"hello", content_type="text/plain"),
                {(415, "unsupported_media_type"), GATEWAY_VALIDATION},
            ),
            ("unknown path", lambda: self.client.send("GET", "/no-such-route"), {(404, "not_found")}),
            (
                "GET on classify",
                lambda: self.client.send("GET", self.contract.route("classify")[1]),
                {(405, "method_not_allowed")},
            ),
        ]
        if self.client.api_key:
            cases.append(
                (
                    "no API key",
                    lambda: self.client.send(method, path, with_key=False),
                    {(403, "invalid_api_key"), (403, "forbidden")},
                )
            )
        return cases

    def check_errors(self) -> None:
        for name, send, allowed in self.error_cases():
            answer = send()
            code = answer.body.get("error", {}).get("code") if isinstance(answer.body, dict) else None
            if (answer.status, code) not in allowed:
                raise ContractFailure(
                    f"{name}: expected one of {sorted(allowed)}, got {answer.status} {_shown(answer.body)}"
                )
            self.contract.validate(
                "classify" if answer.status in (400, 413, 415, 422) else "describeModel", answer
            )

    def checks(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("GET model: version and classes", self.check_model),
            ("GET openapi document: this commit's", self.check_document),
            ("POST classify: one text", self.check_single),
            ("POST classify: known texts get their class", self.check_cases),
            ("POST classify: a batch, in order", self.check_batch),
            ("POST classify: explain", self.check_explain),
            ("errors: documented status and code for each client mistake", self.check_errors),
        ]


def run(suite: Suite, write: Callable[[str], None] = print) -> list[tuple[str, str | None]]:
    """Runs every check (a failure does not stop the others; /model's failure does); returns (name, error)."""
    results: list[tuple[str, str | None]] = []
    for name, check in suite.checks():
        try:
            check()
            results.append((name, None))
            write(f"PASS  {name}")
        except (ContractFailure, KeyError, TypeError, AttributeError) as error:
            results.append(
                (
                    name,
                    f"{type(error).__name__}: {error}"
                    if not isinstance(error, ContractFailure)
                    else str(error),
                )
            )
            write(f"FAIL  {name}: {results[-1][1]}")
            if check == suite.check_model:
                break
    return results


def summary_markdown(name: str, url: str, results: list[tuple[str, str | None]]) -> str:
    rows = "".join(
        f"| {check} | {'pass' if error is None else 'FAIL: ' + error[:200]} |\n" for check, error in results
    )
    return f"### Contract suite: {name} ({url})\n\n| check | result |\n|---|---|\n{rows}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="dev", help="the deployed stage whose outputs name the service")
    parser.add_argument("--url", help="the service's base URL instead (e.g. http://127.0.0.1:3000)")
    parser.add_argument("--summary", type=Path, help="append a markdown summary to this file")
    args = parser.parse_args(argv)
    try:
        target = smoke_test.resolve_target(args.stage, args.url, os.environ.get("API_KEY"))
    except StageError as error:
        print(f"test-remote: {error}", file=sys.stderr)
        return 1
    document = json.loads((REPO_ROOT / OPENAPI_DOCUMENT).read_text(encoding="utf-8"))
    print(
        f"test-remote: {target.url} against {OPENAPI_DOCUMENT} {document['info']['version']}", file=sys.stderr
    )
    results = run(Suite(Contract(document), Client(target.url, target.api_key)))
    failed = [name for name, error in results if error is not None]
    print(f"test-remote: {len(results) - len(failed)} passed, {len(failed)} failed", file=sys.stderr)
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(
                summary_markdown("URL" if args.url else f"stage `{args.stage}`", target.url, results)
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
