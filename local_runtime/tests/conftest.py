"""Fixtures for the local runtime's tests: tiny build contexts, a gateway per test, an HTTP client."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local_runtime import LocalGateway, Settings
from local_runtime.client import Reply, call
from local_runtime.logs import ServiceLog

DOCKERFILE = """\
FROM public.ecr.aws/lambda/python:3.12
COPY handler.py ${LAMBDA_TASK_ROOT}/
CMD ["handler.lambda_handler"]
"""

# Reports which process served the request, how many events that process has handled, and the event.
ECHO_HANDLER = """\
import json, os, time

INVOCATIONS = 0

def lambda_handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    sleep = (event.get("queryStringParameters") or {}).get("sleep")
    if sleep:
        time.sleep(float(sleep))
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({
            "pid": os.getpid(),
            "invocations": INVOCATIONS,
            "event": event,
            "cwd": os.getcwd(),
            "environ": dict(os.environ),
            "function_name": context.function_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "aws_request_id": context.aws_request_id,
        }),
    }
"""


def make_context(directory: Path, handler_source: str, dockerfile: str = DOCKERFILE) -> Path:
    """A build context with `handler.py` and a Dockerfile in the same simple form as the real one."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "handler.py").write_text(textwrap.dedent(handler_source), encoding="utf-8")
    (directory / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    return directory


@pytest.fixture
def http() -> Callable[..., Reply]:
    """`http(base_url, method, path, body, headers)` -> Reply."""
    return call


@pytest.fixture
def build_context(tmp_path: Path) -> Callable[..., Path]:
    """`build_context(handler_source, dockerfile=...)` -> a fresh build context directory."""
    counter = iter(range(1_000_000))
    return lambda source=ECHO_HANDLER, dockerfile=DOCKERFILE: make_context(
        tmp_path / f"built{next(counter)}", source, dockerfile
    )


@dataclass
class Running:
    gateway: LocalGateway
    log: ServiceLog
    url: str


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Starts a gateway in-process for a handler source; every gateway is stopped after the test."""
    gateways: list[LocalGateway] = []

    def start(handler_source: str = ECHO_HANDLER, **settings: Any) -> Running:
        context = make_context(tmp_path / f"context{len(gateways)}", handler_source)
        log = ServiceLog()
        gateway = LocalGateway(Settings(context=context, port=0, **settings), log=log)
        gateways.append(gateway)
        return Running(gateway, log, gateway.start())

    yield start
    for gateway in gateways:
        gateway.stop()
