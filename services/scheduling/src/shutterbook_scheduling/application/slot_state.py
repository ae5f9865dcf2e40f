"""What state online time slots are in: their rows read, booked or removed, and the open-slot
decision shared by listing, holding and booking; releasing a booking's slot. The rows are read
and written through storage/slot_repository.py, the blocks the decision weighs through
storage/slot_neighbours.py; the decision itself is domain/online_slots.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shutterbook_kit.errors import FailedPrecondition, NotFound
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.domain import online_slots as rules
from shutterbook_scheduling.domain.setup import AppointmentType, SessionType
from shutterbook_scheduling.domain.time_slots import TimeSlot
from shutterbook_scheduling.storage.online_models import TimeSlotRow
from shutterbook_scheduling.storage.slot_neighbours import decision_rows
from shutterbook_scheduling.storage.slot_repository import SlotRepository, loaded_schedule_ids
from shutterbook_scheduling.storage.slot_rows import slot_of

# Emits a slot's event for the slot as it is, in the unit of work given (`booking`: the resource
# name of the booking that booked, removed or restored it).
SlotAnnounce = Callable[[UnitOfWork, str, TimeSlot, str], None]


@dataclass(frozen=True)
class SlotEvents:
    """How slots' changes are announced: the API edge's event builders (api/slot_events.py),
    called by the use cases in the change's unit of work."""

    created: Callable[[UnitOfWork, str, TimeSlot], None]
    updated: Callable[[UnitOfWork, str, TimeSlot, Sequence[str]], None]
    deleted: Callable[[UnitOfWork, str, TimeSlot], None]
    generated: Callable[[UnitOfWork, str, Sequence[TimeSlot]], None]
    booked: SlotAnnounce
    removed: SlotAnnounce
    restored: SlotAnnounce


def is_appointment_slot(row: TimeSlotRow) -> bool:
    """True when the slot sells an appointment type (else a session type)."""
    return row.is_appointment


def booking_name(row: TimeSlotRow, entry_id: str) -> str:
    """The resource name of a booking (session or appointment) of this slot's kind."""
    return f"appointments/{entry_id}" if is_appointment_slot(row) else f"sessions/{entry_id}"


async def load_slot_type(uow: UnitOfWork, company_id: str, row: TimeSlotRow) -> SessionType | AppointmentType | None:
    """The slot's SessionType or AppointmentType (None when it no longer exists)."""
    return await setup.load_booking_type(uow, company_id, row.type_id, appointment=is_appointment_slot(row))


async def removed_ids(uow: UnitOfWork, slot_ids: list[str]) -> set[str]:
    """The slots among these that a live booking removed."""
    if not slot_ids:
        return set()
    return await SlotRepository(uow).removed_ids(slot_ids)


async def booked_ids(uow: UnitOfWork, slots: list[TimeSlotRow]) -> set[str]:
    """The slots among these that a live booking holds."""
    by_session = {s.booked_session_id: s.id for s in slots if s.booked_session_id}
    if not by_session:
        return set()
    live = await SlotRepository(uow).live_entry_ids(list(by_session))
    return {by_session[entry_id] for entry_id in live}


async def load_slot(uow: UnitOfWork, company_id: str, name: str, *, field: str = "name") -> TimeSlotRow:
    slot_id = parse_name(name, "timeSlots", field=field)
    row = await SlotRepository(uow).in_scope(company_id, slot_id, caller_scope())
    if row is None:
        raise NotFound(f"{name} not found")
    remember_schedules(uow, row)
    return row


def remember_schedules(uow: UnitOfWork, slot: TimeSlotRow) -> None:
    """Where the unit of work memoizes (`uow.memo`), the slot's schedule ids as its row was
    just read with them (`TimeSlotRow.schedules` loads with the row): `schedules_of` then
    reads them no more."""
    if uow.memo is None:
        return
    schedule_ids = loaded_schedule_ids(slot)
    if schedule_ids is not None:
        uow.memo[("schedules_of", slot.id)] = schedule_ids


async def lock_slot_schedules(uow: UnitOfWork, company_id: str, slot: TimeSlotRow) -> list[str]:
    """Queue on the slot's schedule rows (PostgreSQL; in id order, so never in a cycle but for a
    schedule an edit added while we waited, locked after: such a cycle ends as PostgreSQL's
    deadlock refusal, ABORTED, retry), as every
    online writer of those schedules does (holds, bookings, a slot's move), then read the slot
    again: what a writer that went first committed (a move, a hold) is what this one sees.
    SQLite's BEGIN IMMEDIATE already serializes writers. Returns the slot's schedule ids as it
    is now, sorted, every one locked."""
    schedule_ids = await lock_schedules_of(uow, company_id, slot.id)
    repo = SlotRepository(uow)
    await repo.read_again(slot)
    if uow.memo is not None:  # what the checks after the lock read is the slot as it is now
        uow.memo.pop(("schedules_of", slot.id), None)
        remember_schedules(uow, slot)  # read again with the refreshed row
    now = loaded_schedule_ids(slot)
    if now is None:
        return schedule_ids
    if not set(now) <= set(schedule_ids):
        # an edit gave the slot a schedule while we waited (a reschedule's slot was read
        # before the lock): queued on it too, as `locked_slot` does, before anything is decided
        await repo.lock_schedules(company_id, sorted(now))
    return sorted(now)  # the slot's schedules as it is now, every one locked


async def lock_schedules_of(uow: UnitOfWork, company_id: str, slot_id: str) -> list[str]:
    """The queue of `lock_slot_schedules` by the slot's id, for a caller that reads the slot's
    row only after it (once, as it is then). Returns the schedule ids, sorted. Schedules not
    read yet in this unit of work are read and locked in one statement (and memoized as
    `schedules_of` does)."""
    repo = SlotRepository(uow)
    if uow.memo is not None and ("schedules_of", slot_id) in uow.memo:
        schedule_ids = sorted((await schedules_of(uow, [slot_id]))[slot_id])
        await repo.lock_schedules(company_id, schedule_ids)
        return schedule_ids
    in_order = await repo.lock_schedules_of(company_id, slot_id)
    if uow.memo is not None:
        uow.memo[("schedules_of", slot_id)] = tuple(in_order)
    return sorted(in_order)


async def locked_slot(uow: UnitOfWork, company_id: str, name: str, *, field: str) -> tuple[TimeSlotRow, list[str]]:
    """The slot `name` read once its schedules are locked (`lock_schedules_of`), as a writer
    before us left it, and its schedule ids now, sorted, every one locked: a schedule the row
    names that the lock's statement did not see (an edit gave it to the slot while we waited)
    is locked then too (no statement otherwise)."""
    slot_id = parse_name(name, "timeSlots", field=field)
    locked = await lock_schedules_of(uow, company_id, slot_id)
    slot = await load_slot(uow, company_id, name, field=field)
    schedule_ids = sorted((await schedules_of(uow, [slot.id]))[slot.id])
    if not set(schedule_ids) <= set(locked):
        await SlotRepository(uow).lock_schedules(company_id, schedule_ids)
    return slot, schedule_ids


async def schedules_of(uow: UnitOfWork, slot_ids: list[str]) -> dict[str, list[str]]:
    """Each slot's schedule ids, in order (read once per unit of work where it memoizes:
    `uow.memo`, the online booking paths, which do not move slots)."""
    memo = uow.memo if uow.memo is not None else {}
    out: dict[str, list[str]] = {s: list(memo.get(("schedules_of", s), [])) for s in slot_ids}
    missing = [s for s in slot_ids if ("schedules_of", s) not in memo]
    if missing:
        for slot_id, schedule_id in await SlotRepository(uow).schedule_pairs(missing):
            out[slot_id].append(schedule_id)
        if uow.memo is not None:
            for slot_id in missing:
                uow.memo[("schedules_of", slot_id)] = tuple(out[slot_id])
    return out


async def release_booking(
    uow: UnitOfWork, company_id: str, session_id: str, session_name: str, restored: SlotAnnounce
) -> None:
    """Undo a booking's slots (cancelled or moved, online or by staff): its slot is free again,
    and the slots it removed come back unless another booking's removal still hides them.
    `session_id` is the booking's id; `session_name` its resource name (when empty
    `sessions/{session_id}`; `appointments/...` for an appointment); `restored` announces each
    slot back (the edge's `SlotEvents.restored`)."""
    session_name = session_name or f"sessions/{session_id}"
    slots = SlotRepository(uow)
    booked = await slots.booked_by(company_id, session_id)
    removed_slot_ids = await slots.removed_by(session_id)
    await slots.delete_removals_of(session_id)
    await slots.free(booked)
    candidates = list(booked)
    if removed_slot_ids:
        candidates += await slots.of_ids(removed_slot_ids)
    still_removed = await removed_ids(uow, [r.id for r in candidates])
    for row in sorted(candidates, key=lambda r: (r.start_at, r.id)):
        if row.id not in still_removed and not row.booked_session_id:
            restored(uow, company_id, slot_of(row), session_name)


async def why_not_open(
    uow: UnitOfWork,
    company_id: str,
    slots: list[TimeSlotRow],
    now: datetime,
    *,
    own_hold: str = "",
    own_entry: str = "",
) -> dict[str, str]:
    """For each slot id: "" when open now, else why not. `own_hold` (a hold being booked) and
    `own_entry` (a session being moved) do not count as busy."""
    return (await decide_open(uow, company_id, slots, now, own_hold=own_hold, own_entry=own_entry)).reasons


@dataclass(frozen=True)
class OpenDecision:
    """`why_not_open`'s answer (`reasons`: for each slot id "" when open, else why not), and the
    holds with an expired hold block on the schedules asked about (`expired_on`), found by the
    same statement."""

    reasons: dict[str, str]
    expired_holds: set[str]


async def decide_open(
    uow: UnitOfWork,
    company_id: str,
    slots: list[TimeSlotRow],
    now: datetime,
    *,
    own_hold: str = "",
    own_entry: str = "",
    expired_on: list[str] | None = None,
) -> OpenDecision:
    """`why_not_open`, which with `expired_on` (schedule ids: a booking straight from a slot,
    its locked schedules) also finds the holds whose hold blocks there have expired, for the
    caller to clean: expired blocks count for no decision, so reading them in the decision's
    statement changes none."""
    if not slots:
        return OpenDecision({}, set())
    ids = [s.id for s in slots]
    schedules = await schedules_of(uow, ids)
    booked = await booked_ids(uow, slots)
    types: dict[str, SessionType | AppointmentType | None] = {}
    for slot in slots:
        if slot.type_id not in types:
            types[slot.type_id] = await load_slot_type(uow, company_id, slot)
    all_schedules = sorted({sid for group in schedules.values() for sid in group})
    widest = max((t.buffer_before_minutes + t.buffer_after_minutes for t in types.values() if t), default=0)
    reach = rules.reach(((s.start_at, s.end_at) for s in slots), widest)
    # the blocks around the slots and the slots' removals (and expired holds), one statement
    around = await decision_rows(
        uow, company_id, ids, all_schedules, reach, now, own_entry=own_entry, own_hold=own_hold, expired_on=expired_on
    )
    busy = rules.BusyIndex.of(around.busy)
    held = rules.BusyIndex.of(around.held)
    out: dict[str, str] = {}
    for slot in slots:
        booking_type = types.get(slot.type_id)
        facts = rules.SlotFacts(
            start=slot.start_at,
            end=slot.end_at,
            schedule_ids=tuple(schedules[slot.id]),
            published=slot.published,
            booked=slot.id in booked,
            removed=slot.id in around.removed,
            available_online=bool(booking_type is not None and booking_type.online.available_online),
            buffers=(booking_type.buffer_before_minutes, booking_type.buffer_after_minutes) if booking_type else (0, 0),
            minimum_notice_minutes=slot.minimum_notice_minutes,
            maximum_advance_days=slot.maximum_advance_days,
        )
        out[slot.id] = rules.why_not_open(facts, now, busy, held)
    return OpenDecision(out, around.expired_holds)


def not_open_error(name: str, reason: str) -> FailedPrecondition:
    return FailedPrecondition(f"{name} is not open: {reason}", reason="SLOT_NOT_OPEN", metadata={"slot": name})
