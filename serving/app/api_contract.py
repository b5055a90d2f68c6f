"""The HTTP contract of the API: routing, request parsing and validation, response formatting.

Pure functions over API Gateway REST (v1 proxy) events and plain values: no model, and no I/O but reading
``openapi.json`` once at import. Every client mistake becomes a ``ClientError`` carrying the HTTP status
and a stable machine-readable code, so that a bad request can never surface as a 5xx. ``openapi.json``
documents the same routes, codes and body rules (API Gateway validates bodies against its
``ClassifyRequest`` schema), and is the single source of the request limits it can state: they are read
from that schema here, so the gateway and the handler cannot disagree; tests hold the rest together.

Error codes:
    400 invalid_event, missing_body, invalid_base64, invalid_encoding, malformed_json, missing_field,
        conflicting_fields, empty_text, empty_list
    404 not_found          405 method_not_allowed (with an ``Allow`` header)
    410 route_moved        (an unversioned path of API versions before 3.0.0; the message names its route)
    413 body_too_large, text_too_long, too_many_texts
    415 unsupported_media_type
    422 invalid_type, invalid_top_k, invalid_explain, unknown_field (unknown fields are refused so that a
        typo such as ``topk`` fails loudly instead of being silently ignored)
    500 internal_error     (no details: the trace goes to the log only)
"""

import base64
import json
import os
from typing import Any, NamedTuple

from .contracts.api import MAX_BODY_BYTES, RETIRED, ROUTES
from .contracts.request_schema import request_shapes
from .families.protocol import Explanation, Prediction

OPENAPI_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi.json")


def load_openapi_document(path: str | os.PathLike) -> dict[str, Any]:
    """The OpenAPI document; a missing or broken one is a packaging mistake, named with its fix."""
    try:
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    except (OSError, ValueError) as error:
        raise OpenApiDocumentError(
            path,
            f"{path} cannot be read as JSON ({error}): the image must carry serving/app/openapi.json "
            "beside handler.py (the Dockerfile copies the folder; .dockerignore must let the file in); "
            "restore the file from git.",
        ) from error


class OpenApiDocumentError(RuntimeError):
    """``openapi.json`` is missing or not JSON: the handler cannot start without its limits."""

    def __init__(self, path: str | os.PathLike, message: str):
        super().__init__(message)
        self.path = path


# Read once, at import (Lambda's init phase); the handler serves this same document.
OPENAPI = load_openapi_document(OPENAPI_PATH)
# The request shapes (one text, a batch) with their shared schemas inlined, as API Gateway validates them;
# every field any shape allows, by name (a field two shapes share is the same schema in both).
_REQUEST_PROPERTIES = {
    name: schema for shape in request_shapes(OPENAPI) for name, schema in shape["properties"].items()
}

# Limits. The body limit bounds the work per request; text and batch limits bound the response:
# MAX_TEXTS x MAX_TOP_K scores of ~64 bytes is ~1.6 MB, far below Lambda's 6 MB synchronous payload
# limit (beyond it API Gateway answers 502 after the handler succeeded). Those the request schema states
# are read from it; the body size and the defaults of top_k and of explain: true, which a draft-04 model
# cannot state, are only here (the document's prose repeats them; a test holds the two together).
DEFAULT_TOP_K = 3
DEFAULT_EXPLAIN_TERMS = 10
MAX_TEXT_CHARS: int = _REQUEST_PROPERTIES["text"]["maxLength"]
MAX_TEXTS: int = _REQUEST_PROPERTIES["texts"]["maxItems"]
MIN_TOP_K: int = _REQUEST_PROPERTIES["top_k"]["minimum"]
MAX_TOP_K: int = _REQUEST_PROPERTIES["top_k"]["maximum"]
# explain is true, false or a number of terms: the schema's integer alternative holds the range.
_EXPLAIN_TERMS = next(
    option for option in _REQUEST_PROPERTIES["explain"]["oneOf"] if option.get("type") == "integer"
)
MIN_EXPLAIN_TERMS: int = _EXPLAIN_TERMS["minimum"]
MAX_EXPLAIN_TERMS: int = _EXPLAIN_TERMS["maximum"]

# What "only whitespace" means: ASCII spacing only. It is the one whitespace set that Python, API
# Gateway's (Java) and JSON Schema's (ECMAScript) regular expressions agree on, so the request schema's
# pattern (at least one character outside it) refuses exactly the texts this module refuses.
BLANK_CHARACTERS = " \t\n\v\f\r"
FIELDS = tuple(_REQUEST_PROPERTIES)  # text, top_k, explain, texts
JSON_HEADERS = {"Content-Type": "application/json"}
_MAX_BASE64_CHARS = 4 * -(-MAX_BODY_BYTES // 3)
_MAX_ECHO_CHARS = 40


class ClientError(Exception):
    """A request the client must fix: HTTP status, stable error code, human-readable reason."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class ClassifyRequest(NamedTuple):  # a NamedTuple: a dataclass costs milliseconds of cold start
    """A validated POST /classify body; ``batch`` is true for the ``texts`` form; ``explain`` is the number
    of terms each explanation lists, 0 for no explanation."""

    texts: list[str]
    top_k: int
    batch: bool
    explain: int = 0


def match_route(event: Any) -> str:
    """``"METHOD /path"`` of a known route (``contracts.api``), or 404 for an unknown path, 405 for a wrong
    method, 410 for a retired unversioned path (naming the route that replaced it)."""
    if not isinstance(event, dict):
        raise ClientError(400, "invalid_event", "expected an API Gateway REST proxy event")
    method, path = event.get("httpMethod"), event.get("path")
    allowed = ROUTES.get(path) if isinstance(path, str) else None
    if allowed is None and isinstance(path, str) and path in RETIRED:
        moved_to = RETIRED[path]
        raise ClientError(
            410,
            "route_moved",
            f"{path} was retired in API version 3.0.0; use {', '.join(ROUTES[moved_to])} {moved_to}",
        )
    if allowed is None:
        routes = ", ".join(f"{' '.join(methods)} {route}" for route, methods in ROUTES.items())
        raise ClientError(404, "not_found", f"no resource {_echo(path)}; the routes are {routes}")
    if method not in allowed:
        raise ClientError(
            405,
            "method_not_allowed",
            f"{_echo(method)} is not allowed on {path}; use {', '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )
    return f"{method} {path}"


def header(event: dict[str, Any], name: str) -> str | None:
    """A request header by case-insensitive name (``headers`` first, then ``multiValueHeaders``)."""
    name = name.lower()
    headers, multi_value_headers = event.get("headers"), event.get("multiValueHeaders")
    for key, value in headers.items() if isinstance(headers, dict) else ():
        if key.lower() == name and isinstance(value, str):
            return value
    for key, values in multi_value_headers.items() if isinstance(multi_value_headers, dict) else ():
        if key.lower() == name and isinstance(values, list) and values:
            return values[0]
    return None


def read_json_body(event: dict[str, Any]) -> Any:
    """The parsed JSON body, after the content type (415) and size (413) are checked, before parsing."""
    check_content_type(header(event, "content-type"))
    body = event.get("body")
    if body is None or body == "":
        raise ClientError(400, "missing_body", 'the request has no body; send {"text": "..."}')
    if not isinstance(body, str):
        raise ClientError(400, "invalid_event", "the event body must be a string")
    text = _decode_base64(body) if event.get("isBase64Encoded") else _check_size(body)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        reason = f"the body is not valid JSON ({_echo_error(error)})"
        raise ClientError(400, "malformed_json", reason) from None


def check_content_type(value: str | None) -> None:
    """Only ``application/json`` (parameters allowed; a charset, if any, must be UTF-8)."""
    media_type, _, parameters = (value or "").partition(";")
    charsets = [
        argument.strip().strip('"').lower()
        for name, _, argument in (p.partition("=") for p in parameters.split(";"))
        if name.strip().lower() == "charset"
    ]
    if media_type.strip().lower() != "application/json" or any(c not in ("utf-8", "utf8") for c in charsets):
        raise ClientError(
            415, "unsupported_media_type", "send the body as JSON with Content-Type: application/json"
        )


def _check_size(body: str) -> str:
    if len(body) > MAX_BODY_BYTES or len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise _body_too_large()
    return body


def _decode_base64(body: str) -> str:
    if len(body) > _MAX_BASE64_CHARS:
        raise _body_too_large()
    try:
        data = base64.b64decode(body, validate=True)
    except ValueError:
        raise ClientError(400, "invalid_base64", "the body is marked base64-encoded but is not") from None
    if len(data) > MAX_BODY_BYTES:
        raise _body_too_large()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ClientError(400, "invalid_encoding", "the body is not UTF-8 text") from None


def _body_too_large() -> ClientError:
    return ClientError(413, "body_too_large", f"the body exceeds {MAX_BODY_BYTES} bytes")


def _reject_constant(name: str) -> Any:
    """Python's json accepts NaN and Infinity; JSON does not."""
    raise ValueError(f"{name} is not a JSON value")


def parse_classify_request(document: Any) -> ClassifyRequest:
    """Validates a parsed POST /classify body: exactly one of ``text``/``texts``, optional ``top_k`` and
    ``explain``."""
    if not isinstance(document, dict):
        raise ClientError(422, "invalid_type", "the body must be a JSON object")
    unknown = [key for key in document if key not in FIELDS]
    if unknown:
        raise ClientError(
            422, "unknown_field", f"unknown field {_echo(unknown[0])}; allowed: {', '.join(FIELDS)}"
        )
    if "text" in document and "texts" in document:
        raise ClientError(400, "conflicting_fields", "send either 'text' or 'texts', not both")
    top_k = parse_top_k(document.get("top_k", DEFAULT_TOP_K))
    explain = parse_explain(document.get("explain", False))
    if "text" in document:
        texts = [parse_text(document["text"], "text")]
        return ClassifyRequest(texts=texts, top_k=top_k, batch=False, explain=explain)
    if "texts" in document:
        return ClassifyRequest(texts=parse_texts(document["texts"]), top_k=top_k, batch=True, explain=explain)
    raise ClientError(400, "missing_field", "the body needs a 'text' string or a 'texts' list")


def parse_top_k(value: Any) -> int:
    """An integer in MIN_TOP_K..MAX_TOP_K (JSON ``3.0`` and booleans are not integers)."""
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_TOP_K <= value <= MAX_TOP_K:
        raise ClientError(422, "invalid_top_k", f"top_k must be an integer from {MIN_TOP_K} to {MAX_TOP_K}")
    return value


def parse_explain(value: Any) -> int:
    """The number of terms to explain with: true means DEFAULT_EXPLAIN_TERMS, false 0 (no explanation),
    else an integer in MIN_EXPLAIN_TERMS..MAX_EXPLAIN_TERMS (JSON ``5.0`` is not an integer)."""
    if isinstance(value, bool):
        return DEFAULT_EXPLAIN_TERMS if value else 0
    if not isinstance(value, int) or not MIN_EXPLAIN_TERMS <= value <= MAX_EXPLAIN_TERMS:
        raise ClientError(
            422,
            "invalid_explain",
            f"explain must be true, false or an integer from {MIN_EXPLAIN_TERMS} to {MAX_EXPLAIN_TERMS}",
        )
    return value


def parse_text(value: Any, name: str) -> str:
    """A string of at most MAX_TEXT_CHARS characters with at least one non-whitespace character."""
    if not isinstance(value, str):
        raise ClientError(422, "invalid_type", f"{name} must be a string")
    if len(value) > MAX_TEXT_CHARS:
        raise ClientError(
            413, "text_too_long", f"{name} has {len(value)} characters; the limit is {MAX_TEXT_CHARS}"
        )
    if not value.strip(BLANK_CHARACTERS):
        raise ClientError(400, "empty_text", f"{name} is empty or only whitespace")
    return value


def parse_texts(value: Any) -> list[str]:
    """A non-empty list of at most MAX_TEXTS valid texts."""
    if not isinstance(value, list):
        raise ClientError(422, "invalid_type", "texts must be a list of strings")
    if not value:
        raise ClientError(400, "empty_list", "texts is an empty list")
    if len(value) > MAX_TEXTS:
        raise ClientError(413, "too_many_texts", f"texts has {len(value)} items; the limit is {MAX_TEXTS}")
    return [parse_text(item, f"texts[{index}]") for index, item in enumerate(value)]


def classify_response(
    request: ClassifyRequest,
    predictions: list[Prediction],
    version: str,
    explanations: list[Explanation] | None = None,
) -> dict:
    """200 with one prediction (``text``) or the list of predictions in input order (``texts``), each with
    its explanation when ``explanations`` (in the same order) are given."""
    model = {"version": version}
    items = [_prediction(prediction) for prediction in predictions]
    for item, explanation in zip(items, explanations or (), strict=False):
        item["explanation"] = _explanation(explanation)
    if request.batch:
        return json_response(200, {"predictions": items, "model": model})
    return json_response(200, {**items[0], "model": model})


def _prediction(prediction: Prediction) -> dict[str, Any]:
    return {"label": prediction.label, "scores": dict(prediction.scores)}


def _explanation(explanation: Explanation) -> dict[str, Any]:
    terms = [{"term": term, "contribution": contribution} for term, contribution in explanation.terms]
    return {
        "label": explanation.label,
        "score": explanation.score,
        "intercept": explanation.intercept,
        "terms": terms,
    }


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway proxy response with a JSON body."""
    return json_text_response(status, to_json(payload), headers)


def to_json(payload: Any) -> str:
    """Compact JSON, UTF-8 as is, and never NaN or Infinity (not JSON; clients would choke).

    A lone surrogate (a character n-gram explaining a text that held one) has no UTF-8 form, and a body
    holding it would fail in the runtime: such a payload is written with ASCII escapes (``\\ud800``).
    """
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text


def json_text_response(status: int, body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway proxy response whose body is already JSON text (e.g. serialized once at init)."""
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": body,
        "isBase64Encoded": False,
    }


def cors_headers(request_origin: str | None, allowed_origins: tuple[str, ...]) -> dict[str, str]:
    """The CORS header for a browser origin this deployment allows; none for any other caller.

    API Gateway answers the preflight; with a proxy integration the actual answer must carry the header.
    """
    if "*" in allowed_origins:
        return {"Access-Control-Allow-Origin": "*"}
    if request_origin and request_origin in allowed_origins:
        return {"Access-Control-Allow-Origin": request_origin, "Vary": "Origin"}
    return {}


def error_response(error: ClientError) -> dict[str, Any]:
    """The JSON error body every client mistake gets."""
    return json_response(
        error.status, {"error": {"code": error.code, "message": error.message}}, error.headers
    )


def internal_error_response(request_id: str | None) -> dict[str, Any]:
    """500 without details: what went wrong is in the log, found by the request id, never in the response."""
    message = f"internal error; quote request id {request_id}" if request_id else "internal error"
    return json_response(500, {"error": {"code": "internal_error", "message": message}})


def _echo(value: Any) -> str:
    """Client-supplied names echoed in messages are shortened: a reason, not a mirror."""
    text = repr(value)
    return text if len(text) <= _MAX_ECHO_CHARS else text[: _MAX_ECHO_CHARS - 3] + "..."


def _echo_error(error: Exception) -> str:
    """JSON decoder messages name a position, never the body; a recursion error says nothing useful."""
    return "nested too deeply" if isinstance(error, RecursionError) else str(error)
