"""`python -m local_runtime` as a user and the tools run it (through `child_service`): ready line, requests,
clean stop on signals, and a reason when it cannot start."""

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from local_runtime.child_service import ServiceFailed, child_service, service_command
from local_runtime.logs import ServiceLog
from local_runtime.paths import REPO_ROOT


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
    log = ServiceLog()
    # Leaving the block sends the signal and requires exit code 0 (ServiceFailed otherwise).
    with child_service(context=build_context(), workers=2, stop_signal=signal_number, log=log) as url:
        assert log.lines[-1] == f"listening on {url}"
        first = http(url, "GET", "/ping").json()
        task_root = Path(first["environ"]["LAMBDA_TASK_ROOT"])
        assert task_root.is_dir()
    assert _gone(first["pid"])
    assert not task_root.exists()  # the temporary task root is removed too
    log_text = log.text()
    assert "[gateway] GET /ping 200" in log_text and "[worker-1] START RequestId" in log_text
    assert "stopping: shutting down the server and every runtime process" in log_text


def test_stops_while_a_request_is_in_flight(build_context, http) -> None:
    log = ServiceLog()
    statuses: list[int] = []
    with child_service(context=build_context(), log=log) as url:
        slow = threading.Thread(target=lambda: statuses.append(http(url, "GET", "/slow?sleep=60").status))
        slow.start()
        assert log.wait_for("START RequestId", timeout_s=30)
    slow.join(timeout=30)
    assert not slow.is_alive()


def test_a_service_that_cannot_start_fails_with_the_end_of_its_log(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('COPY missing.py ${LAMBDA_TASK_ROOT}/\nCMD ["missing.handler"]\n')
    with pytest.raises(ServiceFailed, match="exited with code 2") as failure, child_service(context=tmp_path):
        pytest.fail("the block must not run")
    assert "missing.py' not found" in str(failure.value)


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
        service_command(context=tmp_path, arguments=tuple(arguments)),
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
        service_command(context=context, workers=1, provisioned=1),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no model: run dvc pull" in result.stderr
