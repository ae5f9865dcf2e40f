"""Unit tests of the scheduling domain's pure rules: wall-clock time across DST, days,
overlaps, due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from shutterbook_scheduling.domain import rules, times

NEW_YORK = times.zone("America/New_York")


def test_local_time_is_read_in_the_zone_dst_correct() -> None:
    assert times.local_to_utc(date(2026, 3, 7), time(10), NEW_YORK) == datetime(2026, 3, 7, 15, tzinfo=UTC)
    assert times.local_to_utc(date(2026, 3, 9), time(10), NEW_YORK) == datetime(2026, 3, 9, 14, tzinfo=UTC)


def test_a_skipped_local_time_is_refused() -> None:
    with pytest.raises(times.NonexistentLocalTime):
        times.local_to_utc(date(2026, 3, 8), time(2, 30), NEW_YORK)


def test_an_ambiguous_local_time_takes_the_first_occurrence() -> None:
    assert times.local_to_utc(date(2026, 11, 1), time(1, 30), NEW_YORK) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_days_have_23_and_25_hours_on_changes() -> None:
    spring = times.local_days(date(2026, 3, 7), date(2026, 3, 9), NEW_YORK)
    assert [d.end - d.start for d in spring] == [timedelta(hours=24), timedelta(hours=23), timedelta(hours=24)]
    fall = times.local_days(date(2026, 11, 1), date(2026, 11, 1), NEW_YORK)
    assert fall[0].end - fall[0].start == timedelta(hours=25)


@pytest.mark.parametrize("name", ["", "Moon/Base", " America/New_York", "america/new_york"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="IANA"):
        times.zone(name)


def test_intervals_are_half_open_and_buffers_widen_them() -> None:
    t = datetime(2026, 1, 1, 10, tzinfo=UTC)
    a = rules.Interval(t, t + timedelta(hours=1))
    b = rules.Interval(t + timedelta(hours=1), t + timedelta(hours=2))
    assert not a.overlaps(b)
    assert a.widened(0, 15).overlaps(b)
    assert b.widened(1, 0).overlaps(a)


def test_due_dates_reminders_and_calendar_text() -> None:
    assert rules.status_due_date(date(2026, 2, 25), 7) == date(2026, 3, 4)
    start = datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert rules.reminder_instant(start, 30) == start - timedelta(minutes=30)
    assert rules.reminder_instant(start, None) is None
    assert rules.display_text("Smith family", True) == "Smith family (Confirmed)"
    assert rules.display_text("Smith family", False) == "Smith family"
    assert rules.format_session_number(1001, "S-") == "S-1001"
