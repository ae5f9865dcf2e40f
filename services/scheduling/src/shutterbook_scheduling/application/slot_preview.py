"""What a slot runs into: the conflicts of slots about to be generated (GenerateTimeSlots, with
or without `validate_only`), which slots a hold takes, and moving a slot to other times
(UpdateTimeSlot's `date`, `start`, `end`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from shutterbook_kit.errors import FailedPrecondition, Violations
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.planning import entry_name
from shutterbook_scheduling.domain import times
from shutterbook_scheduling.domain.slot_requests import SlotTimes
from shutterbook_scheduling.domain.time_slots import SlotConflict, placed
from shutterbook_scheduling.storage.online_models import TimeSlotRow
from shutterbook_scheduling.storage.slot_neighbours import (
    held_slot_ids,
    occupying_blocks,
    removed_and_held_slot_ids,
    slots_on,
)


async def held_ids(uow: UnitOfWork, slot_ids: list[str]) -> set[str]:
    """The slots among these that an unexpired hold takes (a booking in progress)."""
    if not slot_ids:
        return set()
    return await held_slot_ids(uow, slot_ids, utcnow())


async def removed_and_held_ids(uow: UnitOfWork, slot_ids: list[str]) -> tuple[set[str], set[str]]:
    """`slot_state.removed_ids` and `held_ids` of these slots, read in one statement."""
    if not slot_ids:
        return set(), set()
    return await removed_and_held_slot_ids(uow, slot_ids, utcnow())


async def _buffers(uow: UnitOfWork, company_id: str, type_id: str, appointment: bool) -> tuple[int, int]:
    found = await setup.load_booking_type(uow, company_id, type_id, appointment=appointment)
    return (found.buffer_before_minutes, found.buffer_after_minutes) if found is not None else (0, 0)


async def conflicts(
    uow: UnitOfWork,
    company_id: str,
    *,
    type_id: str,
    appointment: bool,
    schedule_ids: Sequence[str],
    spans: Sequence[tuple[datetime, datetime]],
) -> list[SlotConflict]:
    """For each span (a slot about to exist), what its schedules already hold there: occupying
    calendar blocks (sessions, appointments, time off; the type's buffers around the span) and
    other time slots. One query of each, over the spans' whole range."""
    if not spans or not schedule_ids:
        return []
    before, after = await _buffers(uow, company_id, type_id, appointment)
    widened = [(s - timedelta(minutes=before), e + timedelta(minutes=after)) for s, e in spans]
    low, high = min(w[0] for w in widened), max(w[1] for w in widened)
    blocks = await occupying_blocks(uow, company_id, schedule_ids, low, high)
    slots = await slots_on(uow, company_id, schedule_ids, low, high)
    out: list[SlotConflict] = []
    for index, ((start, end), (wide_start, wide_end)) in enumerate(zip(spans, widened, strict=True)):
        seen: set[str] = set()
        for block in blocks:
            entry = entry_name(block.entry_kind, block.entry_id)
            if block.occupied_start < wide_end and block.occupied_end > wide_start and entry not in seen:
                seen.add(entry)
                out.append(SlotConflict(index, entry, block.schedule_id))
        for other in slots:
            entry = f"timeSlots/{other.slot_id}"
            if other.start_at < end and other.end_at > start and entry not in seen:
                seen.add(entry)
                out.append(SlotConflict(index, entry, other.schedule_id))
    return out


async def move_slot(uow: UnitOfWork, row: TimeSlotRow, when: SlotTimes) -> None:
    """Give the slot the local date and times `when` (some of them changed; what could not be
    read of them, `when.found`, is refused here): refused on a booked or held slot, a nonexistent
    local time, an end not after the start, a start in the past. Its schedule rows follow."""
    name = f"timeSlots/{row.id}"
    if row.booked_session_id:
        raise FailedPrecondition(f"{name} is booked: move the booking instead", reason="SLOT_BOOKED")
    if await held_ids(uow, [row.id]):
        raise FailedPrecondition(f"{name} is held by a booking in progress; try again later", reason="SLOT_HELD")
    when.found.raise_if_any()
    assert when.day is not None
    assert when.start is not None
    assert when.end is not None
    v = Violations()
    span = placed(when.day, when.start, when.end, times.zone(row.time_zone), utcnow(), "time_slot", v)
    v.raise_if_any()
    assert span is not None
    start, end = span
    row.start_at, row.end_at = start, end
    for schedule in row.schedules:
        schedule.start_at, schedule.end_at = start, end
