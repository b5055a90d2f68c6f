"""The window of days `make drift` and `make relabel` read captures over: SINCE (and UNTIL) as UTC days.

Captures are kept in one folder (key prefix) per UTC day (serving.app.contracts.capture.partition), so a
window is a first and a last day, both included. SINCE is a number of days back (``7d``: today and the
six days before it) or a first date (``2026-12-01``); UNTIL, a last date, defaults to today.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

DEFAULT_SINCE = "7d"
_DAYS = re.compile(r"^(\d+)d$")


class WindowError(ValueError):
    """SINCE or UNTIL cannot be read as a window of days; the message shows what can."""


class Window(NamedTuple):
    """UTC days from ``first`` to ``last``, both included."""

    first: date
    last: date

    def describe(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first} to {self.last}"


def today() -> date:
    return datetime.now(UTC).date()


def parse_window(since: str = DEFAULT_SINCE, until: str | None = None, now: date | None = None) -> Window:
    """The window SINCE and UNTIL name, counted back from ``now`` (today, UTC, by default)."""
    last = _date("UNTIL", until) if until else (now or today())
    match = _DAYS.match(since.strip())
    if match:
        count = int(match.group(1))
        if count < 1:
            raise WindowError(f"SINCE={since!r}: give at least 1d (today)")
        first = last - timedelta(days=count - 1)
    else:
        first = _date("SINCE", since)
    if last < first:
        raise WindowError(f"the window ends (UNTIL={last}) before it starts (SINCE={first}); swap them")
    return Window(first, last)


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise WindowError(
            f"{name}={value!r}: give a number of days like 7d (SINCE only) or a date like 2026-12-01"
        ) from None
