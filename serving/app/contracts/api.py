"""The routes of the API: the handler answers exactly these, and the CDK app gives API Gateway the same.

Each path has one method. ``openapi.json`` documents the same paths (a contract test holds the two
together); the request limits live in that document's schema, read by ``api_contract``.
"""

PAGE = "/"  # the playground page: the one route API Gateway serves without an API key
CLASSIFY = "/classify"  # the one route with a body, which API Gateway validates against the schema
MODEL = "/model"
OPENAPI = "/openapi.json"

ROUTES = {PAGE: ("GET",), CLASSIFY: ("POST",), MODEL: ("GET",), OPENAPI: ("GET",)}

# The largest request body the handler reads (bytes); the firewall's body-size rule follows it.
MAX_BODY_BYTES = 1024 * 1024
