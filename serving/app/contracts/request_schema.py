"""The POST /classify body schema as one self-contained JSON Schema draft-04 document.

``openapi.json`` states the body as one schema per request shape (``ClassifyRequest``, one text, and
``ClassifyBatchRequest``) combined with ``oneOf`` under ``ClassifyRequestBody``, the shapes sharing the
``TopK`` and ``Explain`` schemas by ``$ref``: the form client generators turn into typed request
models. An API Gateway model cannot resolve a reference into the document (it only knows references to
other models of the same API, by URL: "Data models for REST APIs", API Gateway developer guide), so the
gateway is given the same schema with every reference replaced by what it names. The handler reads its
limits from this form too; the document stays the one source of both.
"""

DRAFT_04 = "http://json-schema.org/draft-04/schema#"
REQUEST_SCHEMA_NAME = "ClassifyRequestBody"
_LOCAL_PREFIX = "#/components/schemas/"


class SchemaReferenceError(ValueError):
    """A ``$ref`` that does not name a schema of the document's ``components.schemas``, or a cycle."""


def request_schema(document: dict) -> dict:
    """``components.schemas.ClassifyRequest`` with its references inlined, under draft-04's ``$schema``."""
    schemas = document["components"]["schemas"]
    inlined = inline_references(schemas[REQUEST_SCHEMA_NAME], schemas)
    return {"$schema": DRAFT_04, **inlined}


def request_shapes(document: dict) -> list[dict]:
    """The inlined object schemas a body may match: the ``oneOf`` branches, or the one schema."""
    schema = request_schema(document)
    return schema.get("oneOf", [schema])


def inline_references(node: object, schemas: dict, seen: tuple[str, ...] = ()) -> object:
    """``node`` with each ``{"$ref": "#/components/schemas/NAME"}`` replaced by that schema, recursively.

    Draft-04 ignores the siblings of a ``$ref``, so a reference is replaced whole.
    """
    if isinstance(node, list):
        return [inline_references(item, schemas, seen) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if reference is None:
        return {key: inline_references(value, schemas, seen) for key, value in node.items()}
    local = isinstance(reference, str) and reference.startswith(_LOCAL_PREFIX)
    name = reference.removeprefix(_LOCAL_PREFIX) if local else ""
    if name not in schemas:
        raise SchemaReferenceError(f"$ref {reference!r} names no schema of components.schemas")
    if name in seen:
        raise SchemaReferenceError(f"$ref {reference!r} refers to itself (through {' -> '.join(seen)})")
    return inline_references(schemas[name], schemas, (*seen, name))
