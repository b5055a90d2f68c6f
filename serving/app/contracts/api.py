"""The routes of the API: the handler answers exactly these, and the CDK app gives API Gateway the same.

Each path has one method. ``openapi.json`` documents the same paths (a contract test holds the two
together); the request limits live in that document's schema, read by ``api_contract``.

The API's routes live under a version prefix, ``/v1``; a change that breaks clients comes with a new
major ``info.version`` in the document (``make check-api`` enforces it). The playground page is for people,
not programs: it stays at the stage's root and sends its requests to the versioned route.
"""

VERSION_PREFIX = "/v1"
PAGE = "/"  # the playground page: the one route API Gateway serves without an API key
CLASSIFY = f"{VERSION_PREFIX}/classify"  # the one route with a body, which API Gateway validates
MODEL = f"{VERSION_PREFIX}/model"
OPENAPI = f"{VERSION_PREFIX}/openapi.json"

ROUTES = {PAGE: ("GET",), CLASSIFY: ("POST",), MODEL: ("GET",), OPENAPI: ("GET",)}

# The unversioned paths of API versions before 3.0.0, retired: any request to one is answered 410
# route_moved with the route that replaced it, so an old client fails with its fix instead of a bare 404.
RETIRED = {"/classify": CLASSIFY, "/model": MODEL, "/openapi.json": OPENAPI}

# The largest request body the handler reads (bytes); the firewall's body-size rule follows it.
MAX_BODY_BYTES = 1024 * 1024
