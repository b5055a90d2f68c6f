"""The real serving app behind the local runtime, in process, with its log captured; an HTTP client.

Every service here runs the real handler from serving/app (the task root is laid out from its
Dockerfile) with a small real model, so a fault is met exactly where it would be in the cloud.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_runtime import LocalGateway, Settings
from local_runtime.client import Reply, call
from local_runtime.logs import ServiceLog
from serving.app.contracts import api

__all__ = ["Reply", "Service", "post_json", "real_service", "request"]


def request(base_url: str, method: str, path: str, body: bytes | None = None) -> Reply:
    """One HTTP request, with a JSON Content-Type when there is a body."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return call(base_url, method, path, body, headers)


def post_json(base_url: str, payload: object) -> Reply:
    return request(base_url, "POST", api.CLASSIFY, json.dumps(payload).encode())


@dataclass
class Service:
    gateway: LocalGateway
    log: ServiceLog
    url: str


@contextlib.contextmanager
def real_service(model_dir: Path, **settings: Any) -> Iterator[Service]:
    """The real app with `model_dir` as its data/, on a free port, stopped (every process) on exit."""
    log = ServiceLog()
    gateway = LocalGateway(Settings(port=0, model_dir=model_dir, **settings), log=log)
    url = gateway.start()
    try:
        yield Service(gateway, log, url)
    finally:
        gateway.stop()
