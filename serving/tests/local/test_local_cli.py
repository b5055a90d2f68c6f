"""`python -m serving.local` as a user and the demo run it: ready line, requests, clean stop on signals."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
READY_TIMEOUT_S = 30


class _Server:
    """The CLI in a subprocess; stderr is drained into a list so its pipe never fills up."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "serving.local", "--port", "0", *args]
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.stderr: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def wait_until_listening(self) -> str:
        """Reads stdout until the ready line (as the demo does) and returns the base URL."""
        assert self.process.stdout is not None
        timer = threading.Timer(READY_TIMEOUT_S, self.process.kill)
        timer.start()
        try:
            for line in self.process.stdout:
                if line.startswith("listening on "):
                    return line.split()[-1]
        finally:
            timer.cancel()
        raise AssertionError(f"no ready line; stderr: {''.join(self.stderr)}")

    def stop(self, signal_number: int) -> int:
        self.process.send_signal(signal_number)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def _gone(pid: int, timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_serves_then_stops_every_process_on_signal(build_context, http, signal_number: int) -> None:
    context = build_context()
    server = _Server("--context", str(context), "--workers", "2")
    try:
        url = server.wait_until_listening()
        first = http(url, "GET", "/ping").json()
        task_root = Path(first["environ"]["LAMBDA_TASK_ROOT"])
        assert task_root.is_dir()
    finally:
        exit_code = server.stop(signal_number)
    assert exit_code == 0
    assert _gone(first["pid"])
    assert not task_root.exists()  # the temporary task root is removed too
    log = "".join(server.stderr)
    assert "[gateway] GET /ping 200" in log and "[worker-1] START RequestId" in log


def test_stops_while_a_request_is_in_flight(build_context, http) -> None:
    server = _Server("--context", str(build_context()))
    url = server.wait_until_listening()
    pids: list[int] = []
    slow = threading.Thread(target=lambda: pids.append(http(url, "GET", "/slow?sleep=60").status))
    try:
        slow.start()
        deadline = time.monotonic() + 30
        while "START RequestId" not in "".join(server.stderr) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        exit_code = server.stop(signal.SIGINT)
    slow.join(timeout=30)
    assert exit_code == 0
    assert not slow.is_alive()


@pytest.mark.parametrize(
    ("dockerfile", "arguments", "reason"),
    [
        ('COPY missing.py ${LAMBDA_TASK_ROOT}/\nCMD ["missing.handler"]\n', [], "missing.py' not found"),
        (None, [], "no Dockerfile"),
        ('CMD ["handler.lambda_handler"]\n', ["--workers", "0"], "workers must be at least 1"),
        ('CMD ["handler.lambda_handler"]\n', ["--timeout", "0"], "timeout_s must be positive"),
    ],
)
def test_bad_configuration_fails_at_start_with_a_reason(
    tmp_path: Path, dockerfile: str | None, arguments: list[str], reason: str
) -> None:
    if dockerfile is not None:
        (tmp_path / "Dockerfile").write_text(dockerfile)
    result = subprocess.run(
        [sys.executable, "-m", "serving.local", "--port", "0", "--context", str(tmp_path), *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert reason in result.stderr
    assert "listening on" not in result.stdout


def test_provisioned_init_failure_fails_at_start(build_context) -> None:
    context = build_context("raise RuntimeError('no model: run dvc pull')\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "serving.local",
            "--port",
            "0",
            "--context",
            str(context),
            "--provisioned",
            "1",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no model: run dvc pull" in result.stderr
