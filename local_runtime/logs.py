"""One log stream for the gateway and every execution environment, like a CloudWatch log group in a terminal.

Lines from concurrent threads are written whole (one lock), so a worker's JSON log line is never split by
an access line and stays machine-readable. `ServiceLog` is the one way to capture that stream: in
process (a `LocalGateway`'s log) or from a child process (`child_service`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

Log = Callable[[str], None]

_stderr_lock = threading.Lock()


def stderr_log(line: str) -> None:
    with _stderr_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def prefixed(log: Log, prefix: str) -> Log:
    """A log that tags each line with its source, e.g. `[worker-2]`."""
    return lambda line: log(f"[{prefix}] {line}")


class ServiceLog:
    """Everything the service writes (gateway access lines and each environment's output), in order.

    Thread-safe; with `path`, every line is also appended to that file as it arrives.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self.path = path
        self._file = path.open("w", encoding="utf-8") if path is not None else None

    def __call__(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    @property
    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def text(self) -> str:
        return "\n".join(self.lines)

    def tail(self, count: int = 20) -> str:
        return "\n".join(self.lines[-count:])

    def access_lines(self) -> list[str]:
        return [line for line in self.lines if line.startswith("[gateway]")]

    def json_records(self) -> list[dict]:
        """The JSON lines the handler wrote (logs and metrics), without their `[worker-N] ` prefix."""
        records = []
        for line in self.lines:
            _, _, rest = line.partition("] ")
            if line.startswith("[worker-") and rest.startswith("{"):
                records.append(json.loads(rest))
        return records

    def wait_for(self, fragment: str, timeout_s: float = 10) -> bool:
        """True as soon as a line holds `fragment`; False after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if fragment in self.text():
                return True
            time.sleep(0.02)
        return False
