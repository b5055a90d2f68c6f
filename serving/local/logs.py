"""One log stream for the gateway and every execution environment, like a CloudWatch log group in a terminal.

Lines from concurrent threads are written whole (one lock), so a worker's JSON log line is never split by
an access line and stays machine-readable.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

Log = Callable[[str], None]

_stderr_lock = threading.Lock()


def stderr_log(line: str) -> None:
    with _stderr_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def prefixed(log: Log, prefix: str) -> Log:
    """A log that tags each line with its source, e.g. `[worker-2]`."""
    return lambda line: log(f"[{prefix}] {line}")
