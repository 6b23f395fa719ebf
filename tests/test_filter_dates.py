"""Custom dates from a link outside what the app supports are clamped, with a note (18.11)."""

from __future__ import annotations

from datetime import date

import pytest

from queries.filters import EARLIEST_DAY, LATEST_DAY, Filter, clamp_days


def test_days_inside_the_supported_range_are_kept():
    first, last = date(2026, 1, 5), date(2026, 2, 1)
    assert clamp_days(first, last) == ((first, last), None)
    assert clamp_days(EARLIEST_DAY, LATEST_DAY) == ((EARLIEST_DAY, LATEST_DAY), None)


@pytest.mark.parametrize("first,last,expected", [
    (date(1, 1, 1), date(2026, 2, 1), (EARLIEST_DAY, date(2026, 2, 1))),
    (date(1000, 1, 1), date(1, 1, 1), (EARLIEST_DAY, EARLIEST_DAY)),
    (date(1969, 12, 31), date(9999, 12, 31), (EARLIEST_DAY, LATEST_DAY)),
    (date(2200, 1, 1), date(9999, 12, 31), (LATEST_DAY, LATEST_DAY)),
])
def test_days_outside_are_moved_to_the_nearest_supported_day(first, last, expected):
    days, note = clamp_days(first, last)
    assert days == expected
    assert note == ("The link's dates were outside what modelops supports "
                    "(1970-01-01 to 2199-12-31) and were moved into that range.")
    # The clamped window, and the one before it, can be built (0001-01-01 overflowed).
    Filter.for_days(*days).previous()


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/cost_value.py"])
@pytest.mark.parametrize("start", ["0001-01-01", "1000-01-01"])
def test_a_link_to_year_one_renders_with_a_note(app, demo_warehouse, page, start):
    at = app(demo_warehouse, page, period="custom", start=start, end="2026-01-31")
    assert not at.exception
    assert at.sidebar.date_input[0].value == (EARLIEST_DAY, date(2026, 1, 31))
    notes = [w.value for w in at.sidebar.warning]
    assert any("were moved into that range" in n for n in notes), notes
    assert at.metric

