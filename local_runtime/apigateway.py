"""API Gateway REST API (Lambda proxy integration) translation: request -> event, result -> response.

The API is modelled as LambdaRestApi builds it: `ANY /` plus `ANY /{proxy+}`, one stage, no authorizer.
Event fields follow the documented proxy input format (version 1.0); the result must follow the proxy
output format, and anything else is a 502, because that is what the real service answers.

Binary bodies: a request body that is not UTF-8 reaches the function base64-encoded with
`isBase64Encoded: true`, and a result with `isBase64Encoded: true` is decoded, as API Gateway does when
binary media types are configured for them.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

ACCOUNT_ID = "123456789012"
API_ID = "local00000"
RESULT_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
# Set by the gateway itself, never taken from the function's result.
_GATEWAY_HEADERS = {"content-length", "connection", "transfer-encoding", "date", "server"}


class MalformedResult(ValueError):
    """The function's result is not a valid Lambda proxy response (API Gateway answers 502)."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # the request line's path and query, as received
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def build_event(request: HttpRequest, *, stage: str, port: int, request_id: str, trace_id: str) -> dict:
    """The event API Gateway passes to a Lambda proxy integration for this request."""
    url = urlsplit(request.target)
    path = unquote(url.path) or "/"
    resource = "/" if path == "/" else "/{proxy+}"
    headers = _forwarded_headers(request, port, trace_id)
    query = parse_qsl(url.query, keep_blank_values=True)
    body, is_base64 = _event_body(request.body)
    now = time.time()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": _single_values(headers),
        "multiValueHeaders": _multi_values(headers),
        "queryStringParameters": _single_values(query),
        "multiValueQueryStringParameters": _multi_values(query),
        "pathParameters": None if resource == "/" else {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "root00" if resource == "/" else "proxy0",
            "resourcePath": resource,
            "httpMethod": request.method,
            "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:10]).decode(),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": request.protocol,
            "stage": stage,
            "domainPrefix": API_ID,
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": _identity(request, headers),
            "domainName": _header(headers, "Host") or f"127.0.0.1:{port}",
            "deploymentId": "local0",
            "apiId": API_ID,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def response_from_result(payload: bytes, request_id: str) -> HttpResponse:
    """The HTTP response for a function result; raises MalformedResult when API Gateway would 502."""
    try:
        result = json.loads(payload)
    except ValueError as error:
        raise MalformedResult(f"result is not JSON: {error}") from error
    if not isinstance(result, dict):
        raise MalformedResult(f"result must be a JSON object, got {type(result).__name__}")
    unknown = sorted(set(result) - RESULT_KEYS)
    if unknown:
        raise MalformedResult(f"unexpected keys {unknown}; allowed: {sorted(RESULT_KEYS)}")
    headers = _merge_headers(result.get("headers"), result.get("multiValueHeaders"))
    if _header(headers, "Content-Type") is None:
        headers.append(("Content-Type", "application/json"))
    headers.append(("x-amzn-RequestId", request_id))
    return HttpResponse(_status(result.get("statusCode")), headers, _body(result))


def gateway_error(status: int, message: str, request_id: str) -> HttpResponse:
    """API Gateway's own error responses, e.g. 502 `{"message": "Internal server error"}`."""
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    return HttpResponse(status, headers, json.dumps({"message": message}).encode())


def _forwarded_headers(request: HttpRequest, port: int, trace_id: str) -> list[tuple[str, str]]:
    """The client's headers plus the ones API Gateway adds on the way in."""
    forwarded_for = _header(request.headers, "X-Forwarded-For")
    added = {
        "X-Forwarded-For": f"{forwarded_for}, {request.source_ip}" if forwarded_for else request.source_ip,
        "X-Forwarded-Port": str(port),
        "X-Forwarded-Proto": "http",
        "X-Amzn-Trace-Id": trace_id,
    }
    replaced = {name.lower() for name in added}
    kept = [(name, value) for name, value in request.headers if name.lower() not in replaced]
    return kept + list(added.items())


def _event_body(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def _single_values(pairs: list[tuple[str, str]]) -> dict[str, str] | None:
    """Last value wins, as in the proxy event's single-value maps; None when there are none."""
    return dict(pairs) or None


def _multi_values(pairs: list[tuple[str, str]]) -> dict[str, list[str]] | None:
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return values or None


def _identity(request: HttpRequest, headers: list[tuple[str, str]]) -> dict:
    identity: dict[str, str | None] = {
        key: None
        for key in (
            "cognitoIdentityPoolId",
            "accountId",
            "cognitoIdentityId",
            "caller",
            "apiKey",
            "apiKeyId",
            "accessKey",
            "principalOrgId",
            "cognitoAuthenticationType",
            "cognitoAuthenticationProvider",
            "userArn",
            "user",
        )
    }
    identity["sourceIp"] = request.source_ip
    identity["userAgent"] = _header(headers, "User-Agent")
    return identity


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The last value of a header, matched case-insensitively."""
    values = [value for key, value in headers if key.lower() == name.lower()]
    return values[-1] if values else None


def _status(value: object) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise MalformedResult(f"statusCode must be an HTTP status code, got {value!r}")
    return value


def _merge_headers(single: object, multi: object) -> list[tuple[str, str]]:
    """`multiValueHeaders` first; a `headers` pair is added unless the same name/value pair is there."""
    single_pairs = [(name, value) for name, value in _header_map(single, "headers").items()]
    multi_pairs = []
    for name, values in _header_map(multi, "multiValueHeaders").items():
        if not isinstance(values, list):
            raise MalformedResult(f"multiValueHeaders[{name!r}] must be a list")
        multi_pairs.extend((name, value) for value in values)
    pairs = [(name, _header_value(value, name)) for name, value in multi_pairs]
    seen = {(name.lower(), value) for name, value in pairs}
    for name, value in single_pairs:
        text = _header_value(value, name)
        if (name.lower(), text) not in seen:
            pairs.append((name, text))
    return [(name, value) for name, value in pairs if name.lower() not in _GATEWAY_HEADERS]


def _header_map(value: object, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedResult(f"{field} must be an object")
    return value


def _header_value(value: object, name: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResult(f"header {name!r} has a non-scalar value {value!r}")


def _body(result: dict) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResult(f"body must be a string, got {type(body).__name__}")
    is_base64 = result.get("isBase64Encoded", False)
    if not isinstance(is_base64, bool):
        raise MalformedResult("isBase64Encoded must be a boolean")
    if not is_base64:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error as error:
        raise MalformedResult(f"isBase64Encoded is true but body is not base64: {error}") from error
