"""Small HTTP/1.1 helpers shared by the gateway and the Runtime API servers (stdlib http.server only)."""

from __future__ import annotations

import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BodyTooLarge(Exception):
    """The request body is bigger than the server accepts."""


class QuietThreadingServer(ThreadingHTTPServer):
    """A threaded server whose abandoned connections (a client or runtime that went away) are not errors."""

    daemon_threads = True
    allow_reuse_address = True

    def serve(self) -> None:
        """serve_forever with a short poll, so shutdown() (and so stopping a worker) takes ~50 ms."""
        self.serve_forever(poll_interval=0.05)

    def get_request(self) -> tuple[socket.socket, object]:
        """Disables Nagle: headers and body go out as separate writes, which would otherwise stall on
        the peer's delayed ACK for ~40 ms per response."""
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def read_body(handler: BaseHTTPRequestHandler, limit: int) -> bytes:
    """Reads a Content-Length or chunked body; raises BodyTooLarge past `limit` bytes."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        return _read_chunked(handler, limit)
    length = int(handler.headers.get("Content-Length") or 0)
    if length > limit:
        _discard(handler, length, limit)
        raise BodyTooLarge(length)
    return handler.rfile.read(length) if length else b""


def _discard(handler: BaseHTTPRequestHandler, length: int, limit: int) -> None:
    """Reads a moderately oversized body away so the client sees the error answer, not a reset."""
    if length > 4 * limit:
        return
    while length > 0:
        chunk = handler.rfile.read(min(length, 1 << 16))
        if not chunk:
            return
        length -= len(chunk)


def _read_chunked(handler: BaseHTTPRequestHandler, limit: int) -> bytes:
    chunks, total = [], 0
    while True:
        size = int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        total += size
        if total > limit:
            raise BodyTooLarge(total)
        chunks.append(handler.rfile.read(size))
        handler.rfile.readline()


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: list[tuple[str, str]] | None = None,
    include_body: bool = True,
) -> None:
    """Sends a complete response with Content-Length, so keep-alive connections stay usable."""
    handler.send_response(status)
    for name, value in headers or []:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if include_body and body:
        handler.wfile.write(body)


def send_json(handler: BaseHTTPRequestHandler, status: int, document: object) -> None:
    body = json.dumps(document).encode()
    send(handler, status, body, [("Content-Type", "application/json")])
