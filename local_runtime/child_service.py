"""The one way to run the local service as a child process: `python -m local_runtime`, as a user would.

    with child_service(model_dir=..., workers=4, log=ServiceLog()) as url:
        ...  # send HTTP requests to url

The demo, the load test, the API fuzzer and the end-to-end tests use it. The child's output (the ready
line, the gateway's access lines, every environment's log) goes line by line to `log`; the URL comes
from its `listening on URL` line. On exit the child gets `stop_signal` (SIGINT, as Ctrl-C) and must exit
0, leaving no process behind; it is killed, and ServiceFailed raised, if it does not.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from local_runtime.logs import Log, ServiceLog
from local_runtime.paths import REPO_ROOT

READY_PREFIX = "listening on "
# Provisioning loads the model once per environment; on a busy machine that takes a while.
READY_TIMEOUT_S = 180
STOP_TIMEOUT_S = 30


class ServiceFailed(RuntimeError):
    """The local service exited, was not ready in time or did not stop cleanly; the message says why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def service_command(
    *,
    port: int = 0,
    workers: int = 2,
    provisioned: int = 0,
    model_dir: Path | None = None,
    context: Path | None = None,
    arguments: tuple[str, ...] = (),
) -> list[str]:
    """The command line of `python -m local_runtime` with these settings."""
    command = [sys.executable, "-m", "local_runtime", "--port", str(port), "--workers", str(workers)]
    if provisioned:
        command += ["--provisioned", str(provisioned)]
    if model_dir is not None:
        command += ["--model-dir", str(model_dir)]
    if context is not None:
        command += ["--context", str(context)]
    return [*command, *arguments]


@contextlib.contextmanager
def child_service(
    *,
    port: int = 0,
    workers: int = 2,
    provisioned: int = 0,
    model_dir: Path | None = None,
    context: Path | None = None,
    arguments: tuple[str, ...] = (),
    project: Path = REPO_ROOT,
    log: Log | None = None,
    stop_signal: int = signal.SIGINT,
    ready_timeout_s: float = READY_TIMEOUT_S,
) -> Iterator[str]:
    """Runs the local service of `project` (port 0: a free one) until the block ends; yields its URL.

    `model_dir` replaces the task root's data/, `context` is the build context (default serving/app),
    `arguments` are further command-line options. Raises ServiceFailed with the end of the log when the
    service does not start, or does not stop cleanly (exit code 0) on `stop_signal`.
    """
    captured = log if log is not None else ServiceLog()
    command = service_command(
        port=port,
        workers=workers,
        provisioned=provisioned,
        model_dir=model_dir,
        context=context,
        arguments=arguments,
    )
    process = subprocess.Popen(
        command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    urls: list[str] = []
    ready = threading.Event()
    lines: list[str] = []  # the last lines, for the error messages

    def read_output() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            captured(line)
            lines.append(line)
            del lines[:-30]
            if line.startswith(READY_PREFIX) and not urls:
                urls.append(line.removeprefix(READY_PREFIX).strip())
                ready.set()
        ready.set()  # the process closed its output: stop waiting

    reader = threading.Thread(target=read_output, name="child-service-log", daemon=True)
    reader.start()
    try:
        ready.wait(ready_timeout_s)
        if not urls:
            if ready.is_set():  # it closed its output: let it finish exiting
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=STOP_TIMEOUT_S)
            how = "is not ready" if process.poll() is None else f"exited with code {process.returncode}"
            raise ServiceFailed(f"the local service {how}; the end of its log:\n" + "\n".join(lines))
        yield urls[0]
    finally:
        exit_code = _stop(process, stop_signal)
        reader.join(timeout=5)
    if exit_code != 0:
        raise ServiceFailed(
            f"the local service did not stop cleanly (exit code {exit_code}); the end of its log:\n"
            + "\n".join(lines)
        )


def _stop(process: subprocess.Popen[str], stop_signal: int) -> int | None:
    """Signals the child (Ctrl-C by default) and waits; kills it if it hangs (then returns None)."""
    if process.poll() is None:
        process.send_signal(stop_signal)
    try:
        return process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
