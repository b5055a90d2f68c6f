"""serving/app/openapi.json describes the handler: served as is, valid OpenAPI 3.0, the same routes,
every error code under its status, limits and examples that hold."""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis

from serving.app import api_contract
from serving.app.contracts import api
from serving.tests.apigw_events import LambdaContext, rest_event
from serving.tests.openapi_document import DOCUMENT, PATH, assert_documented_answer, request_validator

ROUTING_STATUSES = {404, 405, 410}  # answers for undocumented (or retired) paths and methods, in info


def invoke(handler, event) -> tuple[int, dict]:
    response = handler.lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def handler_error_codes() -> dict[int, set[str]]:
    """Every ``ClientError(status, "code", ...)`` in api_contract.py, plus the 500's code."""
    tree = ast.parse(Path(api_contract.__file__).read_text(encoding="utf-8"))
    codes: dict[int, set[str]] = {500: {"internal_error"}}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ClientError":
            status, code = (ast.literal_eval(argument) for argument in node.args[:2])
            codes.setdefault(status, set()).add(code)
    return codes


def documented_error_codes(path: str, method: str) -> dict[int, set[str]]:
    """The ``code`` enum of each error status of an operation, following the response $refs."""
    codes = {}
    for status, response in DOCUMENT["paths"][path][method]["responses"].items():
        if "$ref" in response:
            response = DOCUMENT["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        schema = response["content"]["application/json"]["schema"]
        for part in schema.get("allOf", []):
            enum = (
                part.get("properties", {}).get("error", {}).get("properties", {}).get("code", {}).get("enum")
            )
            if enum:
                codes[int(status)] = set(enum)
    return codes


def test_get_openapi_json_serves_the_committed_document(handler):
    status, served = invoke(handler, rest_event("GET", api.OPENAPI))
    assert status == 200
    assert served == json.loads(PATH.read_text(encoding="utf-8"))
    assert_documented_answer(api.OPENAPI, "GET", status, served)


def test_the_document_is_valid_openapi_3_0():
    assert DOCUMENT["openapi"].startswith("3.0.")
    schemathesis.openapi.from_dict(DOCUMENT).validate()


def test_the_documented_operations_are_the_handlers_routes():
    documented = {(path, method.upper()) for path, item in DOCUMENT["paths"].items() for method in item}
    served = {(path, method) for path, methods in api_contract.ROUTES.items() for method in methods}
    assert documented == served


def test_every_error_code_of_the_handler_is_documented_under_its_status():
    documented = documented_error_codes(api.CLASSIFY, "post")
    for status, codes in handler_error_codes().items():
        if status in ROUTING_STATUSES:
            assert all(code in DOCUMENT["info"]["description"] for code in codes)
        else:
            assert codes <= documented.get(status, set()), (
                f"{status}: {codes - documented.get(status, set())}"
            )


def test_the_stated_limits_are_the_handlers():
    """The schema's limits are the handler's by construction; the prose, and what the schema cannot state
    (body size, top_k's default, kept in api_contract.py), must say the same."""
    description = DOCUMENT["info"]["description"]
    assert api_contract.MAX_BODY_BYTES == 1024 * 1024 and "1 MiB" in description
    assert f"{api_contract.MAX_TEXT_CHARS:,} characters" in description
    assert f"{api_contract.MAX_TEXTS} texts" in description
    assert f"top_k from {api_contract.MIN_TOP_K} to {api_contract.MAX_TOP_K}" in description
    default, low, high = (
        api_contract.DEFAULT_EXPLAIN_TERMS,
        api_contract.MIN_EXPLAIN_TERMS,
        api_contract.MAX_EXPLAIN_TERMS,
    )
    assert f"explain true ({default} terms), false or from {low} to {high} terms" in description
    explain = DOCUMENT["components"]["schemas"]["Explain"]
    assert f"true (the {api_contract.DEFAULT_EXPLAIN_TERMS} largest terms)" in explain["description"]
    explanation = DOCUMENT["components"]["schemas"]["Explanation"]["properties"]["terms"]
    assert explanation["maxItems"] == api_contract.MAX_EXPLAIN_TERMS
    classify = DOCUMENT["paths"][api.CLASSIFY]["post"]
    top_k = DOCUMENT["components"]["schemas"]["TopK"]
    assert f"(default {api_contract.DEFAULT_TOP_K}," in classify["description"]
    assert top_k["description"].endswith(f"Default {api_contract.DEFAULT_TOP_K}.")
    assert top_k["minimum"] <= api_contract.DEFAULT_TOP_K <= top_k["maximum"]


def test_the_request_examples_are_valid_and_classified(handler):
    examples = DOCUMENT["paths"][api.CLASSIFY]["post"]["requestBody"]["content"]["application/json"][
        "examples"
    ]
    assert examples
    for example in examples.values():
        assert request_validator().is_valid(example["value"])
        status, payload = invoke(handler, rest_event("POST", api.CLASSIFY, json.dumps(example["value"])))
        assert status == 200, payload
        assert_documented_answer(api.CLASSIFY, "POST", status, payload)


def test_answers_of_every_route_match_the_document(handler):
    cases = [
        rest_event("GET", api.MODEL),
        rest_event("POST", api.CLASSIFY, '{"text": "Parliament passed the budget"}'),
        rest_event("POST", api.CLASSIFY, '{"texts": ["Shares rose", "A late goal won it"], "top_k": 5}'),
        rest_event("POST", api.CLASSIFY, "{"),
        rest_event("POST", api.CLASSIFY, '{"texts": []}'),
        rest_event("POST", api.CLASSIFY, json.dumps({"texts": ["a"] * (api_contract.MAX_TEXTS + 1)})),
        rest_event("POST", api.CLASSIFY, '{"text": "a"}', headers={"Content-Type": "text/plain"}),
        rest_event("POST", api.CLASSIFY, '{"text": "a", "top_k": 0}'),
        rest_event("POST", api.CLASSIFY, '{"text": "Shares rose after the bank results", "explain": true}'),
        rest_event("POST", api.CLASSIFY, '{"texts": ["Shares rose", "A late goal"], "explain": 3}'),
        rest_event("POST", api.CLASSIFY, '{"text": "a", "explain": 51}'),
    ]
    statuses = set()
    for event in cases:
        status, payload = invoke(handler, event)
        assert_documented_answer(event["path"], event["httpMethod"], status, payload)
        statuses.add(status)
    assert statuses == {200, 400, 413, 415, 422}


def test_a_missing_or_broken_document_is_refused_naming_the_fix(tmp_path):
    broken = tmp_path / "openapi.json"
    broken.write_text('{"openapi": "3.0.3",', encoding="utf-8")
    for path in (tmp_path / "missing.json", broken):
        with pytest.raises(
            api_contract.OpenApiDocumentError,
            match=r"cannot be read as JSON .*carry serving/app/openapi\.json",
        ):
            api_contract.load_openapi_document(path)


def test_a_broken_document_stops_the_init_with_a_logged_error(tmp_path):
    """The handler's init (a fresh interpreter, from a copy of the package with a broken openapi.json, as the
    image holds it: the package `app` in the task root) stops."""
    app = tmp_path / "app"
    shutil.copytree(PATH.parent, app, ignore=shutil.ignore_patterns("__pycache__", "data"))
    (app / "openapi.json").write_text('{"openapi": "3.0.3",', encoding="utf-8")
    env = {**os.environ, "AWS_EMF_ENVIRONMENT": "Local", "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import app.handler"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "OpenApiDocumentError" in result.stderr and "carry serving/app/openapi.json" in result.stderr
    logged = [json.loads(line) for line in result.stdout.splitlines() if '"level": "ERROR"' in line]
    assert [(entry["message"], entry["path"]) for entry in logged] == [
        ("OpenAPI document failed to load", str(app / "openapi.json"))
    ]


def test_the_handler_serves_the_document_its_limits_come_from(handler):
    assert json.loads(handler.OPENAPI_DOCUMENT) == api_contract.OPENAPI == DOCUMENT
