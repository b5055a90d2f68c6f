"""Hypothesis strategies for what API Gateway may hand the function, from well-formed to absurd.

A client controls the method, the path, the headers and the body; API Gateway wraps them in a REST
proxy event. The strategies cover both: every HTTP method (and non-methods), known and unknown paths,
headers of any shape, bodies that are valid requests, JSON of any shape, text that is not JSON, deep
nesting, bodies around the size limit, base64 bodies (valid or not, UTF-8 or not), and events with keys
missing or of the wrong type.
"""

from __future__ import annotations

import base64
import json
import string
from typing import Any

from hypothesis import strategies as st

from serving.app import api_contract
from serving.app.contracts import api
from serving.tests.apigw_events import rest_event

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT")
KNOWN_PATHS = tuple(api_contract.ROUTES)
EVENT_KEYS = tuple(rest_event("POST", api.CLASSIFY, "{}"))
JSON_CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON;CHARSET=UTF8",
    'application/json;charset="utf-8"',
)
OTHER_CONTENT_TYPES = (
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin-1",
    "application/jsonx",
    "json",
    "",
)

methods = st.one_of(
    st.sampled_from(METHODS),
    st.sampled_from(METHODS).map(str.lower),
    st.text(max_size=12),
    st.none(),
    st.integers(),
)
paths = st.one_of(
    st.sampled_from(KNOWN_PATHS),
    st.sampled_from(KNOWN_PATHS).map(lambda path: path + "/"),
    st.sampled_from(KNOWN_PATHS).map(str.upper),
    st.sampled_from(
        ("/", "", "//classify", f"{api.CLASSIFY}?x=1", f"/prod{api.CLASSIFY}", f"{api.MODEL}/../classify")
    ),
    st.text(max_size=30).map(lambda text: "/" + text),
    st.none(),
    st.integers(),
)
content_types = st.one_of(
    st.sampled_from(JSON_CONTENT_TYPES), st.sampled_from(OTHER_CONTENT_TYPES), st.text(max_size=40)
)
header_names = st.one_of(
    st.sampled_from(("Content-Type", "content-type", "CONTENT-TYPE", "Origin", "Accept", "X-Api-Key")),
    st.text(max_size=20),
)
header_values = st.one_of(
    st.text(max_size=60), st.none(), st.integers(), st.lists(st.text(max_size=20), max_size=3)
)
odd_headers = st.one_of(
    st.none(),
    st.dictionaries(header_names, header_values, max_size=6),
    st.lists(st.text(max_size=10), max_size=3),
    st.text(max_size=20),
)
odd_multi_value_headers = st.one_of(
    st.none(),
    st.dictionaries(header_names, st.one_of(st.lists(header_values, max_size=3), header_values), max_size=6),
    st.text(max_size=20),
)

# JSON values of any shape, with the request's own field names over-represented so that near misses
# (right keys, wrong types or values) are common.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(
            st.one_of(st.sampled_from(api_contract.FIELDS), st.text(max_size=8)), children, max_size=5
        ),
    ),
    max_leaves=25,
)
near_miss_requests = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(st.text(max_size=40), json_values),
        "texts": st.one_of(st.lists(st.one_of(st.text(max_size=20), json_values), max_size=6), json_values),
        "top_k": st.one_of(st.integers(min_value=-5, max_value=105), json_values),
        "explain": st.one_of(st.booleans(), st.integers(min_value=-5, max_value=55), json_values),
        "topk": json_values,
    },
)

# Valid requests, as the document's ClassifyRequest schema describes them.
texts = st.text(min_size=1, max_size=400).filter(lambda text: text.strip(api_contract.BLANK_CHARACTERS))
options = {
    "top_k": st.integers(1, api_contract.MAX_TOP_K),
    "explain": st.one_of(st.booleans(), st.integers(1, api_contract.MAX_EXPLAIN_TERMS)),
}
valid_requests = st.one_of(
    st.fixed_dictionaries({"text": texts}, optional=options),
    st.fixed_dictionaries({"texts": st.lists(texts, min_size=1, max_size=40)}, optional=options),
)


@st.composite
def json_text(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> str:
    """A JSON document for a value, written the ways clients write it (ASCII-escaped or not, spaced)."""
    value = draw(values)
    ensure_ascii, indent = draw(st.booleans()), draw(st.sampled_from((None, 0, 2)))
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)


@st.composite
def deeply_nested(draw: st.DrawFn) -> str:
    """Arrays or objects nested up to beyond the 1 MiB limit: parsing must neither crash nor recurse out."""
    depth = draw(st.integers(1, 600_000))
    opening, closing = draw(st.sampled_from((("[", "]"), ('{"text":', "}"), ('{"texts":[', "]}"))))
    inner = draw(st.sampled_from(("", '"a"', "1", "null")))
    return opening * depth + inner + closing * draw(st.sampled_from((depth, 0, depth // 2)))


@st.composite
def around_the_size_limit(draw: st.DrawFn) -> str:
    """A ``text`` request whose body is a few bytes under or over 1 MiB, in 1- to 4-byte characters."""
    character = draw(st.sampled_from(("a", "é", "€", "😀", "\\u00e9")))
    width = len(character.encode("utf-8"))
    target = api_contract.MAX_BODY_BYTES + draw(st.integers(-64, 64))
    return '{"text": "' + character * max(1, (target - 12) // width) + '"}'


non_json_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        ('{"text": "a"', '{"text": NaN}', "[1,]", "{'text': 'a'}", '"a" "b"', "\x00", "\ufeff{}")
    ),
    st.just('{"text": "a", "top_k": ' + "9" * 5000 + "}"),
)
any_body_text = st.one_of(
    json_text(valid_requests),
    json_text(near_miss_requests),
    json_text(json_values),
    non_json_text,
    deeply_nested(),
    around_the_size_limit(),
)
base64_alphabet = string.ascii_letters + string.digits + "+/="
invalid_base64 = st.one_of(
    st.text(alphabet=base64_alphabet + "-_!*é \n", max_size=60),
    st.text(max_size=30),
)


@st.composite
def any_body(draw: st.DrawFn) -> tuple[Any, Any]:
    """``(body, isBase64Encoded)`` as an event may carry them, including values API Gateway never sends."""
    kind = draw(st.sampled_from(("text", "base64", "bytes", "invalid base64", "odd")))
    if kind == "text":
        return draw(any_body_text), draw(st.sampled_from((False, None)))
    if kind == "base64":
        return base64.b64encode(draw(any_body_text).encode("utf-8", "surrogatepass")).decode(), True
    if kind == "bytes":
        return base64.b64encode(draw(st.binary(max_size=200))).decode(), True
    if kind == "invalid base64":
        return draw(invalid_base64), True
    return draw(st.one_of(st.none(), st.just(""), json_values)), draw(st.one_of(st.booleans(), json_scalars))


@st.composite
def events(draw: st.DrawFn) -> Any:
    """A proxy event with any method, path, headers and body; some keys dropped or of the wrong type."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.one_of(st.none(), json_scalars, st.lists(json_scalars, max_size=3)))
    event = rest_event("POST", api.CLASSIFY, None)
    event["httpMethod"], event["path"] = draw(methods), draw(paths)
    event["body"], event["isBase64Encoded"] = draw(any_body())
    headers = {"Content-Type": draw(content_types)} if draw(st.booleans()) else draw(odd_headers)
    event["headers"] = headers
    event["multiValueHeaders"] = draw(
        st.one_of(
            st.just({k: [v] for k, v in headers.items()} if isinstance(headers, dict) else None),
            odd_multi_value_headers,
        )
    )
    for key in draw(st.sets(st.sampled_from(EVENT_KEYS), max_size=4)):
        event.pop(key)
    for key in draw(st.sets(st.sampled_from(("requestContext", "queryStringParameters", "pathParameters")))):
        event[key] = draw(json_values)
    return event
