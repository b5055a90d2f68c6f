"""`make logs STAGE=dev [SINCE=15m] [REQUEST_ID=...] [FOLLOW=1]`: the stage function's logs as JSON lines.

The handler already writes JSON lines (serving/app/telemetry.py), and so does Lambda in its JSON log
format; those are printed as they are. Any other line becomes `{"timestamp": ..., "message": ...}`, so the
output can always be piped into `jq`. REQUEST_ID keeps only the events that contain that id (Lambda's or
API Gateway's, which error answers quote): CloudWatch Logs matches it as a quoted term, on the server.

The log group is the one the function writes to (its LoggingConfig), read with the caller's AWS
credentials; nothing is sent anywhere else.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.stage import StageError, function_name

DEFAULT_SINCE = "15m"
FOLLOW_POLL_SECONDS = 5.0
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def start_time(since: str, now: datetime) -> datetime:
    """SINCE as a moment: a duration back from now (30s, 15m, 2h, 1d) or an ISO 8601 time (UTC if no zone)."""
    match = _DURATION.match(since.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(since.strip())
    except ValueError:
        raise StageError(
            f"SINCE={since!r}: give a duration like 30s, 15m, 2h, 1d or a time like 2026-01-31T14:05"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def log_group(lambda_client: Any, function: str) -> str:
    """The function's log group: its LoggingConfig, else Lambda's default name."""
    configuration = lambda_client.get_function_configuration(FunctionName=function)
    return (configuration.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{function}"


def filter_pattern(request_id: str | None) -> str:
    if not request_id:
        return ""
    if not re.fullmatch(r"[A-Za-z0-9-]+", request_id):
        raise StageError(f"REQUEST_ID={request_id!r}: a request id has only letters, digits and dashes")
    return f'"{request_id}"'


def events(logs_client: Any, group: str, start_ms: int, pattern: str) -> Iterator[dict]:
    """Every event of the group from start_ms on, oldest first, across pages."""
    arguments = {"logGroupName": group, "startTime": start_ms, "interleaved": True}
    if pattern:
        arguments["filterPattern"] = pattern
    for page in logs_client.get_paginator("filter_log_events").paginate(**arguments):
        yield from page.get("events", [])


def json_line(event: dict) -> str:
    """The event's message when it is a JSON object, else the message wrapped in one."""
    message = event.get("message", "").rstrip("\n")
    try:
        parsed = json.loads(message)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return json.dumps(parsed, separators=(",", ":"))
    timestamp = datetime.fromtimestamp(event.get("timestamp", 0) / 1000, UTC).isoformat(
        timespec="milliseconds"
    )
    return json.dumps({"timestamp": timestamp, "message": message}, separators=(",", ":"))


def tail(
    logs_client: Any,
    group: str,
    start: datetime,
    pattern: str,
    write: Callable[[str], None],
    follow: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    rounds: int | None = None,
) -> int:
    """Writes the events since `start`; with follow, polls for new ones (each once). Returns the count."""
    start_ms = int(start.timestamp() * 1000)
    seen: set[str] = set()
    polls = 0
    while True:
        for event in events(logs_client, group, start_ms, pattern):
            if event.get("eventId") in seen:
                continue
            seen.add(event.get("eventId"))
            start_ms = max(start_ms, event.get("timestamp", start_ms))
            write(json_line(event))
        polls += 1
        if not follow or (rounds is not None and polls >= rounds):
            return len(seen)
        sleep(FOLLOW_POLL_SECONDS)


def main(argv: list[str] | None = None, session: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--since", default=DEFAULT_SINCE, help="30s, 15m, 2h, 1d or an ISO 8601 time")
    parser.add_argument("--request-id", help="only the events that contain this request id")
    parser.add_argument("--follow", action="store_true", help="keep polling for new events (Ctrl-C stops)")
    args = parser.parse_args(argv)
    if session is None:
        import boto3

        session = boto3.Session()
    try:
        start = start_time(args.since, datetime.now(UTC))
        pattern = filter_pattern(args.request_id)
        function = function_name(args.stage, session.client("cloudformation"))
        group = log_group(session.client("lambda"), function)
        print(f"logs: {group} since {start.isoformat(timespec='seconds')}", file=sys.stderr)
        count = tail(session.client("logs"), group, start, pattern, print, follow=args.follow)
    except (StageError, BotoCoreError, ClientError) as error:
        print(f"logs: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    print(f"logs: {count} event(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
