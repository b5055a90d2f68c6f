"""Runs `python -m serving.local` as a user would, for the end-to-end tests, and speaks HTTP to it."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
READY_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_service(model_dir: Path, workers: int = 2, project: Path = REPO_ROOT) -> Iterator[str]:
    """Starts the local API Gateway + Lambda runtime of `project` on a free port; stops it with SIGINT."""
    port = free_port()
    command = [sys.executable, "-m", "serving.local", "--port", str(port), "--workers", str(workers)]
    command += ["--model-dir", str(model_dir)]
    process = subprocess.Popen(
        command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    log: list[str] = []
    ready = threading.Event()

    def read_output() -> None:
        for line in process.stdout:
            log.append(line)
            if "listening on" in line:
                ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    try:
        if not ready.wait(READY_TIMEOUT_SECONDS):
            raise AssertionError("local service did not start:\n" + "".join(log))
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("local service did not stop on SIGINT:\n" + "".join(log)) from None


def http_request(
    base_url: str,
    method: str,
    path: str,
    payload: dict | None = None,
    raw_body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    """One request; returns (status, parsed JSON body) for successes and HTTP errors alike."""
    body = (
        raw_body if raw_body is not None else (json.dumps(payload).encode() if payload is not None else None)
    )
    request = urllib.request.Request(base_url + path, data=body, method=method)
    all_headers = {"Content-Type": "application/json"} if payload is not None else {}
    all_headers.update(headers or {})
    for name, value in all_headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
