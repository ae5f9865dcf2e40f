"""The find-free-time rule over random calendars (hypothesis): every answer is bookable (no
hours warning the calendar's own rule would give, nothing occupied overlapped, buffers
included), answers come earliest first, and no free start on the grid before the last answer
was skipped."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shutterbook_console.domain.calendar import Hours, hours_warnings
from shutterbook_console.domain.free_time import STEP, Column, Need, free_times, occupied, overlaps

MONDAY = date(2026, 12, 7)
DAYS = [MONDAY + timedelta(days=i) for i in range(3)]


def _hours(draw: st.DrawFn, *, lo: int, hi: int) -> list[Hours]:
    out = []
    for day in DAYS:
        if draw(st.booleans()) or day == MONDAY:
            start = draw(st.integers(lo, hi - 2))
            end = draw(st.integers(start + 1, hi))
            out.append(Hours(day.isoweekday(), time(start), time(end)))
    return out


@st.composite
def calendars(draw: st.DrawFn) -> tuple[Need, list[Hours], list[Hours], list[list[Column]]]:
    need = Need(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90, 120]))),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 0, 10, 15]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 15, 30]))),
    )
    studio = _hours(draw, lo=6, hi=22) if draw(st.booleans()) else []
    lunch = [Hours(d.isoweekday(), time(12), time(13)) for d in DAYS] if draw(st.booleans()) else []
    columns = []
    for i in range(draw(st.integers(1, 3))):
        busy = []
        for _ in range(draw(st.integers(0, 12))):
            # the day before the search too: its late bookings' buffers run into the first day
            day = draw(st.sampled_from([MONDAY - timedelta(days=1), *DAYS]))
            start = datetime.combine(day, time()) + timedelta(minutes=5 * draw(st.integers(0, 287)))
            busy.append((start, start + timedelta(minutes=5 * draw(st.integers(1, 36)))))
        working = _hours(draw, lo=7, hi=20) if draw(st.booleans()) else []
        columns.append(Column(f"schedules/{i}", working, busy))
    together = draw(st.booleans())
    groups = [columns] if together else [[c] for c in columns]
    return need, studio, lunch, groups


@settings(max_examples=300, deadline=None)
@given(calendars(), st.integers(0, 20))
def test_every_answer_is_bookable_and_overlaps_nothing(
    calendar: tuple[Need, list[Hours], list[Hours], list[list[Column]]], after_quarters: int
) -> None:
    need, studio, lunch, groups = calendar
    earliest = datetime.combine(MONDAY, time(7)) + after_quarters * STEP
    answers = free_times(DAYS, need, studio, lunch, groups, earliest=earliest, limit=6)
    by_name = {c.schedule: c for g in groups for c in g}
    for answer in answers:
        assert answer.start >= earliest
        assert answer.end - answer.start == need.duration
        columns = [by_name[s] for s in answer.schedules]
        working = {c.schedule: list(c.working) for c in columns}
        assert hours_warnings(answer.start, answer.end, studio, lunch, working) == []
        held = occupied(answer.start, need)
        for column in columns:
            assert not any(overlaps(held, b) for b in column.busy), (answer, column)
    starts = [(a.start, groups_index(groups, a.schedules)) for a in answers]
    assert starts == sorted(starts)
    # complete: below the last answer, every grid start that fits some group was answered
    if len(answers) == 6:
        last = answers[-1].start
        cursor = datetime.combine(MONDAY, time())
        given_starts = {(a.start, a.schedules) for a in answers}
        while cursor < last:
            for group in groups:
                if cursor >= earliest and _fits_independently(cursor, need, studio, lunch, group):
                    assert (cursor, tuple(c.schedule for c in group)) in given_starts
            cursor += STEP


def groups_index(groups: list[list[Column]], schedules: tuple[str, ...]) -> int:
    return [tuple(c.schedule for c in g) for g in groups].index(schedules)


def _fits_independently(
    start: datetime, need: Need, studio: list[Hours], lunch: list[Hours], group: list[Column]
) -> bool:
    """The rule restated plainly (not through free_time's own `fits`)."""
    end = start + need.duration
    if end.date() != start.date() and end.time() != time():
        return False
    day = start.isoweekday()
    if studio and not any(h.weekday == day and h.start <= start.time() and end <= _at(start, h.end) for h in studio):
        return False
    if any(h.weekday == day and _at(start, h.start) < end and start < _at(start, h.end) for h in lunch):
        return False
    for column in group:
        ok_hours = not column.working or any(
            h.weekday == day and h.start <= start.time() and end <= _at(start, h.end) for h in column.working
        )
        held = (start - need.buffer_before, end + need.buffer_after)
        if not ok_hours or any(b[0] < held[1] and held[0] < b[1] for b in column.busy):
            return False
    return True


def _at(start: datetime, clock: time) -> datetime:
    return datetime.combine(start.date(), clock)


def test_a_busy_morning_and_buffers_push_the_first_answer() -> None:
    monday_9 = datetime.combine(MONDAY, time(9))
    column = Column("schedules/a", [Hours(1, time(9), time(17))], [(monday_9, monday_9 + timedelta(hours=2))])
    need = Need(timedelta(hours=1), buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=15))
    studio = [Hours(1, time(9), time(18))]
    lunch = [Hours(1, time(12), time(13))]
    answers = free_times([MONDAY], need, studio, lunch, [[column]], earliest=monday_9)
    # 11:00 is taken by the buffer before; 11:15-12:15 touches lunch; after lunch 13:00 is first
    assert [a.start.time() for a in answers[:3]] == [time(13), time(13, 15), time(13, 30)]
    assert answers[-1].end.time() <= time(17)


def test_the_buffer_after_of_the_evening_before_holds_the_first_minutes() -> None:
    sunday_late = datetime.combine(MONDAY - timedelta(days=1), time(23))
    # a booking Sunday 23:00-23:45 with 30 minutes after: occupied until Monday 00:15
    column = Column("schedules/a", (), [(sunday_late, sunday_late + timedelta(minutes=75))])
    answers = free_times([MONDAY], Need(timedelta(minutes=30)), [], [], [[column]], earliest=datetime(2026, 12, 6))
    assert answers[0].start == datetime.combine(MONDAY, time(0, 15))


def test_with_any_staff_the_answers_spread_over_more_starts() -> None:
    monday_9 = datetime.combine(MONDAY, time(9))
    columns = [[Column(f"schedules/{i}")] for i in range(4)]
    need = Need(timedelta(minutes=30))
    every = free_times([MONDAY], need, [], [], columns, earliest=monday_9, limit=8)
    assert {a.start for a in every} == {monday_9, monday_9 + STEP}
    spread = free_times([MONDAY], need, [], [], columns, earliest=monday_9, limit=8, per_start=2)
    assert [a.start for a in spread] == [monday_9 + STEP * (i // 2) for i in range(8)]
    assert [a.schedules for a in spread[:2]] == [("schedules/0",), ("schedules/1",)]
