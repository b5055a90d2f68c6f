"""Fixtures for the local runtime's tests: tiny build contexts, a gateway per test, an HTTP client."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from serving.local import LocalGateway, Settings

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


class LogCapture:
    """Collects the gateway's log lines (thread-safe) so tests can look for what an operator would see."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)

    @property
    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def text(self) -> str:
        return "\n".join(self.lines)

    def access_lines(self) -> list[str]:
        return [line for line in self.lines if line.startswith("[gateway]")]

    def wait_for(self, fragment: str, timeout_s: float = 10) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if fragment in self.text():
                return True
            time.sleep(0.02)
        return False


@dataclass
class Reply:
    status: int
    headers: HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def call(
    base_url: str,
    method: str = "GET",
    path: str = "/",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    chunked: bool = False,
) -> Reply:
    """One HTTP request on a fresh connection, with a generous timeout so a hang fails instead of blocking."""
    url = urlsplit(base_url)
    connection = HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        if chunked and body is not None:
            pieces = [body[index : index + 7] for index in range(0, len(body), 7)]
            connection.request(method, path, body=iter(pieces), headers=headers or {}, encode_chunked=True)
        else:
            connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


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
    log: LogCapture
    url: str


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Starts a gateway in-process for a handler source; every gateway is stopped after the test."""
    gateways: list[LocalGateway] = []

    def start(handler_source: str = ECHO_HANDLER, **settings: object) -> Running:
        context = make_context(tmp_path / f"context{len(gateways)}", handler_source)
        log = LogCapture()
        gateway = LocalGateway(Settings(context=context, port=0, **settings), log=log)  # type: ignore[arg-type]
        gateways.append(gateway)
        return Running(gateway, log, gateway.start())

    yield start
    for gateway in gateways:
        gateway.stop()
