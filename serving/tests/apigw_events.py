"""Test helper: API Gateway REST (v1 proxy) events and Lambda contexts, shaped as AWS sends them."""

import base64
import uuid
from dataclasses import dataclass, field

from serving.app.contracts import api

KNOWN_RESOURCES = ("/", api.CLASSIFY, api.MODEL)


def rest_event(
    method: str,
    path: str,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    base64_encode: bool = False,
    query: dict[str, str] | None = None,
) -> dict:
    """A REST proxy event. ``headers`` replaces the default client headers when given (use ``{}`` for none);
    ``base64_encode`` sends the body as API Gateway does for binary media types."""
    if headers is None:
        headers = {"Content-Type": "application/json"} if method == "POST" else {}
    headers = {
        "Accept": "*/*",
        "Host": "abc123defg.execute-api.eu-west-1.amazonaws.com",
        "User-Agent": "curl/8.5.0",
        "X-Amzn-Trace-Id": "Root=1-6741a2b3-0123456789abcdef01234567",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **headers,
    }
    if isinstance(body, bytes) or base64_encode:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        body = base64.b64encode(raw).decode("ascii")
        base64_encode = True
    resource = path if path in KNOWN_RESOURCES else "/{proxy+}"
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")} if resource == "/{proxy+}" else None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "a1b2c3",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": "BxYzAbCdEfGhIjK=",
            "requestTime": "23/Nov/2026:12:00:00 +0000",
            "path": f"/prod{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": "prod",
            "domainPrefix": "abc123defg",
            "requestTimeEpoch": 1795435200000,
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": "203.0.113.7",
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": "curl/8.5.0",
                "user": None,
                "apiKey": None,
                "apiKeyId": None,
            },
            "domainName": "abc123defg.execute-api.eu-west-1.amazonaws.com",
            "apiId": "abc123defg",
        },
        "body": body,
        "isBase64Encoded": base64_encode,
    }


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object the handler may read."""

    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "text-classifier"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:text-classifier"
    log_group_name: str = "/aws/lambda/text-classifier"
    log_stream_name: str = "2026/11/23/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000
