"""The real serving app behind the local runtime, in process, with its log captured; an HTTP client.

Every service here runs the real handler from serving/app (the task root is laid out from its
Dockerfile) with a small real model, so a fault is met exactly where it would be in the cloud.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

from serving.local import LocalGateway, Settings


class ServiceLog:
    """Everything the service writes (gateway access lines and each environment's output), in order."""

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

    def json_records(self) -> list[dict]:
        """The JSON lines the handler wrote (logs and metrics), without their `[worker-N] ` prefix."""
        records = []
        for line in self.lines:
            _, _, rest = line.partition("] ")
            if line.startswith("[worker-") and rest.startswith("{"):
                records.append(json.loads(rest))
        return records


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def request(base_url: str, method: str, path: str, body: bytes | None = None) -> Reply:
    """One HTTP request; the generous timeout turns a hang into a failure instead of a stuck test."""
    url = urlsplit(base_url)
    connection = HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.read())
    finally:
        connection.close()


def post_json(base_url: str, payload: object) -> Reply:
    return request(base_url, "POST", "/classify", json.dumps(payload).encode())


@dataclass
class Service:
    gateway: LocalGateway
    log: ServiceLog
    url: str


@contextlib.contextmanager
def real_service(model_dir: Path, **settings: object) -> Iterator[Service]:
    """The real app with `model_dir` as its data/, on a free port, stopped (every process) on exit."""
    log = ServiceLog()
    gateway = LocalGateway(Settings(port=0, model_dir=model_dir, **settings), log=log)  # type: ignore[arg-type]
    url = gateway.start()
    try:
        yield Service(gateway, log, url)
    finally:
        gateway.stop()
