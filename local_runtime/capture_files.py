"""The local stand-in for capture delivery: files the function's capture lines by day, as AWS does.

In AWS the handler's capture lines (serving.app.contracts.capture) reach the stage's capture bucket through
a CloudWatch Logs subscription filter and Kinesis Data Firehose; the handler itself never makes a network
call. Locally `CaptureFiles` plays that part: it sees every line an execution environment writes, keeps
the ones the subscription filter would select (JSON whose ``message`` is ``contracts.capture.MESSAGE``) and
appends them, unchanged, to a file under ``folder`` in the bucket's layout (``contracts.capture.partition``
of the record's UTC date), where `make drift` and `make relabel` (monitoring.captures) read them. The lines
also stay in the log, as they stay in the function's log group.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from local_runtime.logs import Log
from serving.app.contracts import capture


class CaptureFiles:
    """Appends capture lines under ``folder``: one file per serving session and UTC day."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        started = datetime.now(UTC)
        # Sortable and unique per process, like Firehose's object names; several sessions a day never
        # write to the same file.
        self._file_name = f"local-{started:%Y%m%dT%H%M%SZ}-{os.getpid()}.jsonl"
        self._lock = threading.Lock()

    def tee(self, log: Log) -> Log:
        """``log``, also filing every capture line it is given."""

        def write(line: str) -> None:
            self.file(line)
            log(line)

        return write

    def file(self, line: str) -> Path | None:
        """Appends ``line`` to its day's file if it is a capture line; returns that file, else None."""
        day = _capture_day(line)
        if day is None:
            return None
        path = self.folder / capture.partition(day.year, day.month, day.day) / self._file_name
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as output:
                output.write(line + "\n")
        return path


def _capture_day(line: str) -> datetime | None:
    """The UTC date of a capture line (its ``timestamp``, else now, as Firehose's arrival time), or None
    for any other line: what the subscription filter's pattern selects."""
    if not line.startswith("{") or capture.MESSAGE not in line:
        return None  # cheap test first: most lines are metrics and logs
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("message") != capture.MESSAGE:
        return None
    try:
        return datetime.fromisoformat(record["timestamp"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)
