from datetime import date

import pytest

from monitoring.window import DEFAULT_SINCE, Window, WindowError, parse_window

TODAY = date(2026, 12, 7)


def test_a_number_of_days_counts_today_as_the_first():
    assert parse_window("1d", now=TODAY) == Window(TODAY, TODAY)
    assert parse_window("7d", now=TODAY) == Window(date(2026, 12, 1), TODAY)
    assert (
        parse_window(None, now=TODAY)
        == parse_window(DEFAULT_SINCE, now=TODAY)
        == parse_window("7d", now=TODAY)
    )


def test_from_and_to_are_dates_and_to_defaults_to_today():
    assert parse_window(first="2026-11-30", now=TODAY) == Window(date(2026, 11, 30), TODAY)
    assert parse_window(first="2026-11-01", last="2026-11-03", now=TODAY) == Window(
        date(2026, 11, 1), date(2026, 11, 3)
    )
    # FROM/TO win over SINCE.
    assert parse_window("2d", "2026-11-01", "2026-11-01", now=TODAY) == Window(
        date(2026, 11, 1), date(2026, 11, 1)
    )


@pytest.mark.parametrize(
    ("since", "first", "last", "says"),
    [
        ("7 days", None, None, r"SINCE='7 days': give a number of days, e\.g\. SINCE=7d"),
        ("0d", None, None, "SINCE='0d'"),
        ("2026-12-01", None, None, "give a number of days"),
        (None, "yesterday", None, r"FROM='yesterday' is not a date: write it as YYYY-MM-DD"),
        (None, "2026-12-01", "tomorrow", "TO='tomorrow' is not a date"),
        (None, None, "2026-12-01", "TO needs FROM"),
        (None, "2026-12-05", "2026-12-01", r"ends \(TO=2026-12-01\) before it starts"),
    ],
)
def test_a_window_that_cannot_be_read_says_what_can(since, first, last, says):
    with pytest.raises(WindowError, match=says):
        parse_window(since, first, last, now=TODAY)
