"""Online time slots in plain Python (domain/time_slots.py), their rows (storage/slot_rows.py) and
their messages (api/slot_messages.py): a slot round-trips through its row and keeps its schedules
in order, its message names its booking by the slot's kind, the audit trail keeps the same
snapshot as it kept of the message, an update's edit changes only what it names."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import audit
from shutterbook_kit.errors import Violations
from shutterbook_scheduling.api.slot_messages import time_slot_message
from shutterbook_scheduling.domain.slot_requests import SlotTimes
from shutterbook_scheduling.domain.standing_patterns import SlotTemplate
from shutterbook_scheduling.domain.time_slots import (
    SlotEdit,
    TimeSlot,
    edited,
    instant_text,
    placed,
    schedules_locked,
    slot_snapshot,
    slot_span,
    stored,
)
from shutterbook_scheduling.storage.slot_rows import new_row, slot_of, slot_schedules

CREATED = datetime(2026, 11, 30, 9, 15, 1, 123456, tzinfo=UTC)
START = datetime(2030, 4, 8, 14, tzinfo=UTC)
END = datetime(2030, 4, 8, 15, 30, tzinfo=UTC)


def uid() -> str:
    return str(uuid.uuid4())


def a_slot(*, appointment: bool = False, **changes: object) -> TimeSlot:
    slot = TimeSlot(
        slot_id=uid(),
        location_id=uid(),
        type_id=uid(),
        appointment=appointment,
        time_zone="America/New_York",
        local_date=date(2030, 4, 8),
        start_minute=10 * 60,
        end_minute=11 * 60 + 30,
        start_at=START,
        end_at=END,
        published=True,
        minimum_notice_minutes=60,
        maximum_advance_days=30,
        schedule_ids=tuple(sorted((uid(), uid(), uid()), reverse=True)),
        created_at=CREATED,
        updated_at=CREATED.replace(microsecond=0),
    )
    return replace(slot, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("appointment", [False, True])
def test_a_slot_round_trips_through_its_row_with_its_schedules_in_order(appointment: bool) -> None:
    slot = a_slot(appointment=appointment)
    row = new_row("company", slot)
    row.schedules = slot_schedules(row, slot.schedule_ids)
    assert slot_of(row) == slot
    assert [s.position for s in row.schedules] == [0, 1, 2]


@pytest.mark.parametrize("appointment", [False, True])
def test_a_slot_message_names_its_booking_by_the_slot_kind(appointment: bool) -> None:
    slot = a_slot(appointment=appointment, booking_id="b1", removed=True, held=True)
    msg = time_slot_message(slot)
    assert msg.name == f"timeSlots/{slot.slot_id}"
    assert (msg.booked_appointment, msg.booked_session) == (
        ("appointments/b1", "") if appointment else ("", "sessions/b1")
    )
    assert (msg.appointment_type != "", msg.session_type != "") == (appointment, not appointment)
    assert msg.date == date_pb2.Date(year=2030, month=4, day=8)
    assert (msg.start, msg.end) == (pb.TimeOfDay(hours=10), pb.TimeOfDay(hours=11, minutes=30))
    assert msg.start_time.ToDatetime(tzinfo=UTC) == START
    assert msg.removed
    assert msg.held
    assert not time_slot_message(stored(slot)).booked_session


@pytest.mark.parametrize("appointment", [False, True])
@pytest.mark.parametrize("booking", ["", "b1"])
def test_the_audit_snapshot_is_what_the_trail_made_of_the_message(appointment: bool, booking: str) -> None:
    slot = a_slot(appointment=appointment, booking_id=booking)
    assert slot_snapshot(slot) == audit.plain(time_slot_message(slot))
    undated = replace(slot, local_date=None, start_minute=None, end_minute=None)
    assert slot_snapshot(undated) == audit.plain(time_slot_message(undated))


@pytest.mark.parametrize("micros", [0, 1000, 123000, 123456, 1])
def test_instants_are_written_as_protobuf_json_writes_them(micros: int) -> None:
    value = CREATED.replace(microsecond=micros)
    assert instant_text(value) == time_slot_message(a_slot(created_at=value)).create_time.ToJsonString()


def test_an_edit_changes_what_its_mask_names_and_moves_the_day_only_when_it_moves() -> None:
    slot = a_slot()
    later = datetime(2030, 1, 1, tzinfo=UTC)
    template = replace(slot.template(), published=False, maximum_advance_days=7)
    kept = edited(slot, SlotEdit(("published",), template), ["s1"], later)
    assert (kept.published, kept.maximum_advance_days, kept.schedule_ids) == (False, 7, ("s1",))
    assert (kept.local_date, kept.start_minute, kept.updated_at) == (slot.local_date, slot.start_minute, later)
    when = SlotTimes(date(2030, 5, 1), time(9, 15), time(10))
    moved = edited(slot, SlotEdit(("start", "date"), template, when), slot.schedule_ids, later)
    assert (moved.local_date, moved.start_minute, moved.end_minute) == (date(2030, 5, 1), 9 * 60 + 15, 600)
    assert SlotEdit(("date",), template).moves
    assert not SlotEdit(("schedules",), template).moves


def test_a_slot_template_names_its_references() -> None:
    slot = a_slot(appointment=True)
    assert slot.template() == SlotTemplate(
        location=f"locations/{slot.location_id}",
        appointment_type=f"appointmentTypes/{slot.type_id}",
        schedules=tuple(f"schedules/{s}" for s in slot.schedule_ids),
        published=True,
        minimum_notice_minutes=60,
        maximum_advance_days=30,
    )


def test_a_generation_is_spanned_by_its_first_start_and_last_end() -> None:
    early, late = a_slot(start_at=START.replace(hour=9)), a_slot(end_at=END.replace(hour=20))
    assert slot_span([late, early]) == (early, late)
    assert slot_span([]) is None


def test_a_message_of_the_stored_slot_equals_the_event_message_without_state() -> None:
    slot = a_slot(booking_id="x", removed=True)
    assert time_slot_message(stored(slot)) == opb.TimeSlot.FromString(
        time_slot_message(replace(slot, booking_id="", removed=False)).SerializeToString()
    )


NEW_YORK = ZoneInfo("America/New_York")
BEFORE = datetime(2030, 1, 1, tzinfo=UTC)


def test_a_slot_is_placed_at_its_wall_clock_times_in_its_zone() -> None:
    found = Violations()
    span = placed(date(2030, 4, 8), time(10), time(11, 30), NEW_YORK, BEFORE, "time_slot", found)
    assert span == (START.replace(hour=14), END)
    assert not found.items


@pytest.mark.parametrize(
    ("start", "end", "now", "problems"),
    [
        (time(11), time(10), BEFORE, [("time_slot.end", "must be after start")]),
        (time(10), time(10), BEFORE, [("time_slot.end", "must be after start")]),
        (time(10), time(11), datetime(2031, 1, 1, tzinfo=UTC), [("time_slot.start", "the slot is in the past")]),
    ],
)
def test_a_slot_is_not_placed_backwards_or_in_the_past(
    start: time, end: time, now: datetime, problems: list[tuple[str, str]]
) -> None:
    found = Violations()
    assert placed(date(2030, 4, 8), start, end, NEW_YORK, now, "time_slot", found) is None
    assert [(v.field, v.description) for v in found.items] == problems


def test_a_local_time_the_zone_skips_places_no_slot() -> None:
    found = Violations()  # 2030-03-10 02:30 does not exist in New York (clocks spring forward)
    assert placed(date(2030, 3, 10), time(2, 30), time(4), NEW_YORK, BEFORE, "template", found) is None
    assert [v.field for v in found.items] == ["template.start"]


def test_a_booked_slot_keeps_its_schedules() -> None:
    template = a_slot().template()
    assert schedules_locked(True, SlotEdit(("schedules",), template))
    assert not schedules_locked(False, SlotEdit(("schedules",), template))
    assert not schedules_locked(True, SlotEdit(("published", "date"), template))
