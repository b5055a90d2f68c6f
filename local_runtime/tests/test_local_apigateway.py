"""The API Gateway translation on its own: proxy events in, proxy results out, 502 for malformed results."""

import base64
import json

import pytest

from local_runtime.apigateway import HttpRequest, MalformedResult, build_event, response_from_result


def _event(method: str = "GET", target: str = "/", headers=None, body: bytes = b"") -> dict:
    request = HttpRequest(method, target, headers or [("Host", "127.0.0.1:3000")], body, "10.1.2.3")
    return build_event(request, stage="local", port=3000, request_id="req-1", trace_id="Root=1-abc-def")


def test_root_resource_has_no_path_parameters() -> None:
    event = _event()
    assert (event["resource"], event["path"], event["pathParameters"]) == ("/", "/", None)
    assert event["requestContext"]["resourcePath"] == "/"
    assert event["requestContext"]["path"] == "/local/"


def test_proxy_resource_carries_the_greedy_path_and_the_stage() -> None:
    event = _event("DELETE", "/models/a%20b/v1")
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/models/a b/v1"
    assert event["pathParameters"] == {"proxy": "models/a b/v1"}
    context = event["requestContext"]
    assert (context["httpMethod"], context["stage"], context["path"]) == (
        "DELETE",
        "local",
        "/local/models/a b/v1",
    )
    assert context["requestId"] == "req-1"
    assert context["identity"]["sourceIp"] == "10.1.2.3"


def test_query_string_single_value_is_the_last_and_multi_keeps_all() -> None:
    event = _event(target="/search?q=a&q=b&empty&x=%2F")
    assert event["queryStringParameters"] == {"q": "b", "empty": "", "x": "/"}
    assert event["multiValueQueryStringParameters"] == {"q": ["a", "b"], "empty": [""], "x": ["/"]}
    assert _event(target="/search")["queryStringParameters"] is None
    assert _event(target="/search")["multiValueQueryStringParameters"] is None


def test_headers_keep_repeats_and_gain_forwarding_headers() -> None:
    headers = [("Host", "h"), ("Accept", "a"), ("Accept", "b"), ("X-Forwarded-For", "1.1.1.1")]
    event = _event(headers=headers)
    assert event["headers"]["Accept"] == "b"
    assert event["multiValueHeaders"]["Accept"] == ["a", "b"]
    assert event["headers"]["X-Forwarded-For"] == "1.1.1.1, 10.1.2.3"
    assert event["headers"]["X-Amzn-Trace-Id"] == "Root=1-abc-def"
    assert event["headers"]["X-Forwarded-Port"] == "3000"


def test_body_is_text_or_base64_for_binary_and_null_when_empty() -> None:
    assert (_event(body=b"")["body"], _event(body=b"")["isBase64Encoded"]) == (None, False)
    text = _event("POST", body='{"text": "héllo"}'.encode())
    assert (text["body"], text["isBase64Encoded"]) == ('{"text": "héllo"}', False)
    binary = _event("POST", body=b"\xff\x00\xfe")
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\x00\xfe"


def test_result_maps_status_headers_and_body() -> None:
    result = {
        "statusCode": 201,
        "headers": {"X-One": "1", "Set-Cookie": "a=1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "created",
    }
    response = response_from_result(json.dumps(result).encode(), "req-1")
    assert response.status == 201
    assert response.body == b"created"
    assert [value for name, value in response.headers if name == "Set-Cookie"] == ["a=1", "b=2"]
    assert ("X-One", "1") in response.headers
    assert ("Content-Type", "application/json") in response.headers  # API Gateway's default
    assert ("x-amzn-RequestId", "req-1") in response.headers


def test_base64_result_is_decoded() -> None:
    payload = {"statusCode": 200, "body": base64.b64encode(b"\x89PNG").decode(), "isBase64Encoded": True}
    assert response_from_result(json.dumps(payload).encode(), "r").body == b"\x89PNG"


def test_missing_body_is_an_empty_response() -> None:
    assert response_from_result(b'{"statusCode": 204}', "r").body == b""


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1, 2]",
        b'"just a string"',
        b"null",
        b'{"body": "no status"}',
        b'{"statusCode": 200, "body": {"not": "a string"}}',
        b'{"statusCode": 200, "body": "x", "extra": 1}',
        b'{"statusCode": 99, "body": "x"}',
        b'{"statusCode": true, "body": "x"}',
        b'{"statusCode": 200, "headers": ["X-A"]}',
        b'{"statusCode": 200, "headers": {"X-A": {"nested": 1}}}',
        b'{"statusCode": 200, "multiValueHeaders": {"X-A": "not a list"}}',
        b'{"statusCode": 200, "body": "%%%", "isBase64Encoded": true}',
        b'{"statusCode": 200, "body": "x", "isBase64Encoded": "yes"}',
    ],
)
def test_malformed_results_are_rejected(payload: bytes) -> None:
    with pytest.raises(MalformedResult):
        response_from_result(payload, "r")
