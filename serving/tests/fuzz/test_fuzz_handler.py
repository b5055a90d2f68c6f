"""Fuzzing ``lambda_handler`` with hypothesis: whatever arrives, a well-formed, documented answer.

For any event: no exception escapes, no 5xx (nothing here is the service's fault), the answer is a valid
proxy response whose body is JSON that encodes as UTF-8 (but GET /, the HTML playground page), every 4xx
is ``{"error": {"code", "message"}}`` and every answer on a documented route is one the OpenAPI document
lists, with its schema. Valid
requests get 200 with labels among the model's classes and probabilities that sum to at most 1.

`make fuzz` runs these with FUZZ_EXAMPLES per property and prints the number of cases (conftest.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from serving.app import api_contract
from serving.app.contracts import api
from serving.tests import served_model
from serving.tests.apigw_events import LambdaContext, rest_event
from serving.tests.fuzz import strategies as fuzz
from serving.tests.fuzz.fuzz_settings import CASES, fuzz_settings
from serving.tests.openapi_document import assert_documented_answer, documented, request_validator

REQUEST_SCHEMA = request_validator()
contexts = st.sampled_from((LambdaContext(), None, object()))


def invoke(handler, property_name: str, event: Any, context: object = None) -> tuple[dict, Any]:
    """Calls the handler (counting the case) and checks what every answer must be; returns it parsed."""
    CASES[property_name] += 1
    response = handler.lambda_handler(event, context)
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
    status = response["statusCode"]
    assert type(status) is int and 200 <= status < 500, response
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in response["headers"].items())
    if response["headers"]["Content-Type"].startswith("text/html"):  # the playground page, and only it
        assert isinstance(event, dict) and (status, event["httpMethod"], event["path"]) == (200, "GET", "/")
        assert response["body"] == handler.PAGE
        return response, None
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["isBase64Encoded"] is False
    response["body"].encode("utf-8")  # a lone surrogate here would make the runtime fail with a 502
    payload = json.loads(response["body"])
    if status >= 400:
        assert set(payload) == {"error"} and set(payload["error"]) == {"code", "message"}, payload
        assert isinstance(payload["error"]["code"], str) and payload["error"]["code"]
        assert isinstance(payload["error"]["message"], str) and payload["error"]["message"]
    _assert_routing(event, response, payload)
    return response, payload


def _assert_routing(event: Any, response: dict, payload: Any) -> None:
    """404 off the known paths, 405 with Allow for a wrong method, and the document's answer otherwise."""
    status = response["statusCode"]
    if not isinstance(event, dict):
        assert (status, payload["error"]["code"]) == (400, "invalid_event")
        return
    method, path = event.get("httpMethod"), event.get("path")
    allowed = api_contract.ROUTES.get(path) if isinstance(path, str) else None
    if allowed is None:
        assert (status, payload["error"]["code"]) == (404, "not_found")
    elif method not in allowed:
        assert (status, payload["error"]["code"]) == (405, "method_not_allowed")
        assert response["headers"]["Allow"] == ", ".join(allowed)
    else:
        assert documented(path, method)
        assert_documented_answer(path, method, status, payload)


def assert_predictions(handler, request: dict, payload: dict) -> None:
    """Labels among the model's classes; top_k scores, most probable first, summing to at most 1; with
    explain, each label's explanation (assert_explanation)."""
    classes = set(handler.MODEL.classifier.classes)
    expected_scores = min(request.get("top_k", api_contract.DEFAULT_TOP_K), len(classes))
    predictions = payload["predictions"] if "texts" in request else [payload]
    assert len(predictions) == len(request.get("texts", [None]))
    assert payload["model"] == {"version": handler.MODEL.version}
    for prediction in predictions:
        scores = prediction["scores"]
        assert prediction["label"] in classes and set(scores) <= classes
        assert len(scores) == expected_scores and next(iter(scores)) == prediction["label"]
        probabilities = list(scores.values())
        assert all(0.0 <= p <= 1.0 and math.isfinite(p) for p in probabilities)
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) <= 1.0 + 1e-9
        assert_explanation(handler, request, prediction)


_FEATURE_NAMES: dict[int, set[str]] = {}


def feature_names(model) -> set[str]:
    """The model's feature names, computed once per model (naming 100,000 features takes a moment)."""
    key = id(model.classifier)
    if key not in _FEATURE_NAMES:
        _FEATURE_NAMES[key] = set(served_model.feature_names(model.classifier.featurizer))
    return _FEATURE_NAMES[key]


def assert_explanation(handler, request: dict, prediction: dict) -> None:
    """As many terms as asked at most, vocabulary terms, largest |contribution| first, the label's."""
    n_terms = request.get("explain", False)
    if n_terms is False:
        assert "explanation" not in prediction
        return
    n_terms = api_contract.DEFAULT_EXPLAIN_TERMS if n_terms is True else n_terms
    explanation = prediction["explanation"]
    assert explanation["label"] == prediction["label"]
    assert all(math.isfinite(explanation[key]) for key in ("score", "intercept"))
    terms = explanation["terms"]
    assert len(terms) <= n_terms
    magnitudes = [abs(term["contribution"]) for term in terms]
    assert magnitudes == sorted(magnitudes, reverse=True) and all(magnitudes)
    assert {term["term"] for term in terms} <= feature_names(handler.MODEL)


@fuzz_settings()
@given(event=fuzz.events(), context=contexts)
def test_any_event_gets_a_well_formed_answer(handler, event, context):
    invoke(handler, "any event", event, context)


@fuzz_settings()
@given(request=fuzz.valid_requests, data=st.data(), content_type=st.sampled_from(fuzz.JSON_CONTENT_TYPES))
def test_valid_requests_are_classified(handler, request, data, content_type):
    text = data.draw(fuzz.json_text(st.just(request)))
    encode = data.draw(st.booleans())
    event = rest_event(
        "POST", api.CLASSIFY, text, headers={"Content-Type": content_type}, base64_encode=encode
    )
    assert REQUEST_SCHEMA.is_valid(request)  # the strategy makes what the document calls valid
    response, payload = invoke(handler, "valid request", event, LambdaContext())
    assert response["statusCode"] == 200, payload
    assert_predictions(handler, request, payload)


@fuzz_settings()
@given(body=fuzz.json_text(st.one_of(fuzz.near_miss_requests, fuzz.json_values, fuzz.valid_requests)))
def test_the_handler_accepts_exactly_what_the_request_schema_accepts(handler, body):
    response, payload = invoke(handler, "any JSON body", rest_event("POST", api.CLASSIFY, body))
    if REQUEST_SCHEMA.is_valid(json.loads(body)):
        assert response["statusCode"] == 200, payload
        assert_predictions(handler, json.loads(body), payload)
    else:
        assert response["statusCode"] in (400, 413, 422), payload


@fuzz_settings()
@given(body=st.one_of(fuzz.non_json_text, fuzz.deeply_nested(), fuzz.around_the_size_limit()))
def test_bodies_that_are_not_requests_get_a_reason(handler, body):
    response, payload = invoke(handler, "non-request body", rest_event("POST", api.CLASSIFY, body))
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > api_contract.MAX_BODY_BYTES:
        assert (response["statusCode"], payload["error"]["code"]) == (413, "body_too_large")
    elif response["statusCode"] == 200:
        assert_predictions(handler, json.loads(body), payload)


@fuzz_settings()
@given(raw=st.one_of(st.binary(max_size=300), fuzz.any_body_text.map(lambda text: text.encode("utf-8"))))
def test_a_base64_body_is_answered_as_its_decoded_text(handler, raw):
    event = rest_event("POST", api.CLASSIFY, raw)
    assert event["isBase64Encoded"] is True
    response, payload = invoke(handler, "base64 body", event)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        assert len(raw) > api_contract.MAX_BODY_BYTES or payload["error"]["code"] == "invalid_encoding"
        return
    plain, plain_payload = invoke(handler, "base64 body", rest_event("POST", api.CLASSIFY, text))
    assert (response["statusCode"], payload) == (plain["statusCode"], plain_payload)


@fuzz_settings()
@given(body=fuzz.invalid_base64)
def test_a_body_marked_base64_that_is_not_gets_400(handler, body):
    event = rest_event("POST", api.CLASSIFY, None)
    event["body"], event["isBase64Encoded"] = body, True
    response, payload = invoke(handler, "invalid base64", event)
    try:
        base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        expected = "missing_body" if body == "" else "invalid_base64"
        assert (response["statusCode"], payload["error"]["code"]) == (400, expected)


@fuzz_settings()
@given(method=fuzz.methods, path=fuzz.paths, headers=fuzz.odd_headers, multi=fuzz.odd_multi_value_headers)
def test_any_method_path_and_headers(handler, method, path, headers, multi):
    event = rest_event("POST", api.CLASSIFY, '{"text": "Shares rose after the bank results"}')
    event["httpMethod"], event["path"], event["headers"], event["multiValueHeaders"] = (
        method,
        path,
        headers,
        multi,
    )
    response, payload = invoke(handler, "method, path and headers", event, LambdaContext())
    if response["statusCode"] == 200 and method == "POST":
        assert api_contract.header(event, "content-type") is not None
        assert_predictions(handler, {"text": "x"}, payload)


@fuzz_settings()
@given(
    content_type=fuzz.content_types,
    header_name=st.sampled_from(("Content-Type", "content-type", "cOnTeNt-TyPe")),
)
def test_only_json_content_types_are_read(handler, content_type, header_name):
    event = rest_event("POST", api.CLASSIFY, '{"text": "a"}', headers={header_name: content_type})
    response, payload = invoke(handler, "content type", event)
    if content_type in fuzz.JSON_CONTENT_TYPES:
        assert response["statusCode"] == 200, payload
    elif content_type in fuzz.OTHER_CONTENT_TYPES:
        assert (response["statusCode"], payload["error"]["code"]) == (415, "unsupported_media_type")
    elif content_type.partition(";")[0].strip().lower() != "application/json":
        assert response["statusCode"] == 415, payload
    else:
        assert response["statusCode"] in (200, 415), payload


ALLOWED_ORIGIN = "https://app.example.com"


@fuzz_settings()
@given(origin=st.one_of(st.just(ALLOWED_ORIGIN), st.text(max_size=40), st.none(), st.integers()))
def test_cors_header_only_for_the_allowed_origin(handler, origin):
    event = rest_event("GET", api.MODEL, headers={"Origin": origin})
    previous = handler.CORS_ALLOW_ORIGINS
    handler.CORS_ALLOW_ORIGINS = (ALLOWED_ORIGIN,)  # as deployed with CORS_ALLOW_ORIGINS set (read at init)
    try:
        response, _ = invoke(handler, "CORS origin", event)
    finally:
        handler.CORS_ALLOW_ORIGINS = previous
    assert response["statusCode"] == 200
    expected = origin if origin == ALLOWED_ORIGIN else None
    assert response["headers"].get("Access-Control-Allow-Origin") == expected
