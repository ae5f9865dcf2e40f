"""Pattern expansion against hand-computed fixtures: weekends, breaks, gaps, several rows, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shutterbook_kit.errors import InvalidArgument
from shutterbook_scheduling.domain.time_patterns import Break, FieldNames, PatternRow, expand

NEW_YORK = ZoneInfo("America/New_York")
SATURDAY, SUNDAY = 5, 6


def test_one_day_no_gap() -> None:
    # 09:00-12:00 in 30-minute slots: 09:00, 09:30, ..., 11:30 -> 6
    row = PatternRow(date(2026, 3, 2), date(2026, 3, 2), time(9), time(12), 30)
    slots = expand([row], NEW_YORK).slots
    assert len(slots) == 6
    assert slots[0].start == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # EST = UTC-5
    assert slots[-1].end == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def test_weekends_excluded_over_two_weeks() -> None:
    # Mon 2026-03-02 .. Sun 2026-03-15: 10 weekdays x 4 one-hour slots (9-13)
    row = PatternRow(
        date(2026, 3, 2), date(2026, 3, 15), time(9), time(13), 60, excluded_weekdays=frozenset({SATURDAY, SUNDAY})
    )
    assert len(expand([row], NEW_YORK).slots) == 40


def test_break_and_gap() -> None:
    # 08:00-12:00, 20-min sessions, 10 min between, break 10:00-10:30:
    # 08:00, 08:30, 09:00, 09:30 (ends 09:50), next 10:00 overlaps the break -> 10:30, 11:00, 11:30 (ends 11:50)
    row = PatternRow(
        date(2026, 3, 3),
        date(2026, 3, 3),
        time(8),
        time(12),
        20,
        gap_minutes=10,
        breaks=(Break(time(10), time(10, 30)),),
    )
    starts = [s.start.astimezone(NEW_YORK).strftime("%H:%M") for s in expand([row], NEW_YORK).slots]
    assert starts == ["08:00", "08:30", "09:00", "09:30", "10:30", "11:00", "11:30"]


def test_several_rows_keep_row_order() -> None:
    rows = [
        PatternRow(date(2026, 3, 4), date(2026, 3, 4), time(13), time(14), 30),
        PatternRow(date(2026, 3, 3), date(2026, 3, 3), time(9), time(10), 15),
    ]
    slots = expand(rows, NEW_YORK).slots
    assert [s.row for s in slots] == [0, 0, 1, 1, 1, 1]


def test_across_spring_forward_keeps_wall_clock_times() -> None:
    # US DST starts Sun 2026-03-08 02:00 -> 03:00. 10:00 local is 15:00 UTC before, 14:00 UTC after.
    row = PatternRow(date(2026, 3, 7), date(2026, 3, 9), time(10), time(11), 60)
    slots = expand([row], NEW_YORK).slots
    assert [s.start.astimezone(NEW_YORK).time() for s in slots] == [time(10)] * 3
    assert [s.start.hour for s in slots] == [15, 14, 14]
    assert all(s.end - s.start == timedelta(hours=1) for s in slots)


def test_nonexistent_local_times_are_left_out_and_counted() -> None:
    # 01:00-04:00 hourly on the spring-forward day, when 02:00-03:00 does not exist locally:
    # 01:00-02:00 ends at a nonexistent time and 02:00-03:00 starts at one: both left out; 03:00-04:00 kept
    row = PatternRow(date(2026, 3, 8), date(2026, 3, 8), time(1), time(4), 60)
    expansion = expand([row], NEW_YORK)
    assert [s.start.astimezone(NEW_YORK).strftime("%H:%M") for s in expansion.slots] == ["03:00"]
    assert expansion.skipped_nonexistent == 2


def test_fall_back_ambiguous_time_means_first_occurrence() -> None:
    # US DST ends Sun 2026-11-01 02:00 -> 01:00. 01:30 local first occurs at 05:30 UTC (EDT).
    row = PatternRow(date(2026, 11, 1), date(2026, 11, 1), time(1, 30), time(2), 30)
    (slot,) = expand([row], NEW_YORK).slots
    assert slot.start == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (PatternRow(date(2026, 3, 5), date(2026, 3, 4), time(9), time(10), 30), "rows[0].end_date"),
        (PatternRow(date(2026, 3, 4), date(2026, 3, 4), time(10), time(9), 30), "rows[0].end_time"),
        (PatternRow(date(2026, 3, 4), date(2026, 3, 4), time(9), time(10), 0), "rows[0].slot_minutes"),
        (PatternRow(date(2026, 3, 4), date(2026, 3, 4), time(9), time(10), 90), "rows[0].slot_minutes"),
        (PatternRow(date(2026, 3, 4), date(2026, 3, 4), time(9), time(10), 30, gap_minutes=-5), "rows[0].gap_minutes"),
        (
            PatternRow(
                date(2026, 3, 4), date(2026, 3, 4), time(9), time(12), 30, breaks=(Break(time(8), time(9, 30)),)
            ),
            "rows[0].breaks[0].start",
        ),
        (
            PatternRow(date(2026, 3, 4), date(2026, 3, 4), time(9), time(12), 30, breaks=(Break(time(11), time(13)),)),
            "rows[0].breaks[0].end",
        ),
        (
            PatternRow(date(2026, 3, 4), date(2026, 3, 4), time(9), time(12), 30, breaks=(Break(time(11), time(10)),)),
            "rows[0].breaks[0].end",
        ),
    ],
)
def test_bad_rows_name_row_and_field(row: PatternRow, field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        expand([row], NEW_YORK)
    assert [v.field for v in err.value.violations] == [field]


def test_field_names_follow_the_calling_api() -> None:
    names = FieldNames(
        rows="time_slot_rows",
        slot_minutes="session_duration_minutes",
        breaks="",
        break_start="break_start",
        break_end="break_end",
    )
    bad = PatternRow(date(2026, 3, 4), date(2026, 3, 4), time(9), time(12), 0, breaks=(Break(time(8), time(9)),))
    with pytest.raises(InvalidArgument) as err:
        expand([PatternRow(date(2026, 3, 4), date(2026, 3, 4), time(9), time(12), 30), bad], NEW_YORK, names)
    assert [v.field for v in err.value.violations] == [
        "time_slot_rows[1].session_duration_minutes",
        "time_slot_rows[1].break_start",
    ]
