"""Errors API Gateway answers by itself, rewritten into the handler's JSON error shape.

Without these, a request the gateway rejects (bad body, missing key, throttled, ...) gets
`{"message": ...}` while the handler answers `{"error": {"code": ..., "message": ...}}`; clients
would have to parse two shapes. Gateway response templates only substitute variables (no VTL), so
the message is `$context.error.messageString`, which API Gateway already renders as a quoted,
escaped JSON string.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw


@dataclass(frozen=True)
class GatewayError:
    """One gateway response type: the status it answers with (None keeps API Gateway's) and its code."""

    response_type: str
    status: str | None
    code: str


# Codes the handler also uses are spelled the same (not_found, body_too_large, unsupported_media_type,
# internal_error). Bodies that fail the request model are refused here, before the handler, with 400.
GATEWAY_ERRORS: tuple[GatewayError, ...] = (
    GatewayError("BAD_REQUEST_BODY", "400", "invalid_body"),
    GatewayError("BAD_REQUEST_PARAMETERS", "400", "invalid_parameters"),
    GatewayError("INVALID_API_KEY", "403", "invalid_api_key"),
    GatewayError("ACCESS_DENIED", "403", "forbidden"),
    # A request the stage's AWS WAF web ACL blocked (a rule's match, the rate limit, the allow-list).
    GatewayError("WAF_FILTERED", "403", "forbidden"),
    # Every route has a catch-all, so this only fires for paths the API cannot route at all.
    GatewayError("MISSING_AUTHENTICATION_TOKEN", "404", "not_found"),
    GatewayError("RESOURCE_NOT_FOUND", "404", "not_found"),
    GatewayError("REQUEST_TOO_LARGE", "413", "body_too_large"),
    GatewayError("UNSUPPORTED_MEDIA_TYPE", "415", "unsupported_media_type"),
    GatewayError("THROTTLED", "429", "throttled"),
    GatewayError("QUOTA_EXCEEDED", "429", "quota_exceeded"),
    GatewayError("INTEGRATION_TIMEOUT", "504", "timeout"),
    # Anything else keeps its own status code and gets a generic code.
    GatewayError("DEFAULT_4XX", None, "bad_request"),
    GatewayError("DEFAULT_5XX", None, "internal_error"),
)


def error_template(code: str) -> str:
    """The JSON body template for one gateway error."""
    return f'{{"error": {{"code": "{code}", "message": $context.error.messageString}}}}'


def add_gateway_errors(api: apigw.RestApi, extra_headers: dict[str, str]) -> None:
    """Attach every gateway error to `api`, each answering JSON with `extra_headers` (e.g. CORS)."""
    headers = {"Content-Type": "'application/json'", **extra_headers}
    for error in GATEWAY_ERRORS:
        api.add_gateway_response(
            f"Gateway{error.response_type.title().replace('_', '')}",
            type=apigw.ResponseType.of(error.response_type),
            status_code=error.status,
            response_headers=headers,
            templates={"application/json": error_template(error.code)},
        )
