"""Over real HTTP through the real runtime interface client: what the function sees, what the client gets."""

import base64
import os
from pathlib import Path

RESPONSES_HANDLER = """\
import base64

def lambda_handler(event, context):
    if event["path"] == "/binary":
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}
    if event["path"] == "/cookies":
        return {"statusCode": 201, "headers": {"X-Single": "one"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": "made"}
    return {"statusCode": 404, "body": '{"error": "no route"}'}
"""


def test_event_reaches_the_handler_as_api_gateway_builds_it(serve, http) -> None:
    running = serve()
    headers = {"Content-Type": "application/json", "X-Custom": "yes"}
    reply = http(running.url, "POST", "/classify/batch?lang=en&lang=fr", b'{"text": "hi"}', headers)
    assert reply.status == 200
    event = reply.json()["event"]
    assert event["httpMethod"] == "POST"
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/classify/batch"
    assert event["pathParameters"] == {"proxy": "classify/batch"}
    assert event["queryStringParameters"] == {"lang": "fr"}
    assert event["multiValueQueryStringParameters"] == {"lang": ["en", "fr"]}
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["headers"]["X-Custom"] == "yes"
    assert event["multiValueHeaders"]["X-Custom"] == ["yes"]
    assert event["body"] == '{"text": "hi"}'
    assert event["isBase64Encoded"] is False
    assert event["stageVariables"] is None
    context = event["requestContext"]
    assert context["stage"] == "local"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] == reply.headers["x-amzn-RequestId"]


def test_binary_request_body_arrives_base64_encoded(serve, http) -> None:
    running = serve()
    payload = bytes(range(256))
    event = http(running.url, "PUT", "/upload", payload, {"Content-Type": "application/octet-stream"}).json()[
        "event"
    ]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_chunked_request_body_is_reassembled(serve, http) -> None:
    body = b'{"text": "sent in pieces by a streaming client"}'
    event = http(serve().url, "POST", "/classify", body, chunked=True).json()["event"]
    assert event["headers"]["Transfer-Encoding"] == "chunked"
    assert event["body"] == body.decode()


def test_empty_get_has_null_body_and_query(serve, http) -> None:
    event = http(serve().url, "GET", "/").json()["event"]
    assert (event["resource"], event["body"], event["queryStringParameters"]) == ("/", None, None)


def test_handler_result_becomes_the_http_response(serve, http) -> None:
    running = serve(RESPONSES_HANDLER)
    cookies = http(running.url, "GET", "/cookies")
    assert cookies.status == 201
    assert cookies.body == b"made"
    assert cookies.headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert cookies.headers["X-Single"] == "one"
    assert cookies.headers["Content-Type"] == "application/json"
    binary = http(running.url, "GET", "/binary")
    assert (binary.status, binary.headers["Content-Type"], binary.body) == (
        200,
        "image/png",
        bytes(range(256)),
    )
    missing = http(running.url, "GET", "/nowhere")
    assert (missing.status, missing.json()) == (404, {"error": "no route"})


def test_head_request_has_no_body(serve, http) -> None:
    reply = http(serve().url, "HEAD", "/anything")
    assert (reply.status, reply.body) == (200, b"")


def test_function_runs_from_a_task_root_with_lambda_environment(serve, http, tmp_path: Path) -> None:
    running = serve(timeout_s=7, memory_mb=512, function_name="classifier", env={"LOG_LEVEL": "DEBUG"})
    answer = http(running.url, "GET", "/env").json()
    environ, cwd = answer["environ"], Path(answer["cwd"])
    assert sorted(path.name for path in cwd.iterdir() if path.name != "__pycache__") == ["handler.py"]
    assert tmp_path not in cwd.parents  # a copy laid out from the Dockerfile, not the build context
    assert environ["LAMBDA_TASK_ROOT"] == str(cwd)
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == answer["function_name"] == "classifier"
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert environ["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert environ["AWS_EXECUTION_ENV"].startswith("AWS_Lambda_python3")
    assert environ["AWS_REGION"] == environ["AWS_DEFAULT_REGION"]
    assert environ["TZ"] == ":UTC"
    assert environ["LOG_LEVEL"] == "DEBUG"
    assert "AWS_ACCESS_KEY_ID" not in environ and "HOME" not in environ  # nothing leaks from the host
    assert environ["_X_AMZN_TRACE_ID"].startswith(event_trace_root(answer))
    assert 0 < answer["remaining_ms"] <= 7000
    assert answer["pid"] != os.getpid()


def event_trace_root(answer: dict) -> str:
    return answer["event"]["headers"]["X-Amzn-Trace-Id"]


def test_access_log_and_lambda_report_lines(serve, http) -> None:
    running = serve()
    answer = http(running.url, "GET", "/logged").json()
    request_id = answer["aws_request_id"]
    # The gateway's access line and the worker's lines come through different pipes: wait for each.
    assert running.log.wait_for(f"lambda_request_id={request_id}")
    assert running.log.wait_for(f"[worker-1] START RequestId: {request_id}")
    assert running.log.wait_for(f"[worker-1] END RequestId: {request_id}")
    assert running.log.wait_for("Init Duration:")  # the first invocation of an environment reports its init
    access = running.log.access_lines()
    assert len(access) == 1
    assert access[0].startswith("[gateway] GET /logged 200 ") and " worker-1 cold " in access[0]
