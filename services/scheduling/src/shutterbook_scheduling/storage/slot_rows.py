"""Online time slots' rows <-> the domain's `TimeSlot` (domain/time_slots.py): a slot read from its
row (or from its stored columns, `open_slots.SlotValues`), a new slot's row, a slot's own
columns written from a domain slot, and its schedule rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shutterbook_scheduling.domain.time_slots import TimeSlot
from shutterbook_scheduling.storage.online_models import TimeSlotRow, TimeSlotScheduleRow


def row_schedule_ids(row: TimeSlotRow) -> tuple[str, ...]:
    """The slot's schedule ids in order (its schedule rows, loaded with the row)."""
    return tuple(s.schedule_id for s in sorted(row.schedules, key=lambda s: s.position))


def slot_of(
    row: Any,
    schedule_ids: Sequence[str] | None = None,
    *,
    booked: bool | None = None,
    removed: bool = False,
    held: bool = False,
) -> TimeSlot:
    """The slot from its stored columns (a `TimeSlotRow`, or any object with its column
    attributes, such as `open_slots.SlotValues`) and its schedule ids in order (default: the
    row's schedule rows). `booked`: a live booking holds it (default: the row names a booking,
    cancelled or not); the booking's id is then the row's `booked_session_id`."""
    ids = row_schedule_ids(row) if schedule_ids is None else tuple(schedule_ids)
    if booked is None:
        booked = bool(row.booked_session_id)
    return TimeSlot(  # by position (a listing converts many slots): the fields in their order
        row.id,
        row.location_id,
        row.type_id,
        row.is_appointment,
        row.time_zone,
        row.local_date,
        row.start_minute,
        row.end_minute,
        row.start_at,
        row.end_at,
        row.published,
        row.minimum_notice_minutes,
        row.maximum_advance_days,
        ids,
        row.created_at,
        row.updated_at,
        row.booked_session_id if booked else "",
        removed,
        held,
    )


def new_row(company_id: str, slot: TimeSlot) -> TimeSlotRow:
    """A new slot's row (not booked; its schedules: `slot_schedules`)."""
    row = TimeSlotRow(
        id=slot.slot_id,
        company_id=company_id,
        start_at=slot.start_at,
        end_at=slot.end_at,
        booked_session_id="",
        created_at=slot.created_at,
        updated_at=slot.updated_at,
    )
    write_slot(row, slot)
    return row


def write_slot(row: TimeSlotRow, slot: TimeSlot) -> None:
    """The slot's own fields but its times and booking (its schedules: `slot_schedules`)."""
    row.location_id = slot.location_id
    row.is_appointment = slot.appointment
    row.type_id = slot.type_id
    row.time_zone = slot.time_zone
    row.local_date = slot.local_date
    row.start_minute = slot.start_minute
    row.end_minute = slot.end_minute
    row.published = slot.published
    row.minimum_notice_minutes = slot.minimum_notice_minutes
    row.maximum_advance_days = slot.maximum_advance_days


def slot_schedules(row: TimeSlotRow, schedule_ids: Sequence[str]) -> list[TimeSlotScheduleRow]:
    return [
        TimeSlotScheduleRow(
            slot_id=row.id,
            schedule_id=schedule_id,
            company_id=row.company_id,
            position=i,
            start_at=row.start_at,
            end_at=row.end_at,
        )
        for i, schedule_id in enumerate(schedule_ids)
    ]
