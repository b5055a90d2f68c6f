"""classify_request.schema.json (API Gateway's request model) and the handler accept the same bodies."""

import json
from pathlib import Path

import api_contract
import pytest
from jsonschema import Draft4Validator

from serving.tests.apigw_events import LambdaContext, rest_event

SCHEMA_PATH = Path(api_contract.__file__).parent / "classify_request.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
MAX_TEXT = api_contract.MAX_TEXT_CHARS
MAX_TEXTS = api_contract.MAX_TEXTS

EXAMPLES = [
    {"text": "a"},
    {"text": "Shares rose"},
    {"text": "  padded  "},
    {"text": "x" * MAX_TEXT},
    {"text": "x" * (MAX_TEXT + 1)},
    {"text": "é" * MAX_TEXT},
    {"text": "!!!"},
    {"text": ""},
    {"text": " "},
    {"text": "\n\t\r "},
    {"text": "\u00a0\u3000"},
    {"text": 1},
    {"text": None},
    {"text": ["a"]},
    {"text": {"a": 1}},
    {"texts": ["a"]},
    {"texts": ["a", "b c"]},
    {"texts": ["a"] * MAX_TEXTS},
    {"texts": ["a"] * (MAX_TEXTS + 1)},
    {"texts": []},
    {"texts": ["a", ""]},
    {"texts": ["a", " "]},
    {"texts": ["a", 1]},
    {"texts": ["a", None]},
    {"texts": [["a"]]},
    {"texts": "a"},
    {"texts": ["x" * (MAX_TEXT + 1)]},
    {"text": "a", "top_k": 1},
    {"text": "a", "top_k": 3},
    {"text": "a", "top_k": api_contract.MAX_TOP_K},
    {"text": "a", "top_k": api_contract.MAX_TOP_K + 1},
    {"text": "a", "top_k": 0},
    {"text": "a", "top_k": -5},
    {"text": "a", "top_k": 2.0},
    {"text": "a", "top_k": 2.5},
    {"text": "a", "top_k": "2"},
    {"text": "a", "top_k": True},
    {"text": "a", "top_k": None},
    {"texts": ["a"], "top_k": 2},
    {"text": "a", "texts": ["b"]},
    {},
    {"top_k": 2},
    {"text": "a", "extra": 1},
    {"txt": "a"},
    [],
    ["a"],
    "a",
    1,
    None,
    True,
]


def schema_accepts(body) -> bool:
    return Draft4Validator(SCHEMA).is_valid(body)


def test_the_schema_is_a_valid_draft_4_schema():
    Draft4Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"


def test_schema_limits_are_the_handler_limits():
    properties = SCHEMA["properties"]
    assert properties["text"]["maxLength"] == properties["texts"]["items"]["maxLength"] == MAX_TEXT
    assert properties["texts"]["maxItems"] == MAX_TEXTS
    assert properties["top_k"]["maximum"] == api_contract.MAX_TOP_K
    assert set(properties) == set(api_contract.FIELDS)


def test_the_examples_cover_both_outcomes():
    accepted = [schema_accepts(body) for body in EXAMPLES]
    assert 5 < sum(accepted) < len(EXAMPLES) - 5


@pytest.mark.parametrize("body", EXAMPLES, ids=lambda body: json.dumps(body)[:40])
def test_schema_and_handler_agree(handler, body):
    event = rest_event("POST", "/classify", json.dumps(body))
    response = handler.lambda_handler(event, LambdaContext())
    if schema_accepts(body):
        assert response["statusCode"] == 200, response["body"]
    else:
        assert 400 <= response["statusCode"] < 500, response["body"]
