"""Every client mistake gets its 4xx and a JSON reason; an internal failure a 500 that leaks nothing."""

import base64
import json

import pytest

from serving.app import api_contract
from serving.app.contracts import api
from serving.tests.apigw_events import LambdaContext, rest_event

JSON = {"Content-Type": "application/json"}


def post(body, headers=JSON, **options) -> dict:
    return rest_event("POST", api.CLASSIFY, body, headers=headers, **options)


def raw_event(body: str, base64_flag: bool) -> dict:
    event = post(None)
    event["body"], event["isBase64Encoded"] = body, base64_flag
    return event


ERROR_CASES = {
    # 400: the request cannot be read
    "malformed json": (post("{"), 400, "malformed_json"),
    "trailing garbage": (post('{"text": "a"} x'), 400, "malformed_json"),
    "NaN is not JSON": (post('{"text": "a", "top_k": NaN}'), 400, "malformed_json"),
    "nested too deeply": (post("[" * 200_000), 400, "malformed_json"),
    "integer too long": (post('{"text": "a", "top_k": ' + "9" * 5000 + "}"), 400, "malformed_json"),
    "body missing": (post(None), 400, "missing_body"),
    "body empty": (post(""), 400, "missing_body"),
    "invalid base64": (raw_event("eyJ0ZXh0IjogImEifQ=!*", True), 400, "invalid_base64"),
    "non-ascii base64": (raw_event("é" * 8, True), 400, "invalid_base64"),
    "non-UTF-8 body": (post(b'{"text": "caf\xe9"}'), 400, "invalid_encoding"),
    "missing text": (post('{"top_k": 2}'), 400, "missing_field"),
    "empty object": (post("{}"), 400, "missing_field"),
    "text and texts": (post('{"text": "a", "texts": ["b"]}'), 400, "conflicting_fields"),
    "empty text": (post('{"text": ""}'), 400, "empty_text"),
    "whitespace text": (post('{"text": " \\n\\t\\r\\f\\u000b "}'), 400, "empty_text"),
    "empty list": (post('{"texts": []}'), 400, "empty_list"),
    "whitespace in list": (post('{"texts": ["fine", "  "]}'), 400, "empty_text"),
    # 413: too large
    "body too large": (post("x" * (api_contract.MAX_BODY_BYTES + 1)), 413, "body_too_large"),
    "body too large in UTF-8": (post("é" * (api_contract.MAX_BODY_BYTES // 2 + 1)), 413, "body_too_large"),
    "base64 body too large": (post(b"x" * (api_contract.MAX_BODY_BYTES + 1)), 413, "body_too_large"),
    "text too long": (
        post(json.dumps({"text": "a" * (api_contract.MAX_TEXT_CHARS + 1)})),
        413,
        "text_too_long",
    ),
    "too many texts": (
        post(json.dumps({"texts": ["a"] * (api_contract.MAX_TEXTS + 1)})),
        413,
        "too_many_texts",
    ),
    # 415: not JSON
    "no content type": (post('{"text": "a"}', headers={}), 415, "unsupported_media_type"),
    "form content type": (
        post('{"text": "a"}', headers={"Content-Type": "application/x-www-form-urlencoded"}),
        415,
        "unsupported_media_type",
    ),
    "text/plain": (
        post('{"text": "a"}', headers={"content-type": "text/plain"}),
        415,
        "unsupported_media_type",
    ),
    "latin-1 charset": (
        post('{"text": "a"}', headers={"Content-Type": "application/json; charset=iso-8859-1"}),
        415,
        "unsupported_media_type",
    ),
    "json prefix only": (
        post('{"text": "a"}', headers={"Content-Type": "application/jsonx"}),
        415,
        "unsupported_media_type",
    ),
    # 422: well-formed JSON of the wrong shape
    "body is a list": (post('["a"]'), 422, "invalid_type"),
    "body is a string": (post('"a"'), 422, "invalid_type"),
    "body is null": (post("null"), 422, "invalid_type"),
    "text is a number": (post('{"text": 42}'), 422, "invalid_type"),
    "text is null": (post('{"text": null}'), 422, "invalid_type"),
    "text is a list": (post('{"text": ["a"]}'), 422, "invalid_type"),
    "texts is a string": (post('{"texts": "a"}'), 422, "invalid_type"),
    "texts holds a number": (post('{"texts": ["a", 1]}'), 422, "invalid_type"),
    "top_k zero": (post('{"text": "a", "top_k": 0}'), 422, "invalid_top_k"),
    "top_k negative": (post('{"text": "a", "top_k": -1}'), 422, "invalid_top_k"),
    "top_k too large": (post('{"text": "a", "top_k": 101}'), 422, "invalid_top_k"),
    "top_k float": (post('{"text": "a", "top_k": 3.0}'), 422, "invalid_top_k"),
    "top_k string": (post('{"text": "a", "top_k": "3"}'), 422, "invalid_top_k"),
    "top_k boolean": (post('{"text": "a", "top_k": true}'), 422, "invalid_top_k"),
    "top_k null": (post('{"text": "a", "top_k": null}'), 422, "invalid_top_k"),
    "explain zero": (post('{"text": "a", "explain": 0}'), 422, "invalid_explain"),
    "explain too large": (post('{"text": "a", "explain": 51}'), 422, "invalid_explain"),
    "explain a string": (post('{"text": "a", "explain": "yes"}'), 422, "invalid_explain"),
    "explain a fraction": (post('{"text": "a", "explain": 1.5}'), 422, "invalid_explain"),
    "explain null": (post('{"texts": ["a"], "explain": null}'), 422, "invalid_explain"),
    "unknown field": (post('{"text": "a", "topk": 2}'), 422, "unknown_field"),
    # 404 / 405: routing
    "unknown path": (rest_event("GET", "/predict"), 404, "not_found"),
    "POST to the page": (rest_event("POST", "/", "{}"), 405, "method_not_allowed"),
    "double slash": (rest_event("GET", "//"), 404, "not_found"),
    "path with trailing slash": (rest_event("POST", f"{api.CLASSIFY}/", '{"text": "a"}'), 404, "not_found"),
    "unversioned path under the prefix": (
        rest_event("GET", f"{api.VERSION_PREFIX}/predict"),
        404,
        "not_found",
    ),
    "GET classify": (rest_event("GET", api.CLASSIFY), 405, "method_not_allowed"),
    "PUT classify": (rest_event("PUT", api.CLASSIFY, '{"text": "a"}'), 405, "method_not_allowed"),
    "POST model": (rest_event("POST", api.MODEL, "{}"), 405, "method_not_allowed"),
    "DELETE model": (rest_event("DELETE", api.MODEL), 405, "method_not_allowed"),
    # 410: the retired unversioned paths, whatever the method
    **{
        f"{method} retired {old}": (rest_event(method, old, '{"text": "a"}'), 410, "route_moved")
        for old in api.RETIRED
        for method in ("GET", "POST")
    },
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_client_mistakes(handler, case):
    event, status, code = ERROR_CASES[case]
    response = handler.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == status
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Traceback" not in response["body"]


def test_a_retired_path_names_the_route_that_replaced_it(handler):
    for old, new in api.RETIRED.items():
        response = handler.lambda_handler(rest_event("POST", old, '{"text": "a"}'), LambdaContext())
        message = json.loads(response["body"])["error"]["message"]
        assert f"{' '.join(api.ROUTES[new])} {new}" in message, message


@pytest.mark.parametrize(
    ("method", "path", "allow"), [("GET", api.CLASSIFY, "POST"), ("POST", api.MODEL, "GET")]
)
def test_405_says_which_method_is_allowed(handler, method, path, allow):
    response = handler.lambda_handler(rest_event(method, path, "{}"), LambdaContext())
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == allow


def test_body_size_is_checked_before_parsing_and_before_the_model(handler, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the model ran on an oversized body")

    monkeypatch.setattr(handler.MODEL.classifier, "classify", must_not_run)
    oversized_and_invalid = "{" + "x" * api_contract.MAX_BODY_BYTES
    response = handler.lambda_handler(post(oversized_and_invalid), LambdaContext())
    assert response["statusCode"] == 413


def test_content_type_is_checked_on_headers_that_are_missing_entirely(handler):
    event = post('{"text": "a"}')
    event["headers"] = None
    event["multiValueHeaders"] = None
    response = handler.lambda_handler(event, LambdaContext())
    assert json.loads(response["body"])["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("event", [None, "text", [], {}, {"httpMethod": "POST"}], ids=repr)
def test_events_that_are_not_api_gateway_proxy_events(handler, event):
    response = handler.lambda_handler(event, LambdaContext())
    assert 400 <= response["statusCode"] < 500
    assert "error" in json.loads(response["body"])


def test_base64_body_that_is_valid_but_not_json(handler):
    event = raw_event(base64.b64encode(b"not json").decode(), True)
    response = handler.lambda_handler(event, LambdaContext())
    assert json.loads(response["body"])["error"]["code"] == "malformed_json"


def test_internal_error_is_a_500_without_details(handler, monkeypatch, capsys):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(handler.MODEL.classifier, "classify", explode)
    context = LambdaContext()
    response = handler.lambda_handler(post('{"text": "hello"}'), context)
    assert response["statusCode"] == 500
    body = json.loads(response["body"])
    assert body["error"]["code"] == "internal_error"
    assert context.aws_request_id in body["error"]["message"]
    assert "secret internal detail" not in response["body"] and "Traceback" not in response["body"]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    errors = [line for line in logged if line.get("level") == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["requestId"] == context.aws_request_id
    assert "secret internal detail" in errors[0]["stackTrace"]
    assert errors[0]["errorType"] == "RuntimeError"


def test_context_without_request_id(handler):
    response = handler.lambda_handler(rest_event("GET", api.MODEL), object())
    assert response["statusCode"] == 200
