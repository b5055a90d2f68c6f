"""The local stand-in for API Gateway in front of Lambda: a loopback HTTP server that invokes the function.

`LocalGateway` ties the pieces together: it lays out the task root from the Dockerfile, keeps a pool of
execution environments, turns each HTTP request into a proxy event, waits for the outcome within API
Gateway's integration timeout and answers as API Gateway would, logging one access line per request.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from local_runtime.apigateway import (
    HttpRequest,
    HttpResponse,
    MalformedResult,
    build_event,
    gateway_error,
    response_from_result,
)
from local_runtime.capture_files import CaptureFiles
from local_runtime.dockerfile import parse_dockerfile
from local_runtime.function_config import FunctionConfig
from local_runtime.http_io import BodyTooLarge, QuietThreadingServer, read_body, send
from local_runtime.invocation import Invocation, OutcomeKind, new_trace_id
from local_runtime.logs import Log, prefixed, stderr_log
from local_runtime.paths import APP_DIR
from local_runtime.pool import Throttled, WorkerFactory, WorkerPool
from local_runtime.task_root import build_task_root
from local_runtime.worker import Worker

DEFAULT_CONTEXT = APP_DIR
# API Gateway's request payload limit and Lambda's synchronous invocation payload limit.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_EVENT_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """How the local API and function are configured; defaults mirror a REST API in front of Lambda."""

    context: Path = DEFAULT_CONTEXT
    host: str = "127.0.0.1"
    port: int = 3000  # 0 picks a free port; `LocalGateway.url` tells which
    workers: int = 2  # the function's concurrency limit
    timeout_s: float = 30.0  # the function timeout
    init_timeout_s: float = 10.0  # Lambda's init limit for an on-demand environment
    integration_timeout_s: float = 29.0  # API Gateway's REST integration timeout
    queue_timeout_s: float = 10.0  # how long a request waits for a busy environment; 0 throttles at once
    provisioned: int = 0  # environments initialized before the server reports it is listening
    memory_mb: int = 1024
    function_name: str = "local-function"
    stage: str = "local"
    model_dir: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    # Where the function's capture lines are filed by day (the capture bucket's stand-in); None: nowhere.
    capture_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if not 0 <= self.provisioned <= self.workers:
            raise ValueError(
                f"provisioned must be between 0 and workers ({self.workers}), got {self.provisioned}"
            )
        for name in ("timeout_s", "init_timeout_s", "integration_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.queue_timeout_s < 0:
            raise ValueError(f"queue_timeout_s must not be negative, got {self.queue_timeout_s}")


class LocalGateway:
    """Start with `start()` (or `with LocalGateway(...) as url:`); `stop()` leaves no process behind."""

    def __init__(self, settings: Settings, log: Log = stderr_log) -> None:
        self.settings = settings
        self._log = log
        self._server: _GatewayServer | None = None
        self._serving: threading.Thread | None = None
        self._pool: WorkerPool | None = None
        self._task_root: Path | None = None
        self._captures = CaptureFiles(settings.capture_dir) if settings.capture_dir is not None else None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def workers(self) -> list[Worker]:
        return self._pool.workers if self._pool else []

    def start(self) -> str:
        """Lays out the task root, binds the port, provisions environments; returns the base URL."""
        try:
            function = self._prepare_function()
            self._pool = WorkerPool(self.settings.workers, self._make_worker(function))
            self._server = _GatewayServer((self.settings.host, self.settings.port), self)
            if self.settings.provisioned:
                self._pool.provision(self.settings.provisioned)
        except BaseException:
            self.stop()
            raise
        self._serving = threading.Thread(target=self._server.serve, name="gateway", daemon=True)
        self._serving.start()
        return self.url

    def stop(self) -> None:
        if self._serving is not None and self._server is not None:
            self._server.shutdown()  # waits for serve_forever, so only once it runs
            self._serving = None
        if self._server is not None:
            self._server.server_close()
        if self._pool is not None:
            self._pool.stop()
        if self._task_root is not None:
            shutil.rmtree(self._task_root.parent, ignore_errors=True)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _prepare_function(self) -> FunctionConfig:
        image = parse_dockerfile(self.settings.context / "Dockerfile")
        self._task_root = Path(tempfile.mkdtemp(prefix="local-lambda-")) / "task"
        build_task_root(self.settings.context, image, self._task_root, self.settings.model_dir)
        assert image.handler is not None
        return FunctionConfig(
            handler=image.handler,
            name=self.settings.function_name,
            memory_mb=self.settings.memory_mb,
            timeout_s=self.settings.timeout_s,
            init_timeout_s=self.settings.init_timeout_s,
            image_env=image.env,
            function_env=self.settings.env,
        )

    def _make_worker(self, function: FunctionConfig) -> WorkerFactory:
        assert self._task_root is not None
        task_root = self._task_root

        def make(name: str, on_change: Callable[[Worker], None]) -> Worker:
            log = prefixed(self._log, name)
            if self._captures is not None:
                log = self._captures.tee(log)
            return Worker(name, function, task_root, log, on_change)

        return make

    # ----- one request ------------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        response, invocation, note = self._respond(handler, request_id, started)
        # Logged before sending, so a client that got its answer can rely on the line being there.
        self._access_log(handler, response.status, started, invocation, request_id, note)
        include_body = handler.command != "HEAD"
        send(handler, response.status, response.body, response.headers, include_body=include_body)

    def _respond(
        self, handler: BaseHTTPRequestHandler, request_id: str, started: float
    ) -> tuple[HttpResponse, Invocation | None, str]:
        try:
            body = read_body(handler, MAX_REQUEST_BYTES)
        except BodyTooLarge:
            handler.close_connection = True
            return gateway_error(413, "Request Too Long", request_id), None, "request body over 10 MB"
        trace_id = new_trace_id()
        request = HttpRequest(
            method=handler.command,
            target=handler.path,
            headers=list(handler.headers.items()),
            body=body,
            source_ip=handler.client_address[0],
            protocol=handler.request_version,
        )
        port = self._server.server_address[1] if self._server else 0
        event = build_event(
            request, stage=self.settings.stage, port=port, request_id=request_id, trace_id=trace_id
        )
        payload = json.dumps(event).encode()
        if len(payload) > MAX_EVENT_BYTES:
            return gateway_error(413, "Request Too Long", request_id), None, "event over Lambda's 6 MB limit"
        assert self._pool is not None
        try:
            invocation = self._pool.invoke(payload, trace_id, self.settings.queue_timeout_s)
        except Throttled as error:
            return gateway_error(500, "Internal server error", request_id), None, f"throttled: {error}"
        # The integration clock starts when Lambda has the event (a cold start's init counts, the wait
        # for a busy environment does not: the real service throttles instead of queueing).
        outcome = invocation.wait(self.settings.integration_timeout_s)
        if outcome is None:
            note = f"integration timed out after {self.settings.integration_timeout_s:g} s"
            return gateway_error(504, "Endpoint request timed out", request_id), invocation, note
        if outcome.kind is not OutcomeKind.RESPONSE:
            note = f"{outcome.kind.value}: {outcome.detail}"
            return gateway_error(502, "Internal server error", request_id), invocation, note
        try:
            return response_from_result(outcome.payload, request_id), invocation, ""
        except MalformedResult as error:
            note = f"Malformed Lambda proxy response: {error}"
            return gateway_error(502, "Internal server error", request_id), invocation, note

    def _access_log(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        started: float,
        invocation: Invocation | None,
        request_id: str,
        note: str,
    ) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        where = f"{invocation.worker} {'cold' if invocation.cold else 'warm'}" if invocation else "- -"
        lambda_id = invocation.request_id if invocation else "-"
        line = (
            f"{handler.command} {handler.path} {status} {elapsed_ms:.1f} ms {where} "
            f"request_id={request_id} lambda_request_id={lambda_id}"
        )
        self._log(f"[gateway] {line}" + (f" | {note}" if note else ""))


class _GatewayServer(QuietThreadingServer):
    """The gateway's HTTP server: hands every request to its LocalGateway."""

    def __init__(self, address: tuple[str, int], gateway: LocalGateway) -> None:
        super().__init__(address, _GatewayHandler)
        self.gateway = gateway


class _GatewayHandler(BaseHTTPRequestHandler):
    """Every method on every path goes to the function, like `ANY /` and `ANY /{proxy+}`."""

    protocol_version = "HTTP/1.1"

    def _proxy(self) -> None:
        assert isinstance(self.server, _GatewayServer)
        self.server.gateway.handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _proxy

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the gateway writes its own access line with the worker and cold/warm."""
