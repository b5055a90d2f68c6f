"""The Lambda Runtime API (the protocol the real runtime interface client speaks), for one environment.

Each execution environment gets its own server on a loopback port, so a request ID can only ever be
answered by the process it was handed to. The HTTP surface follows the Runtime API reference: a long-poll
`next` that returns the event with the invocation headers, and 202 for accepted results and errors.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler
from typing import Protocol

from local_runtime.http_io import BodyTooLarge, QuietThreadingServer, read_body, send, send_json
from local_runtime.invocation import Invocation

API_PREFIX = "/2018-06-01/runtime"
# Lambda's synchronous response limit, in bytes, as the service enforces it.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
# Error documents and init errors are small; this only guards against a runaway runtime.
MAX_ERROR_BYTES = 1024 * 1024

_INVOCATION_POST = re.compile(rf"^{API_PREFIX}/invocation/(?P<request_id>[^/]+)/(?P<kind>response|error)$")


class RuntimeBackend(Protocol):
    """What the Runtime API needs from the execution environment behind it."""

    def next_invocation(self) -> Invocation | None: ...

    def post_response(self, request_id: str, payload: bytes) -> bool: ...

    def post_error(self, request_id: str, payload: bytes, error_type: str) -> bool: ...

    def post_oversized_response(self, request_id: str, size: int) -> bool: ...

    def post_init_error(self, payload: bytes, error_type: str) -> None: ...


class _RuntimeApiHttpServer(QuietThreadingServer):
    """The HTTP server of one environment's Runtime API: knows its backend and the function's ARN."""

    def __init__(self, backend: RuntimeBackend, function_arn: str) -> None:
        super().__init__(("127.0.0.1", 0), _RuntimeApiHandler)
        self.backend = backend
        self.function_arn = function_arn


class RuntimeApiServer:
    """Serves the Runtime API for one backend on 127.0.0.1 and an ephemeral port."""

    def __init__(self, backend: RuntimeBackend, function_arn: str) -> None:
        self._server = _RuntimeApiHttpServer(backend, function_arn)
        self._thread = threading.Thread(target=self._server.serve, name="runtime-api", daemon=True)

    @property
    def address(self) -> str:
        """host:port, the value of AWS_LAMBDA_RUNTIME_API."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def api(self) -> _RuntimeApiHttpServer:
        assert isinstance(self.server, _RuntimeApiHttpServer)
        return self.server

    @property
    def backend(self) -> RuntimeBackend:
        return self.api.backend

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the worker logs what matters (START/END/REPORT), like Lambda does."""

    def do_GET(self) -> None:
        if self.path != f"{API_PREFIX}/invocation/next":
            send_json(self, 404, {"errorMessage": f"Unknown path {self.path}", "errorType": "InvalidRequest"})
            return
        invocation = self.backend.next_invocation()
        if invocation is None:  # the environment is shutting down
            send_json(self, 500, {"errorMessage": "Environment stopped", "errorType": "Runtime.Stopped"})
            return
        headers = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", invocation.request_id),
            ("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms)),
            ("Lambda-Runtime-Invoked-Function-Arn", self.api.function_arn),
            ("Lambda-Runtime-Trace-Id", f"{invocation.trace_id};Sampled=0"),
        ]
        send(self, 200, invocation.event, headers)

    def do_POST(self) -> None:
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type", "Unknown")
        if self.path == f"{API_PREFIX}/init/error":
            self.backend.post_init_error(self._read(MAX_ERROR_BYTES), error_type)
            self._accepted()
            return
        match = _INVOCATION_POST.match(self.path)
        if match is None:
            send_json(self, 404, {"errorMessage": f"Unknown path {self.path}", "errorType": "InvalidRequest"})
            return
        request_id = match["request_id"]
        if match["kind"] == "error":
            known = self.backend.post_error(request_id, self._read(MAX_ERROR_BYTES), error_type)
        else:
            known = self._post_response(request_id)
            if known is None:
                return
        if known:
            self._accepted()
        else:
            send_json(self, 400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})

    def _post_response(self, request_id: str) -> bool | None:
        """Accepts the result, or answers 413 (and fails the invocation) when it exceeds Lambda's limit."""
        try:
            payload = read_body(self, MAX_RESPONSE_BYTES)
        except BodyTooLarge as error:
            self.backend.post_oversized_response(request_id, error.args[0])
            self.close_connection = True
            message = f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            send_json(self, 413, {"errorMessage": message, "errorType": "RequestEntityTooLarge"})
            return None
        return self.backend.post_response(request_id, payload)

    def _read(self, limit: int) -> bytes:
        try:
            return read_body(self, limit)
        except BodyTooLarge:
            self.close_connection = True
            return b""

    def _accepted(self) -> None:
        send_json(self, 202, {"status": "OK"})
