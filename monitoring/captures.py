"""Reads captured texts, from `make serve`'s local folder or a stage's capture bucket, over a window of days.

Both hold the handler's capture lines (serving.app.contracts.capture) as JSON lines, in files or objects
under one folder (key prefix) per UTC day; an object or file whose name ends in ``.gz`` is gzip-compressed.
A line that is not a capture record of a known version stops the read with the file (or object), the line
number and what to do, rather than being skipped: a half-read window would bias every figure drawn from it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from serving.app.contracts import capture


class CaptureError(ValueError):
    """A capture file or object that cannot be read, naming where and why."""


class CapturedText(NamedTuple):
    """One captured classification: the capture line's fields (``contracts.capture.FIELDS``)."""

    timestamp: str
    request_id: str | None
    model_version: str
    text: str
    label: str
    scores: dict[str, float]
    probability: float
    margin: float
    coverage: float


def days(first: date, last: date) -> list[date]:
    """Every UTC day from ``first`` to ``last``, both included."""
    if last < first:
        raise CaptureError(f"the window ends ({last}) before it starts ({first})")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def partitions(first: date, last: date) -> list[str]:
    """The key prefixes (folders) of the days in the window."""
    return [capture.partition(day.year, day.month, day.day) for day in days(first, last)]


def read_local(folder: Path, first: date, last: date) -> list[CapturedText]:
    """The captures `make serve` wrote under ``folder`` (``$CAPTURE_DIR``) on the days of the window."""
    found: list[CapturedText] = []
    for prefix in partitions(first, last):
        for path in sorted((folder / prefix).glob("*")):
            if path.is_file():
                found.extend(parse_lines(_lines(str(path), path.read_bytes()), str(path)))
    return found


def read_bucket(s3: Any, bucket: str, first: date, last: date) -> list[CapturedText]:
    """The captures Firehose delivered to ``bucket`` on the days of the window (an S3 client's reads)."""
    found: list[CapturedText] = []
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in partitions(first, last):
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                source = f"s3://{bucket}/{item['Key']}"
                found.extend(parse_lines(_lines(source, body), source))
    return found


def _lines(source: str, data: bytes) -> list[str]:
    """The text lines of a capture file or object (gzip-compressed when its name ends in ``.gz``)."""
    try:
        if source.endswith(".gz"):
            data = gzip.decompress(data)
        return data.decode("utf-8").splitlines()
    except (OSError, EOFError) as error:
        raise CaptureError(
            f"{source}: not gzip data ({error}); a .gz capture file is gzip-compressed"
        ) from None
    except UnicodeDecodeError as error:
        raise CaptureError(f"{source}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def parse_lines(lines: Iterable[str], source: str) -> Iterator[CapturedText]:
    """The capture records of ``lines`` (blank lines ignored); anything else raises ``CaptureError``."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield parse_record(line, f"{source}, line {number}")


def parse_record(line: str, where: str) -> CapturedText:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        message = f"{where}: not JSON ({error.msg}); capture files hold one JSON object per line"
        raise CaptureError(message) from None
    if not isinstance(record, dict) or record.get("message") != capture.MESSAGE:
        raise CaptureError(f"{where}: not a capture record (its message is not {capture.MESSAGE!r})")
    if record.get("captureVersion") != capture.FORMAT_VERSION:
        raise CaptureError(
            f"{where}: capture version {record.get('captureVersion')!r}, this reader knows "
            f"{capture.FORMAT_VERSION}; read it with the release that wrote it"
        )
    missing = [field for field in capture.FIELDS if field not in record]
    if missing:
        raise CaptureError(f"{where}: a capture record without {', '.join(missing)}")
    return CapturedText(
        timestamp=record.get("timestamp", ""),
        request_id=record["requestId"],
        model_version=record["modelVersion"],
        text=record["text"],
        label=record["label"],
        scores=record["scores"],
        probability=float(record["probability"]),
        margin=float(record["margin"]),
        coverage=float(record["coverage"]),
    )
