"""Online time-slot requests read at the edge (api/slot_convert.py) into plain Python
(domain/slot_requests.py), without a database."""

from __future__ import annotations

from datetime import date, time

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import Violations
from shutterbook_scheduling.api import slot_convert
from shutterbook_scheduling.api.row_span_convert import read_span
from shutterbook_scheduling.domain.time_patterns import Break


def a_day() -> date_pb2.Date:
    return date_pb2.Date(year=2026, month=6, day=1)


def test_slot_times() -> None:
    msg = opb.TimeSlot(date=a_day(), start=pb.TimeOfDay(hours=9), end=pb.TimeOfDay(hours=9, minutes=30))
    when = slot_convert.slot_times(msg, "time_slot")
    assert (when.day, when.start, when.end) == (date(2026, 6, 1), time(9), time(9, 30))
    assert not when.found.items


def test_unreadable_slot_times_are_kept_as_violations() -> None:
    msg = opb.TimeSlot(start=pb.TimeOfDay(hours=24), end=pb.TimeOfDay(hours=9))
    when = slot_convert.slot_times(msg, "time_slot")
    assert when.day is None
    assert [i.field for i in when.found.items] == ["time_slot.date", "time_slot.start"]


def test_pattern_rows() -> None:
    row = opb.TimeSlotPatternRow(
        start_date=a_day(),
        end_date=date_pb2.Date(year=2026, month=6, day=5),
        start_time=pb.TimeOfDay(hours=9),
        end_time=pb.TimeOfDay(hours=12),
        slot_minutes=30,
        gap_minutes=10,
        excluded_weekdays=[pb.DAY_OF_WEEK_SATURDAY],
        breaks=[opb.TimeSlotBreak(start=pb.TimeOfDay(hours=10), end=pb.TimeOfDay(hours=10, minutes=30))],
    )
    read = slot_convert.pattern_rows([row])
    assert read.complete
    assert not read.found.items
    (only,) = read.rows
    assert (only.start_date, only.end_date, only.slot_minutes, only.gap_minutes) == (
        date(2026, 6, 1),
        date(2026, 6, 5),
        30,
        10,
    )
    assert only.excluded_weekdays == frozenset({5})
    assert only.breaks == (Break(time(10), time(10, 30)),)


def test_an_unreadable_row_is_left_out() -> None:
    good = opb.TimeSlotPatternRow(start_date=a_day(), end_date=a_day(), slot_minutes=30)
    read = slot_convert.pattern_rows([good, opb.TimeSlotPatternRow(start_date=a_day())])
    assert len(read.rows) == 1
    assert read.given == 2
    assert not read.complete
    assert [i.field for i in read.found.items] == ["rows[1].end_date"]
    empty = slot_convert.pattern_rows([])
    assert not empty.complete
    assert [(i.field, i.description) for i in empty.found.items] == [("rows", "at least one row is required")]


def test_a_span_is_read_once_for_both_kinds_of_row() -> None:
    v = Violations()
    bulk = bpb.TimeSlotRow(start_date=a_day(), end_date=a_day(), end_time=pb.TimeOfDay(hours=12))
    assert read_span(bulk, "time_slot_rows[0]", v, times_required=True) is None
    assert [(i.field, i.description) for i in v.items] == [("time_slot_rows[0].start_time", "is required")]
    pattern = opb.TimeSlotPatternRow(start_date=a_day(), end_date=a_day(), end_time=pb.TimeOfDay(hours=12))
    assert read_span(pattern, "rows[0]", v, times_required=False) == (
        date(2026, 6, 1),
        date(2026, 6, 1),
        time(0),
        time(12),
    )
    assert len(v.items) == 1
