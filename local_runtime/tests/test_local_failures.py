"""Failures answer as API Gateway does (502/504 and its JSON message), are logged, and never hang."""

import os

import pytest

INTERNAL_ERROR = {"message": "Internal server error"}

# One handler, one route per way a function can go wrong.
FAULTY_HANDLER = """\
import json, os, time

def lambda_handler(event, context):
    path = event["path"]
    if path == "/raise":
        raise ValueError("text must not be empty")
    if path == "/exit":
        os._exit(3)
    if path == "/sleep":
        time.sleep(float(event["queryStringParameters"]["seconds"]))
    if path == "/malformed-body":
        return {"statusCode": 200, "body": {"label": "not a string"}}
    if path == "/malformed-keys":
        return {"statusCode": 200, "body": "ok", "label": "sports"}
    if path == "/not-a-dict":
        return ["label", "sports"]
    if path == "/huge":
        return {"statusCode": 200, "body": "x" * (7 * 1024 * 1024)}
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid()})}
"""


def _pid(http, url: str) -> int:
    reply = http(url, "GET", "/ok")
    assert reply.status == 200
    return reply.json()["pid"]


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("source", "logged"),
    [
        ("raise RuntimeError('model.npz is corrupt: run dvc pull')\n", "model.npz is corrupt: run dvc pull"),
        ("import module_that_is_not_in_the_image\n", "Unable to import module 'handler'"),
        ("def other_name(event, context):\n    pass\n", "Handler 'lambda_handler' missing"),
        ("import os\nos._exit(4)\n", "exit status 4"),
    ],
)
def test_init_error_is_a_502_with_the_error_in_the_log(serve, http, source: str, logged: str) -> None:
    running = serve(source)
    for _ in range(2):  # every request retries the init in a fresh environment, as Lambda does
        reply = http(running.url, "POST", "/classify", b"{}")
        assert (reply.status, reply.json()) == (502, INTERNAL_ERROR)
    access = running.log.access_lines()
    assert len(access) == 2 and all(logged in line and "init error" in line for line in access)
    assert " worker-1 " in access[0] and " worker-2 " in access[1]


def test_init_that_outlasts_the_init_limit_is_a_502(serve, http) -> None:
    running = serve("import time\ntime.sleep(30)\n", init_timeout_s=0.5)
    reply = http(running.url, "GET", "/")
    assert (reply.status, reply.json()) == (502, INTERNAL_ERROR)
    assert "init limit" in running.log.access_lines()[0]


def test_function_error_is_a_502_and_the_environment_stays_warm(serve, http) -> None:
    running = serve(FAULTY_HANDLER)
    pid = _pid(http, running.url)
    reply = http(running.url, "POST", "/raise", b"{}")
    assert (reply.status, reply.json()) == (502, INTERNAL_ERROR)
    assert "ValueError: text must not be empty" in running.log.access_lines()[-1]
    # The runtime's own log line comes through the worker's output, which may trail the answer.
    assert running.log.wait_for("[ERROR] ValueError: text must not be empty")
    assert _pid(http, running.url) == pid


@pytest.mark.parametrize("route", ["/malformed-body", "/malformed-keys", "/not-a-dict"])
def test_malformed_result_is_a_502(serve, http, route: str) -> None:
    running = serve(FAULTY_HANDLER)
    reply = http(running.url, "GET", route)
    assert (reply.status, reply.json()) == (502, INTERNAL_ERROR)
    assert "Malformed Lambda proxy response" in running.log.access_lines()[-1]


def test_function_timeout_is_a_502_and_the_environment_is_replaced(serve, http) -> None:
    running = serve(FAULTY_HANDLER, timeout_s=1)
    pid = _pid(http, running.url)
    reply = http(running.url, "GET", "/sleep?seconds=30")
    assert (reply.status, reply.json()) == (502, INTERNAL_ERROR)
    assert "Task timed out after 1.00 seconds" in running.log.text()
    assert _pid(http, running.url) != pid
    assert not _is_running(pid)


def test_integration_timeout_is_a_504_while_the_function_finishes(serve, http) -> None:
    running = serve(FAULTY_HANDLER, workers=1, timeout_s=20, integration_timeout_s=0.5)
    pid = _pid(http, running.url)
    reply = http(running.url, "GET", "/sleep?seconds=1.5")
    assert (reply.status, reply.json()) == (504, {"message": "Endpoint request timed out"})
    # The function keeps its environment busy until it returns, then serves the next request warm.
    assert _pid(http, running.url) == pid
    assert " warm " in running.log.access_lines()[-1]


def test_worker_crash_is_a_502_then_a_fresh_worker_serves(serve, http) -> None:
    running = serve(FAULTY_HANDLER)
    pid = _pid(http, running.url)
    reply = http(running.url, "GET", "/exit")
    assert (reply.status, reply.json()) == (502, INTERNAL_ERROR)
    assert "Runtime exited with error: exit status 3" in running.log.access_lines()[-1]
    new_pid = _pid(http, running.url)
    assert new_pid != pid and not _is_running(pid)
    assert " cold " in running.log.access_lines()[-1]


def test_response_over_the_lambda_payload_limit_is_a_502(serve, http) -> None:
    running = serve(FAULTY_HANDLER)
    reply = http(running.url, "GET", "/huge")
    assert (reply.status, reply.json()) == (502, INTERNAL_ERROR)
    assert "ResponseSizeTooLarge" in running.log.access_lines()[-1]
    assert http(running.url, "GET", "/ok").status == 200


def test_request_body_over_the_api_gateway_limit_is_a_413(serve, http) -> None:
    running = serve()
    reply = http(running.url, "POST", "/classify", b"x" * (10 * 1024 * 1024 + 1))
    assert (reply.status, reply.json()) == (413, {"message": "Request Too Long"})
    assert running.gateway.workers == []  # the function was never invoked
