from datetime import date

import pytest

from monitoring.window import DEFAULT_SINCE, Window, WindowError, parse_window

TODAY = date(2026, 12, 7)


def test_a_number_of_days_counts_today_as_the_first():
    assert parse_window("1d", now=TODAY) == Window(TODAY, TODAY)
    assert parse_window("7d", now=TODAY) == Window(date(2026, 12, 1), TODAY)
    assert parse_window(DEFAULT_SINCE, now=TODAY) == parse_window("7d", now=TODAY)


def test_since_and_until_can_be_dates():
    assert parse_window("2026-11-30", now=TODAY) == Window(date(2026, 11, 30), TODAY)
    assert parse_window("2026-11-01", "2026-11-03", now=TODAY) == Window(date(2026, 11, 1), date(2026, 11, 3))
    assert parse_window("2d", "2026-11-03", now=TODAY) == Window(date(2026, 11, 2), date(2026, 11, 3))


@pytest.mark.parametrize(
    ("since", "until", "says"),
    [
        ("7 days", None, "SINCE='7 days': give a number of days like 7d"),
        ("0d", None, "give at least 1d"),
        ("7d", "tomorrow", "UNTIL='tomorrow'"),
        ("2026-12-05", "2026-12-01", "swap them"),
    ],
)
def test_a_window_that_cannot_be_read_says_what_can(since, until, says):
    with pytest.raises(WindowError, match=says):
        parse_window(since, until, now=TODAY)
