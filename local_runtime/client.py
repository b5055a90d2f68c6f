"""A small HTTP client for the local service: one request on a fresh connection, the whole answer back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPMessage
from urllib.parse import urlsplit


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
    timeout_s: float = 60,
) -> Reply:
    """One request; the generous timeout turns a hang into a failure instead of a stuck caller."""
    url = urlsplit(base_url)
    connection = HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=timeout_s)
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


def request_json(
    base_url: str,
    method: str,
    path: str,
    payload: object | None = None,
    raw_body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    """(status, parsed JSON answer) for successes and HTTP errors alike; `payload` is sent as JSON."""
    body = raw_body
    if body is None and payload is not None:
        body = json.dumps(payload).encode()
    all_headers = {"Content-Type": "application/json"} if body is not None else {}
    all_headers.update(headers or {})
    reply = call(base_url, method, path, body, all_headers)
    return reply.status, json.loads(reply.body or b"{}")
