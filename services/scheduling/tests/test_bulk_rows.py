"""Bulk time-slot rows as the API reads them: counts against hand-computed fixtures, and bad
rows named by row and field (`time_slot_rows[i].field`)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import InvalidArgument, Violations
from shutterbook_scheduling.api.bulk_row_convert import read_rows
from shutterbook_scheduling.domain import bulk_rows
from shutterbook_scheduling.domain.time_patterns import expand

NEW_YORK = ZoneInfo("America/New_York")


def row(
    start: tuple[int, int, int],
    end: tuple[int, int, int],
    from_hour: tuple[int, int],
    to_hour: tuple[int, int],
    minutes: int,
    **extra: object,
) -> bpb.TimeSlotRow:
    out = bpb.TimeSlotRow(
        start_date=date_pb2.Date(year=start[0], month=start[1], day=start[2]),
        end_date=date_pb2.Date(year=end[0], month=end[1], day=end[2]),
        start_time=pb.TimeOfDay(hours=from_hour[0], minutes=from_hour[1]),
        end_time=pb.TimeOfDay(hours=to_hour[0], minutes=to_hour[1]),
        session_duration_minutes=minutes,
    )
    for key, value in extra.items():
        if isinstance(value, pb.TimeOfDay):
            getattr(out, key).CopyFrom(value)
        else:
            setattr(out, key, value)
    return out


def count(*rows: bpb.TimeSlotRow) -> tuple[int, list[int], int]:
    v = Violations()
    read = read_rows(list(rows), v)
    v.raise_if_any()
    assert read is not None
    expansion = expand([bulk_rows.pattern_row(r) for r in read], NEW_YORK, bulk_rows.FIELD_NAMES)
    ordered = bulk_rows.slot_order(expansion.slots)
    return len(ordered), bulk_rows.slots_per_row(ordered, len(read)), expansion.skipped_nonexistent


def violations(*rows: bpb.TimeSlotRow) -> dict[str, str]:
    v = Violations()
    read_rows(list(rows), v)
    return {item.field: item.description for item in v.items}


def test_weekends_excluded() -> None:
    # Mon 2 March to Sun 15 March 2026: 14 days, 10 weekdays; 09:00-12:00 by 30 min = 6 a day
    weekdays_only = row((2026, 3, 2), (2026, 3, 15), (9, 0), (12, 0), 30, exclude_saturdays=True, exclude_sundays=True)
    assert count(weekdays_only)[0] == 60
    no_sundays = row((2026, 3, 2), (2026, 3, 15), (9, 0), (12, 0), 30, exclude_sundays=True)
    assert count(no_sundays)[0] == 72  # 12 days
    assert count(row((2026, 3, 2), (2026, 3, 15), (9, 0), (12, 0), 30))[0] == 84


def test_a_break() -> None:
    # 09:00-17:00 by 60 min with a 12:00-13:00 break: 9, 10, 11, 13, 14, 15, 16 -> 7
    lunch = row(
        (2026, 3, 2),
        (2026, 3, 2),
        (9, 0),
        (17, 0),
        60,
        break_start=pb.TimeOfDay(hours=12),
        break_end=pb.TimeOfDay(hours=13),
    )
    assert count(lunch)[0] == 7
    # a break that cuts a slot: 09:00-11:00 by 45 min, break 09:30-09:45 -> 09:45, (10:30 ends 11:15: no) -> 1
    cut = row(
        (2026, 3, 2),
        (2026, 3, 2),
        (9, 0),
        (11, 0),
        45,
        break_start=pb.TimeOfDay(hours=9, minutes=30),
        break_end=pb.TimeOfDay(hours=9, minutes=45),
    )
    assert count(cut)[0] == 1


def test_a_gap() -> None:
    # 09:00-12:00, 20-minute sessions, 10 minutes between: 9:00, 9:30, ..., 11:30 -> 6
    assert count(row((2026, 3, 2), (2026, 3, 2), (9, 0), (12, 0), 20, minutes_between_sessions=10))[0] == 6
    # 15 minutes between: 9:00, 9:35, 10:10, 10:45, 11:20 (ends 11:40) -> 5
    assert count(row((2026, 3, 2), (2026, 3, 2), (9, 0), (12, 0), 20, minutes_between_sessions=15))[0] == 5


def test_several_rows() -> None:
    first = row(
        (2026, 3, 2),
        (2026, 3, 3),
        (9, 0),
        (17, 0),
        60,
        break_start=pb.TimeOfDay(hours=12),
        break_end=pb.TimeOfDay(hours=13),
    )
    second = row((2026, 3, 4), (2026, 3, 4), (9, 0), (12, 0), 20, minutes_between_sessions=10)
    total, per_row, _ = count(first, second)
    assert (total, per_row) == (20, [14, 6])


def test_a_row_across_a_dst_change() -> None:
    # New York springs forward on Sunday 8 March 2026 (02:00 -> 03:00). 09:00-12:00 by 60 min
    # on Sat 7, Sun 8 and Mon 9: 3 a day at the same wall-clock times, one UTC hour apart.
    total, _, skipped = count(row((2026, 3, 7), (2026, 3, 9), (9, 0), (12, 0), 60))
    assert (total, skipped) == (9, 0)
    v = Violations()
    read = read_rows([row((2026, 3, 7), (2026, 3, 9), (9, 0), (12, 0), 60)], v)
    assert read is not None
    slots = expand([bulk_rows.pattern_row(r) for r in read], NEW_YORK).slots
    assert slots[0].start == datetime(2026, 3, 7, 14, tzinfo=UTC)
    assert slots[-1].start == datetime(2026, 3, 9, 13 + 2, tzinfo=UTC)
    # 01:00-04:00 by 30 min: 6 a day, but on the 8th 01:30 (ends at 02:00), 02:00 and 02:30 do
    # not exist: 6 + 3 + 6 = 15, and 3 skipped
    assert count(row((2026, 3, 7), (2026, 3, 9), (1, 0), (4, 0), 30)) == (15, [15], 3)


def test_bad_rows_name_the_row_and_the_field() -> None:
    good = row((2026, 3, 2), (2026, 3, 2), (9, 0), (12, 0), 30)
    found = violations(
        good,
        row((2026, 3, 5), (2026, 3, 4), (9, 0), (12, 0), 30),  # end date before start date
        row((2026, 3, 2), (2026, 3, 2), (12, 0), (9, 0), 30),  # end time before start time
        row((2026, 3, 2), (2026, 3, 2), (9, 0), (12, 0), 0),  # duration 0
        row(
            (2026, 3, 2),
            (2026, 3, 2),
            (9, 0),
            (12, 0),
            30,
            break_start=pb.TimeOfDay(hours=12),
            break_end=pb.TimeOfDay(hours=13),
        ),
        row(
            (2026, 3, 2),
            (2026, 3, 2),
            (9, 0),
            (12, 0),
            30,
            break_start=pb.TimeOfDay(hours=8),
            break_end=pb.TimeOfDay(hours=10),
        ),
        row((2026, 3, 2), (2026, 3, 2), (9, 0), (12, 0), 30, break_start=pb.TimeOfDay(hours=10)),
        row((2026, 3, 2), (2026, 3, 2), (9, 0), (12, 0), 30, minutes_between_sessions=-5),
    )
    assert set(found) == {
        "time_slot_rows[1].end_date",
        "time_slot_rows[2].end_time",
        "time_slot_rows[3].session_duration_minutes",
        "time_slot_rows[4].break_end",
        "time_slot_rows[5].break_start",
        "time_slot_rows[6].break_end",
        "time_slot_rows[7].minutes_between_sessions",
    }, found


def test_missing_and_impossible_fields() -> None:
    empty = bpb.TimeSlotRow()
    found = violations(empty, row((2026, 2, 30), (2026, 3, 1), (25, 0), (12, 0), 30))
    assert {
        "time_slot_rows[0].start_date",
        "time_slot_rows[0].end_date",
        "time_slot_rows[0].start_time",
        "time_slot_rows[0].end_time",
        "time_slot_rows[1].start_date",
        "time_slot_rows[1].start_time",
    } <= set(found)
    assert violations() == {"time_slot_rows": "at least one row is required"}


def test_too_many_slots_is_invalid() -> None:
    huge = row((2026, 1, 1), (2026, 12, 31), (0, 0), (23, 59), 1)
    with pytest.raises(InvalidArgument) as caught:
        count(huge)
    assert [v.field for v in caught.value.violations] == ["time_slot_rows"]
