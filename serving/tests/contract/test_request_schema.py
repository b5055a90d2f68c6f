"""The OpenAPI document's ClassifyRequest schema (API Gateway's request model) and the handler accept the
same bodies."""

import json

import pytest
from jsonschema import Draft4Validator

from serving.app import api_contract
from serving.app.contracts import api
from serving.app.contracts.request_schema import request_schema, request_shapes
from serving.tests.apigw_events import LambdaContext, rest_event
from serving.tests.openapi_document import DOCUMENT

# As the infrastructure hands it to API Gateway: the document's schema, its references inlined, under
# draft-04's $schema.
SCHEMA = request_schema(DOCUMENT)
SINGLE, BATCH = request_shapes(DOCUMENT)
VALIDATOR = Draft4Validator(SCHEMA)
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
    {"text": "a", "explain": True},
    {"text": "a", "explain": False},
    {"text": "a", "explain": 1},
    {"text": "a", "explain": api_contract.MAX_EXPLAIN_TERMS},
    {"texts": ["a", "b c"], "explain": 5, "top_k": 1},
    {"text": "a", "explain": 0},
    {"text": "a", "explain": api_contract.MAX_EXPLAIN_TERMS + 1},
    {"text": "a", "explain": -1},
    {"text": "a", "explain": "yes"},
    {"text": "a", "explain": 1.5},
    {"text": "a", "explain": 5.0},
    {"text": "a", "explain": None},
    {"text": "a", "explain": [5]},
    {"texts": ["a"], "explain": 0},
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
    return VALIDATOR.is_valid(body)


def test_the_schema_is_a_valid_draft_4_schema():
    Draft4Validator.check_schema(SCHEMA)


# What both a draft-04 model and an OpenAPI 3.0 schema object understand alike; anything else (OpenAPI's
# `nullable`, `example`, or a `$ref` into the document) would mean one thing to the gateway and another to
# the document's readers, or nothing at all.
SHARED_KEYWORDS = {
    "$schema", "title", "description", "type", "properties", "additionalProperties", "required", "items",
    "minLength", "maxLength", "pattern", "minItems", "maxItems", "minimum", "maximum", "oneOf", "enum",
}  # fmt: skip


def keywords(schema: dict) -> set[str]:
    found = set(schema)
    for name, value in schema.items():
        if name == "properties":
            found |= {key for sub in value.values() for key in keywords(sub)}
        elif name in ("items", "additionalProperties") and isinstance(value, dict):
            found |= keywords(value)
        elif name == "oneOf":
            found |= {key for sub in value for key in keywords(sub)}
    return found


def test_the_schema_uses_only_keywords_draft_4_and_openapi_share():
    assert keywords(SCHEMA) <= SHARED_KEYWORDS
    assert '"$ref"' not in json.dumps(SCHEMA)


def test_the_document_states_one_typed_schema_per_request_shape():
    """What client generators turn into request models: a oneOf of named object schemas, each with its own
    required field and no other field than the shared options, which are named schemas too."""
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["ClassifyRequestBody"]["oneOf"] == [
        {"$ref": "#/components/schemas/ClassifyRequest"},
        {"$ref": "#/components/schemas/ClassifyBatchRequest"},
    ]
    for name, field in (("ClassifyRequest", "text"), ("ClassifyBatchRequest", "texts")):
        shape = schemas[name]
        assert (shape["type"], shape["required"], shape["additionalProperties"]) == ("object", [field], False)
        assert set(shape["properties"]) == {field, "top_k", "explain"}
        assert shape["properties"]["top_k"] == {"$ref": "#/components/schemas/TopK"}
        assert shape["properties"]["explain"] == {"$ref": "#/components/schemas/Explain"}
    assert keywords(schemas["ClassifyRequestBody"]) == {"title", "description", "oneOf", "$ref"}


def test_schema_limits_are_the_handler_limits():
    assert [shape["required"] for shape in (SINGLE, BATCH)] == [["text"], ["texts"]]
    assert SINGLE["properties"]["top_k"] == BATCH["properties"]["top_k"]
    assert SINGLE["properties"]["explain"] == BATCH["properties"]["explain"]
    properties = {**SINGLE["properties"], **BATCH["properties"]}
    assert properties["text"]["maxLength"] == properties["texts"]["items"]["maxLength"] == MAX_TEXT
    assert properties["texts"]["maxItems"] == MAX_TEXTS
    assert properties["top_k"]["minimum"] == api_contract.MIN_TOP_K
    assert properties["top_k"]["maximum"] == api_contract.MAX_TOP_K
    explain_types = {option["type"]: option for option in properties["explain"]["oneOf"]}
    assert set(explain_types) == {"boolean", "integer"}
    assert explain_types["integer"]["minimum"] == api_contract.MIN_EXPLAIN_TERMS == 1
    assert explain_types["integer"]["maximum"] == api_contract.MAX_EXPLAIN_TERMS
    assert set(properties) == set(api_contract.FIELDS)


def test_the_examples_cover_both_outcomes():
    accepted = [schema_accepts(body) for body in EXAMPLES]
    assert 5 < sum(accepted) < len(EXAMPLES) - 5


@pytest.mark.parametrize("body", EXAMPLES, ids=lambda body: json.dumps(body)[:40])
def test_schema_and_handler_agree(handler, body):
    event = rest_event("POST", api.CLASSIFY, json.dumps(body))
    response = handler.lambda_handler(event, LambdaContext())
    if schema_accepts(body):
        assert response["statusCode"] == 200, response["body"]
    else:
        assert 400 <= response["statusCode"] < 500, response["body"]


# Python's, ECMAScript's and Java's regular expressions disagree on what `\s` matches (e.g. U+001C-U+001F,
# U+0085, U+00A0, U+FEFF); a pattern naming its characters means the same to the gateway and the handler.
REGEX_CLASS_ESCAPES = ("\\s", "\\S", "\\w", "\\W", "\\d", "\\D", "\\v", "\\h", "\\p", "\\P")
CHARACTERS = [chr(code) for code in (*range(0x3100), 0xFEFF) if not 0xD800 <= code < 0xE000]


def test_the_text_pattern_names_its_characters_instead_of_a_class_escape():
    patterns = [SINGLE["properties"]["text"]["pattern"], BATCH["properties"]["texts"]["items"]["pattern"]]
    assert patterns[0] == patterns[1]
    assert not [escape for escape in REGEX_CLASS_ESCAPES if escape in patterns[0]]


def test_a_one_character_text_is_blank_to_the_schema_exactly_when_it_is_to_the_handler():
    refused_by_schema = {char for char in CHARACTERS if not schema_accepts({"text": char})}
    refused_by_handler = set()
    for char in CHARACTERS:
        try:
            api_contract.parse_text(char, "text")
        except api_contract.ClientError as error:
            assert error.code == "empty_text"
            refused_by_handler.add(char)
    assert refused_by_schema == refused_by_handler == set(api_contract.BLANK_CHARACTERS)
