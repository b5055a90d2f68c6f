"""One synchronous invocation and how it ended, shared by the gateway, the worker and the Runtime API.

An invocation can end from several threads (the runtime posting a result, a deadline timer, the process
exiting); `finish` lets exactly the first one decide, so an answer is never overwritten by a late event.
"""

from __future__ import annotations

import enum
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass


class OutcomeKind(enum.Enum):
    RESPONSE = "response"  # the handler returned; payload is its serialized result
    FUNCTION_ERROR = "function error"  # the handler raised; payload is the runtime's error document
    INIT_ERROR = "init error"  # the module failed to import or init timed out
    TIMEOUT = "timeout"  # the function ran past its timeout and was stopped
    CRASH = "crash"  # the runtime process exited during the invocation


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    payload: bytes = b""
    detail: str = ""


def new_trace_id() -> str:
    """An X-Ray trace header value (`Root=1-<epoch hex>-<24 hex>`), as API Gateway passes one along."""
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


class Invocation:
    """An event on its way through one execution environment, and the outcome once there is one."""

    def __init__(self, event: bytes, timeout_s: float, cold: bool, worker: str, trace_id: str) -> None:
        self.request_id = str(uuid.uuid4())
        self.trace_id = trace_id
        self.event = event
        self.timeout_s = timeout_s
        self.cold = cold
        self.worker = worker
        self.started_at: float | None = None
        self.deadline_ms = 0
        self._outcome: Outcome | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()

    def start(self) -> None:
        """Called when the runtime receives the event: the function's clock starts now."""
        self.started_at = time.monotonic()
        self.deadline_ms = int((time.time() + self.timeout_s) * 1000)

    def finish(self, outcome: Outcome, before_release: Callable[[], None] | None = None) -> bool:
        """Records the outcome unless one was already recorded; True when this call decided it.

        `before_release` runs after the outcome is decided but before waiters see it (the worker logs
        END/REPORT there, so they precede the gateway's access line, as in Lambda's logs).
        """
        with self._lock:
            if self._outcome is not None:
                return False
            self._outcome = outcome
        try:
            if before_release is not None:
                before_release()
        finally:
            self._done.set()
        return True

    @property
    def outcome(self) -> Outcome | None:
        return self._outcome

    def wait(self, timeout_s: float) -> Outcome | None:
        """The outcome, or None if there is none within `timeout_s`."""
        self._done.wait(timeout_s)
        return self._outcome
