"""Request parsing, validation and response formatting, as pure functions."""

import base64
import json

import pytest

from serving.app.api_contract import (
    DEFAULT_EXPLAIN_TERMS,
    MAX_BODY_BYTES,
    MAX_EXPLAIN_TERMS,
    ClassifyRequest,
    ClientError,
    check_content_type,
    classify_response,
    cors_headers,
    error_response,
    header,
    internal_error_response,
    match_route,
    parse_classify_request,
    read_json_body,
    to_json,
)
from serving.app.contracts import api
from serving.app.families.protocol import Explanation, Prediction


def client_error(function, *args) -> ClientError:
    with pytest.raises(ClientError) as caught:
        function(*args)
    return caught.value


def test_routes():
    assert match_route({"httpMethod": "POST", "path": api.CLASSIFY}) == "POST /v1/classify"
    assert match_route({"httpMethod": "GET", "path": api.MODEL}) == "GET /v1/model"
    assert match_route({"httpMethod": "GET", "path": "/"}) == "GET /"
    only_get = client_error(match_route, {"httpMethod": "POST", "path": "/"})
    assert (only_get.status, only_get.headers) == (405, {"Allow": "GET"})
    assert client_error(match_route, {"httpMethod": "GET", "path": "/nope"}).status == 404
    wrong_method = client_error(match_route, {"httpMethod": "PATCH", "path": api.MODEL})
    assert (wrong_method.status, wrong_method.headers) == (405, {"Allow": "GET"})


@pytest.mark.parametrize(
    ("old", "method", "new"),
    [
        ("/classify", "POST", "/v1/classify"),
        ("/model", "GET", "/v1/model"),
        ("/openapi.json", "GET", "/v1/openapi.json"),
    ],
)
def test_a_retired_unversioned_path_is_gone_naming_its_route(old, method, new):
    for sent in (method, "DELETE"):
        error = client_error(match_route, {"httpMethod": sent, "path": old})
        assert (error.status, error.code) == (410, "route_moved")
        assert f"use {method} {new}" in error.message and "3.0.0" in error.message
    assert api.RETIRED[old] == new and new in api.ROUTES


def test_every_route_is_versioned_but_the_page():
    assert {route for route in api.ROUTES if not route.startswith(api.VERSION_PREFIX + "/")} == {api.PAGE}


def test_echoed_client_values_are_shortened():
    error = client_error(match_route, {"httpMethod": "GET", "path": "/" + "x" * 10_000})
    echoed = error.message.split(";")[0]
    assert len(echoed) < 60 and echoed.endswith("...")


def test_headers_are_case_insensitive_and_may_be_missing():
    assert header({"headers": {"CoNtEnT-TyPe": "a"}}, "content-type") == "a"
    assert header({"headers": None, "multiValueHeaders": {"Content-Type": ["b", "c"]}}, "content-type") == "b"
    assert header({"headers": None, "multiValueHeaders": None}, "content-type") is None
    assert header({}, "content-type") is None


@pytest.mark.parametrize(
    "value",
    [
        "application/json",
        "APPLICATION/JSON",
        "application/json; charset=utf-8",
        "application/json;charset=UTF8",
    ],
)
def test_json_content_types(value):
    check_content_type(value)


@pytest.mark.parametrize(
    "value", [None, "", "text/json", "application/json-seq", "application/json; charset=utf-16", "text/plain"]
)
def test_other_content_types_are_415(value):
    assert client_error(check_content_type, value).status == 415


def event_with(body, base64_flag=False) -> dict:
    return {"headers": {"Content-Type": "application/json"}, "body": body, "isBase64Encoded": base64_flag}


def test_reads_plain_and_base64_bodies():
    document = {"text": "café ☃"}
    plain = json.dumps(document, ensure_ascii=False)
    encoded = base64.b64encode(plain.encode("utf-8")).decode("ascii")
    assert read_json_body(event_with(plain)) == document
    assert read_json_body(event_with(encoded, True)) == document


def test_body_limit_is_exact():
    fits = '"' + "x" * (MAX_BODY_BYTES - 2) + '"'
    assert len(read_json_body(event_with(fits))) == MAX_BODY_BYTES - 2
    assert client_error(read_json_body, event_with(fits + " ")).status == 413
    encoded = base64.b64encode(fits.encode()).decode()
    assert len(read_json_body(event_with(encoded, True))) == MAX_BODY_BYTES - 2
    too_big = base64.b64encode((fits + " ").encode()).decode()
    assert client_error(read_json_body, event_with(too_big, True)).status == 413


def test_body_that_is_not_a_string():
    assert client_error(read_json_body, event_with({"text": "a"})).code == "invalid_event"


def test_parse_single_and_batch():
    assert parse_classify_request({"text": "a"}) == ClassifyRequest(texts=["a"], top_k=3, batch=False)
    assert parse_classify_request({"texts": ["a", "b"], "top_k": 1}) == ClassifyRequest(
        texts=["a", "b"], top_k=1, batch=True
    )


@pytest.mark.parametrize(
    ("value", "terms"),
    [(True, DEFAULT_EXPLAIN_TERMS), (False, 0), (1, 1), (7, 7), (MAX_EXPLAIN_TERMS, MAX_EXPLAIN_TERMS)],
)
def test_explain_is_a_number_of_terms(value, terms):
    request = parse_classify_request({"texts": ["a"], "explain": value})
    assert request == ClassifyRequest(texts=["a"], top_k=3, batch=True, explain=terms)
    assert parse_classify_request({"text": "a"}).explain == 0


@pytest.mark.parametrize("value", [0, -1, MAX_EXPLAIN_TERMS + 1, 1.5, 5.0, "yes", "true", None, [5], {}])
def test_explain_out_of_range_or_of_another_type_is_refused_with_its_range(value):
    error = client_error(parse_classify_request, {"text": "a", "explain": value})
    assert (error.status, error.code) == (422, "invalid_explain")
    assert error.message == f"explain must be true, false or an integer from 1 to {MAX_EXPLAIN_TERMS}"


def test_batch_errors_name_the_item():
    error = client_error(parse_classify_request, {"texts": ["fine", "fine", 7]})
    assert (error.status, error.code) == (422, "invalid_type")
    assert "texts[2]" in error.message


def test_error_messages_do_not_echo_the_text():
    secret = "my confidential memo " * 10_000
    error = client_error(parse_classify_request, {"text": secret})
    assert error.code == "text_too_long" and "confidential" not in error.message


def test_single_response_shape():
    prediction = Prediction(label="b", scores=[("b", 0.7), ("a", 0.2), ("c", 0.1)])
    request = ClassifyRequest(texts=["x"], top_k=3, batch=False)
    response = classify_response(request, [prediction], "abc123")
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body == {"label": "b", "scores": {"b": 0.7, "a": 0.2, "c": 0.1}, "model": {"version": "abc123"}}
    assert list(body["scores"]) == ["b", "a", "c"]


def test_batch_response_shape():
    predictions = [Prediction("a", [("a", 0.9)]), Prediction("b", [("b", 0.6)])]
    request = ClassifyRequest(texts=["x", "y"], top_k=1, batch=True)
    body = json.loads(classify_response(request, predictions, "v")["body"])
    assert body == {
        "predictions": [{"label": "a", "scores": {"a": 0.9}}, {"label": "b", "scores": {"b": 0.6}}],
        "model": {"version": "v"},
    }


def test_explanations_go_with_their_predictions():
    predictions = [Prediction("a", [("a", 0.9)]), Prediction("b", [("b", 0.6)])]
    explanations = [
        Explanation(label="a", score=1.5, intercept=-0.25, terms=[("nasa", 1.0), ("the sun", 0.75)]),
        Explanation(label="b", score=-0.5, intercept=0.5, terms=[]),
    ]
    batch = ClassifyRequest(texts=["x", "y"], top_k=1, batch=True, explain=2)
    body = json.loads(classify_response(batch, predictions, "v", explanations)["body"])
    assert body["predictions"][0]["explanation"] == {
        "label": "a",
        "score": 1.5,
        "intercept": -0.25,
        "terms": [{"term": "nasa", "contribution": 1.0}, {"term": "the sun", "contribution": 0.75}],
    }
    second = {"label": "b", "score": -0.5, "intercept": 0.5, "terms": []}
    assert body["predictions"][1]["explanation"] == second
    single = ClassifyRequest(texts=["x"], top_k=1, batch=False, explain=2)
    body = json.loads(classify_response(single, predictions[:1], "v", explanations[:1])["body"])
    assert list(body) == ["label", "scores", "explanation", "model"]


def test_a_lone_surrogate_in_an_answer_is_escaped_so_the_body_stays_utf_8():
    """A character n-gram of a text holding a lone surrogate can be an explanation's term."""
    payload = {"terms": [{"term": "a\ud800", "contribution": 1.0}], "label": "é"}
    text = to_json(payload)
    text.encode("utf-8")
    assert "\\ud800" in text and json.loads(text) == payload
    assert to_json({"label": "é"}) == '{"label":"é"}'  # UTF-8 as is otherwise


def test_error_response_shape():
    response = error_response(ClientError(405, "method_not_allowed", "use GET", {"Allow": "GET"}))
    assert response["statusCode"] == 405
    assert response["headers"] == {"Content-Type": "application/json", "Allow": "GET"}
    assert json.loads(response["body"]) == {"error": {"code": "method_not_allowed", "message": "use GET"}}


def test_internal_error_response_names_only_the_request_id():
    body = json.loads(internal_error_response("req-1")["body"])
    assert body == {"error": {"code": "internal_error", "message": "internal error; quote request id req-1"}}
    assert json.loads(internal_error_response(None)["body"])["error"]["message"] == "internal error"


def test_headers_of_the_wrong_shape_are_ignored():
    assert header({"headers": ["Origin"], "multiValueHeaders": "x"}, "origin") is None


def test_cors_headers():
    allowed = ("https://app.example", "https://admin.example")
    assert cors_headers("https://app.example", allowed) == {
        "Access-Control-Allow-Origin": "https://app.example",
        "Vary": "Origin",
    }
    assert cors_headers("https://evil.example", allowed) == {}
    assert cors_headers(None, allowed) == {}
    assert cors_headers("https://any.example", ("*",)) == {"Access-Control-Allow-Origin": "*"}
    assert cors_headers("https://app.example", ()) == {}
