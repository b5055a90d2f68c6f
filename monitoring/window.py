"""The window of days `make drift` and `make relabel` read captures over: SINCE, or FROM and TO, as UTC days.

Captures are kept in one folder (key prefix) per UTC day (serving.app.contracts.capture.partition), so a
window is a first and a last day, both included: ``FROM``/``TO`` (ISO dates; TO defaults to today), else
``SINCE=Nd``, the last N days, today included (``7d`` by default).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

DEFAULT_SINCE = "7d"
_DAYS = re.compile(r"^(\d+)d$")


class WindowError(ValueError):
    """SINCE, FROM or TO cannot be read as a window of days; the message shows what can."""


class Window(NamedTuple):
    """UTC days from ``first`` to ``last``, both included."""

    first: date
    last: date

    def describe(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first} to {self.last}"


def today() -> date:
    return datetime.now(UTC).date()


def parse_window(
    since: str | None = None, first: str | None = None, last: str | None = None, now: date | None = None
) -> Window:
    """The window FROM and TO name, else the SINCE days up to ``now`` (today, UTC, by default)."""
    now = now or today()
    if first:
        window = Window(_date("FROM", first), _date("TO", last) if last else now)
        if window.last < window.first:
            raise WindowError(f"the window ends (TO={window.last}) before it starts (FROM={window.first})")
        return window
    if last:
        raise WindowError("TO needs FROM (or use SINCE=Nd for the last N days)")
    match = _DAYS.match((since or DEFAULT_SINCE).strip())
    if not match or int(match.group(1)) < 1:
        raise WindowError(
            f"SINCE={since!r}: give a number of days, e.g. SINCE=7d (captures are kept per day)"
        )
    return Window(now - timedelta(days=int(match.group(1)) - 1), now)


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise WindowError(f"{name}={value!r} is not a date: write it as YYYY-MM-DD") from None
