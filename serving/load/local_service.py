"""Starts `python -m serving.local` for a load test and stops it afterwards, leaving no process behind.

The service runs in its own process, exactly as `make serve` runs it, so the load test measures what a
user would run. Its environments are provisioned (initialized before it listens), so the figures are
those of a warm service rather than of a burst of cold starts. Its log (one access line per request)
goes to a file, which the summary names.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_PREFIX = "listening on "
# Provisioning loads the model once per environment; on a busy machine that takes a while.
READY_TIMEOUT_S = 180
STOP_TIMEOUT_S = 30


class ServiceFailed(RuntimeError):
    """The local service exited or did not become ready; the message holds the end of its log."""


@contextlib.contextmanager
def local_service(workers: int, log_path: Path, model_dir: Path | None = None) -> Iterator[str]:
    """Runs the local service on a free port with `workers` provisioned environments; yields its URL."""
    command = [sys.executable, "-m", "serving.local", "--port", "0"]
    command += ["--workers", str(workers), "--provisioned", str(workers)]
    if model_dir is not None:
        command += ["--model-dir", str(model_dir)]
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            yield _wait_until_listening(process, log_path)
        finally:
            _stop(process)


def _wait_until_listening(process: subprocess.Popen[str], log_path: Path) -> str:
    """Reads stdout until the ready line; then keeps draining it so the pipe never fills up."""
    found: list[str] = []
    ready = threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(READY_PREFIX) and not found:
                found.append(line.removeprefix(READY_PREFIX).strip())
                ready.set()
        ready.set()  # the process exited: stop waiting

    threading.Thread(target=read_stdout, daemon=True).start()
    ready.wait(READY_TIMEOUT_S)
    if not found:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT_S)  # it closed its output: let it finish exiting
        how = f"exited with code {process.returncode}" if process.returncode is not None else "is not ready"
        raise ServiceFailed(f"the local service {how}; the end of its log ({log_path}):\n{_tail(log_path)}")
    return found[0]


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGINT, as Ctrl-C would: the service stops its runtime processes and exits; kill if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
