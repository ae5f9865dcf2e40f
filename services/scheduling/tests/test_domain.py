"""Unit tests of the scheduling domain's pure rules: wall-clock time across DST, days,
overlaps, due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from shutterbook_scheduling.domain import locations, rules, times

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


def test_on_hold_and_cancelled_sessions_do_not_occupy_their_schedules() -> None:
    assert rules.occupies(on_hold=False, cancelled=False)
    assert not rules.occupies(on_hold=True, cancelled=False)
    assert not rules.occupies(on_hold=False, cancelled=True)


def test_participants_must_be_family_of_the_client_and_listed_once() -> None:
    tim, tia = "clients/c1/familyMembers/m1", "clients/c1/familyMembers/m2"
    assert rules.participant_problems([tim, tia], "c1", {"m1", "m2"}) == {}
    assert rules.participant_problems([tim, tim], "c1", {"m1"}) == {1: f"{tim} is listed twice"}
    assert rules.participant_problems(["clients/c2/familyMembers/m1", tia, "m1"], "c1", {"m1"}) == {
        0: "clients/c2/familyMembers/m1 is not a family member of clients/c1",  # another client's
        1: f"{tia} is not a family member of clients/c1",  # not (or no longer) in the family
        2: "m1 is not a family member of clients/c1",  # not a family member's name at all
    }


def test_planning_reads_wall_clock_input_in_the_zone() -> None:
    planned = times.plan_times(date(2026, 3, 9), time(10), None, 90, NEW_YORK)
    assert planned.start == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert planned.end == datetime(2026, 3, 9, 15, 30, tzinfo=UTC)
    assert planned.end_clock == time(11, 30)  # the end defaults from the duration
    # across the spring-forward gap the end is read on the wall clock: 01:00 to 04:00 is 2 hours
    spring = times.plan_times(date(2026, 3, 8), time(1), time(4), 60, NEW_YORK)
    assert spring.end - spring.start == timedelta(hours=2)


@pytest.mark.parametrize(
    ("start", "end", "duration", "field", "message"),
    [
        (time(2, 30), None, 60, "start", "does not exist"),
        (time(1), time(2, 30), 60, "end", "does not exist"),
        (time(10), time(10), 60, "end", "must be after start"),
        (time(23, 30), None, 60, "end", "past midnight"),
    ],
)
def test_planning_refuses_what_the_wall_clock_cannot_hold(
    start: time, end: time | None, duration: int, field: str, message: str
) -> None:
    with pytest.raises(times.WallClockProblem, match=message) as raised:
        times.plan_times(date(2026, 3, 8), start, end, duration, NEW_YORK)
    assert raised.value.field == field


def test_a_caller_scoped_to_locations_sees_only_those() -> None:
    assert locations.visible(None, "north")  # no locations in the token: every location
    assert locations.visible(frozenset({"north", "south"}), "south")
    assert not locations.visible(frozenset({"north"}), "south")
    assert not locations.visible(frozenset(), "north")  # given no location at all: none
