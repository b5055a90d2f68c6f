"""Test helper: the committed OpenAPI document as an oracle: is a handler answer one the document allows?

OpenAPI 3.0 schema objects are JSON Schema draft-04 plus a few keywords; of those the document uses only
``nullable``, which is rewritten here into draft-04 (``anyOf`` with null) so that jsonschema can check
answers against the document itself rather than against a copy of it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

from serving.app import api_contract
from serving.app.contracts.request_schema import request_schema

PATH = Path(api_contract.__file__).resolve().parent / "openapi.json"
DOCUMENT: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))


def as_draft_4(node: Any) -> Any:
    """The document with every ``nullable: true`` schema turned into ``anyOf: [schema, null]``."""
    if isinstance(node, list):
        return [as_draft_4(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: as_draft_4(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") is True else converted


_ROOT = as_draft_4(DOCUMENT)


def documented(path: str, method: str) -> bool:
    return method.lower() in DOCUMENT["paths"].get(path, {})


def documented_statuses(path: str, method: str) -> set[int]:
    return {int(status) for status in DOCUMENT["paths"][path][method.lower()]["responses"]}


@functools.cache
def response_validator(path: str, method: str, status: int) -> Draft4Validator:
    """Validates a JSON answer against the document's schema for this operation and status."""
    response = DOCUMENT["paths"][path][method.lower()]["responses"][str(status)]
    pointer = response.get("$ref") or "/".join(
        ["#", "paths", path.replace("~", "~0").replace("/", "~1"), method.lower(), "responses", str(status)]
    )
    # Draft-04 ignores a $ref's siblings, so the whole document can be the root the pointer resolves in.
    return Draft4Validator({**_ROOT, "$ref": f"{pointer}/content/application~1json/schema"})


@functools.cache
def request_validator() -> Draft4Validator:
    """The POST /classify body schema, as API Gateway applies it (its references inlined)."""
    return Draft4Validator(request_schema(DOCUMENT))


def assert_documented_answer(path: str, method: str, status: int, payload: Any) -> None:
    """The status is listed for the operation and the body matches that status' schema."""
    assert status in documented_statuses(path, method), f"{method} {path} answered {status}: not documented"
    errors = [error.message for error in response_validator(path, method, status).iter_errors(payload)]
    assert not errors, f"{method} {path} {status} does not match the document: {errors[:3]}"
