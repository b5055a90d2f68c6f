"""One Lambda execution environment: the real runtime interface client in its own process.

The process is `python -m awslambdaric <handler>` started in the task root with Lambda's environment, so
init (importing the handler module, loading the model) happens exactly as in the cloud, once per
environment. The worker enforces what the Lambda service enforces around it: one invocation at a time,
the init limit, the function timeout (the environment is destroyed, as Lambda does), and it reports the
same START / END / REPORT lines.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from local_runtime.function_config import FunctionConfig
from local_runtime.invocation import Invocation, Outcome, OutcomeKind
from local_runtime.logs import Log
from local_runtime.runtime_api import MAX_RESPONSE_BYTES, RuntimeApiServer

# A runtime asks for its next event within milliseconds of answering; past this it counts as busy.
RETURN_GRACE_S = 2.0


class Worker:
    """Runs one runtime process behind its own Runtime API and hands it one invocation at a time."""

    def __init__(
        self,
        name: str,
        function: FunctionConfig,
        task_root: Path,
        log: Log,
        on_change: Callable[[Worker], None],
    ) -> None:
        self.name = name
        self.init_error: str | None = None
        self.init_duration_ms: float | None = None
        self._function = function
        self._task_root = task_root
        self._log = log
        self._on_change = on_change
        self._queue: queue.Queue[Invocation | None] = queue.Queue()
        self._active: Invocation | None = None
        self._retired = False
        self._ready = threading.Event()
        self._polling = False
        self._finished_at: float | None = None
        self._init_settled = threading.Event()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._init_timer = threading.Timer(function.init_timeout_s, self._init_timed_out)
        self._runtime_api = RuntimeApiServer(self, function.arn)
        self._runtime_api_closed = False
        self._process: subprocess.Popen[bytes] | None = None
        self._readers: list[threading.Thread] = []

    # ----- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the runtime process; its init (the handler module's import) begins immediately."""
        self._runtime_api.start()
        self._spawned_at = time.monotonic()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "awslambdaric", self._function.handler],
            cwd=self._task_root,
            env=self._function.environment(self._task_root, self._runtime_api.address),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: a terminal's Ctrl-C reaches the gateway only
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        for stream in (self._process.stdout, self._process.stderr):
            reader = threading.Thread(
                target=self._forward, args=(stream,), name=f"{self.name}-log", daemon=True
            )
            reader.start()
            self._readers.append(reader)
        threading.Thread(target=self._watch_exit, name=f"{self.name}-exit", daemon=True).start()
        self._init_timer.daemon = True
        self._init_timer.start()

    def stop(self) -> None:
        """Destroys the environment: kills the process group, waits for it, closes its Runtime API."""
        self._kill()
        self._queue.put(None)
        if self._process is not None:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._log(f"process {self._process.pid} did not exit after SIGKILL")
        self._close_runtime_api()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        return not self._retired and self._process is not None and self._process.poll() is None

    @property
    def available(self) -> bool:
        """Idle as Lambda means it: the runtime is waiting in `next` and no event is assigned."""
        return self.alive and self._polling and self._active is None

    @property
    def returning(self) -> bool:
        """Just answered and about to ask for the next event: about to be available, not busy."""
        finished_at = self._finished_at
        recently = finished_at is not None and time.monotonic() - finished_at < RETURN_GRACE_S
        return recently and self.alive and not self._polling and self._active is None

    def wait_until_ready(self) -> bool:
        """Blocks until init finished (True) or failed (False): provisioned environments use this."""
        self._init_settled.wait()
        return self._ready.is_set() and self.alive

    def invoke(self, event: bytes, trace_id: str, cold: bool) -> Invocation:
        """Queues `event` for the runtime; `cold`: this event started the environment (the pool knows;
        whether the init has already finished depends on how busy the machine is)."""
        with self._lock:
            if self._active is not None:
                raise RuntimeError(f"{self.name} is busy: one invocation at a time per environment")
            invocation = Invocation(event, self._function.timeout_s, cold, self.name, trace_id)
            self._active = invocation
        self._queue.put(invocation)
        return invocation

    # ----- the Runtime API backend (called from its request threads) -------------------------------

    def next_invocation(self) -> Invocation | None:
        """The runtime asks for work: its first call ends init; each call makes the environment idle."""
        first_call = not self._ready.is_set()
        if first_call:
            self.init_duration_ms = (time.monotonic() - self._spawned_at) * 1000
            self._init_timer.cancel()
            self._ready.set()
        self._polling = True
        self._on_change(self)
        if first_call:
            self._init_settled.set()  # after on_change, so a provisioned environment is already idle
        invocation = self._queue.get()
        self._polling = False
        if invocation is None:
            return None
        invocation.start()
        self._log(f"START RequestId: {invocation.request_id} Version: $LATEST")
        self._timer = threading.Timer(invocation.timeout_s, self._timed_out, args=(invocation,))
        self._timer.daemon = True
        self._timer.start()
        return invocation

    def post_response(self, request_id: str, payload: bytes) -> bool:
        return self._finish_by_id(request_id, Outcome(OutcomeKind.RESPONSE, payload))

    def post_error(self, request_id: str, payload: bytes, error_type: str) -> bool:
        detail = _describe_error(payload, error_type)
        return self._finish_by_id(request_id, Outcome(OutcomeKind.FUNCTION_ERROR, payload, detail))

    def post_oversized_response(self, request_id: str, size: int) -> bool:
        detail = (
            f"Function.ResponseSizeTooLarge: response payload size ({size} bytes) exceeded the maximum "
            f"allowed payload size ({MAX_RESPONSE_BYTES} bytes)"
        )
        return self._finish_by_id(request_id, Outcome(OutcomeKind.FUNCTION_ERROR, detail=detail))

    def post_init_error(self, payload: bytes, error_type: str) -> None:
        """The handler module failed to import: this environment is unusable (the runtime exits next)."""
        self.init_error = _describe_error(payload, error_type)
        self._retired = True
        self._init_timer.cancel()
        self._init_settled.set()
        self._log(
            f"INIT_REPORT Init Duration: {self._since_spawn_ms():.2f} ms Phase: init Status: error "
            f"Error Type: {error_type}"
        )
        invocation = self._active
        if invocation is not None:
            self._finish(invocation, Outcome(OutcomeKind.INIT_ERROR, payload, self.init_error))

    # ----- internals --------------------------------------------------------------------------------

    def _finish_by_id(self, request_id: str, outcome: Outcome) -> bool:
        invocation = self._active
        if invocation is None or invocation.request_id != request_id:
            return False
        self._finish(invocation, outcome)
        return True

    def _finish(self, invocation: Invocation, outcome: Outcome, report: bool = True) -> None:
        """Ends the invocation; the environment's state is updated before the waiting request sees it."""
        if self._timer is not None:
            self._timer.cancel()

        def settle() -> None:
            if report:
                self._report(invocation, outcome)
            with self._lock:
                if self._active is invocation:
                    self._active = None
                    self._finished_at = time.monotonic()
            self._on_change(self)

        invocation.finish(outcome, settle)

    def _report(self, invocation: Invocation, outcome: Outcome) -> None:
        if invocation.started_at is None:
            return  # the function never received the event (init failed)
        duration_ms = (time.monotonic() - invocation.started_at) * 1000
        fields = [
            f"REPORT RequestId: {invocation.request_id}",
            f"Duration: {duration_ms:.2f} ms",
            f"Billed Duration: {math.ceil(duration_ms)} ms",
            f"Memory Size: {self._function.memory_mb} MB",
        ]
        peak_mb = _peak_memory_mb(self.pid)
        if peak_mb is not None:
            fields.append(f"Max Memory Used: {peak_mb} MB")
        if invocation.cold and self.init_duration_ms is not None:
            fields.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        if outcome.kind in (OutcomeKind.TIMEOUT, OutcomeKind.CRASH):
            fields.append(f"Status: {outcome.kind.value}")
        self._log(f"END RequestId: {invocation.request_id}")
        self._log("\t".join(fields))

    def _timed_out(self, invocation: Invocation) -> None:
        if invocation.outcome is not None:
            return
        message = f"Task timed out after {invocation.timeout_s:.2f} seconds"
        self._log(f"{_timestamp()} {invocation.request_id} {message}")
        self._report(invocation, Outcome(OutcomeKind.TIMEOUT))  # before the kill, to read peak memory
        self._kill()  # Lambda discards an environment whose invocation timed out
        self._finish(invocation, Outcome(OutcomeKind.TIMEOUT, detail=message), report=False)

    def _init_timed_out(self) -> None:
        if self._ready.is_set():
            return
        self.init_error = f"init did not finish within the {self._function.init_timeout_s:g} s init limit"
        self._log(f"INIT_REPORT Init Duration: {self._since_spawn_ms():.2f} ms Phase: init Status: timeout")
        self._kill()
        self._init_settled.set()
        invocation = self._active
        if invocation is not None:
            self._finish(invocation, Outcome(OutcomeKind.INIT_ERROR, detail=self.init_error))

    def _watch_exit(self) -> None:
        assert self._process is not None
        code = self._process.wait()
        for reader in self._readers:
            reader.join(timeout=2)  # let the process's last words reach the log first
        self._init_timer.cancel()
        self._init_settled.set()
        invocation = self._active
        if invocation is not None:
            self._finish(invocation, self._exit_outcome(code, invocation))
        self._close_runtime_api()
        self._on_change(self)

    def _exit_outcome(self, code: int, invocation: Invocation) -> Outcome:
        reason = f"signal {-code}" if code < 0 else f"exit status {code}"
        if invocation.started_at is None:
            self.init_error = self.init_error or f"Runtime exited during init with {reason}"
            return Outcome(OutcomeKind.INIT_ERROR, detail=self.init_error)
        message = f"Runtime exited with error: {reason}"
        self._log(f"RequestId: {invocation.request_id} Error: {message}")
        self._log("Runtime.ExitError")
        return Outcome(OutcomeKind.CRASH, detail=message)

    def _kill(self) -> None:
        self._retired = True
        if self._process is None or self._process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)

    def _close_runtime_api(self) -> None:
        with self._lock:
            if self._runtime_api_closed:
                return
            self._runtime_api_closed = True
        self._queue.put(None)  # releases a `next` long poll that may still be waiting
        self._runtime_api.close()

    def _forward(self, stream: IO[bytes]) -> None:
        """Copies the process's output line by line (awslambdaric joins a multi-line error with \\r)."""
        for raw in iter(stream.readline, b""):
            for line in raw.decode("utf-8", "replace").rstrip("\r\n").split("\r"):
                self._log(line)
        stream.close()

    def _since_spawn_ms(self) -> float:
        return (time.monotonic() - self._spawned_at) * 1000


def _describe_error(payload: bytes, error_type: str) -> str:
    """`errorType: errorMessage` from the runtime's error document, for the gateway's log."""
    try:
        document = json.loads(payload)
        return f"{document.get('errorType') or error_type}: {document.get('errorMessage', '')}"
    except (ValueError, AttributeError):
        return error_type


def _peak_memory_mb(pid: int | None) -> int | None:
    """The process's peak resident memory (VmHWM), Lambda's "Max Memory Used"; None where unavailable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return math.ceil(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return None


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z"
