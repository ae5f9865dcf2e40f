"""Booking through a hold, shared by online sessions and appointments: the request checked, the
caller's id claimed, the slot and hold found (or, straight from a slot, a hold row to write
booked), the slot settled by the booking; moving a booking to another slot. Holds
themselves: see `holds`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from shutterbook_kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    Violations,
)
from shutterbook_kit.resource_names import is_canonical_uuid, parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.entries import A, Announce
from shutterbook_scheduling.application.holds import (
    Holding,
    auto_remove,
    booking_client,
    hold_to_book,
    load_hold,
    require_request_id,
    take_slot,
    type_of,
)
from shutterbook_scheduling.application.planning import Plan
from shutterbook_scheduling.application.slot_state import (
    SlotEvents,
    is_appointment_slot,
    load_slot,
    lock_slot_schedules,
    locked_slot,
    not_open_error,
    release_booking,
    schedules_of,
    why_not_open,
)
from shutterbook_scheduling.domain import times
from shutterbook_scheduling.domain.entries import Appointment, Clock, Day, EntryEvent, Session
from shutterbook_scheduling.domain.holds import HoldState, shown_state
from shutterbook_scheduling.domain.known_clients import ClientVersion
from shutterbook_scheduling.domain.online_slots import hold_is_live
from shutterbook_scheduling.domain.setup import BookingType, Location
from shutterbook_scheduling.storage.booking_ids import booking_id_lock, booking_id_used, lock_booking_id
from shutterbook_scheduling.storage.hold_repository import HoldRepository
from shutterbook_scheduling.storage.online_models import SlotHoldRow, TimeSlotRow
from shutterbook_scheduling.storage.slot_rows import slot_of


def check_book_request(hold: str, time_slot: str, client: str, request_id: str, new_id: str, new_id_field: str) -> None:
    v = Violations()
    require_request_id(request_id, v)
    if new_id and not is_canonical_uuid(new_id):
        v.add(new_id_field, "must be a UUID in canonical form (lowercase, hyphenated), or empty")
    if bool(hold) == bool(time_slot):
        v.add("hold", "give a hold or a time_slot (one of them)")
    elif hold:
        parse_reference(hold, "slotHolds", field="hold", violations=v)
    else:
        parse_reference(time_slot, "timeSlots", field="time_slot", violations=v)
    parse_reference(client, "clients", field="client", violations=v)
    v.raise_if_any()


async def claim_new_id(uow: UnitOfWork, entry_id: str, field: str, *, locked: bool = False) -> None:
    """A caller-given id for a new session or appointment: ALREADY_EXISTS when any session or
    appointment (of any company) has it. On PostgreSQL an advisory lock on the id, held to the
    end of the transaction, makes a concurrent claim of the same id wait and then see ours
    (`locked`: taken already, with the request's idempotency look-up)."""
    if not entry_id:
        return
    if not locked:
        await lock_booking_id(uow, entry_id)
    if await booking_id_used(uow, entry_id):
        raise AlreadyExists(f"{field} {entry_id} is already used by another booking", metadata={"field": field})


def _check_kind(slot: TimeSlotRow, *, appointment: bool, field: str, name: str) -> None:
    """Sessions are booked in slots of session types, appointments in slots of appointment types."""
    if is_appointment_slot(slot) != appointment:
        bad = Violations()
        if appointment:
            bad.add(field, f"{name} sells a session type: book it with BookOnline")
        else:
            bad.add(field, f"{name} sells an appointment type: book it with BookAppointmentOnline")
        bad.raise_if_any()


async def slot_to_book(
    uow: UnitOfWork,
    company_id: str,
    hold_name: str,
    slot_name: str,
    client_id: str,
    now: datetime,
    names: dict[str, str],
    holds: Holding,
    *,
    appointment: bool,
) -> tuple[TimeSlotRow, SlotHoldRow]:
    """The slot being booked and the hold booking it: the given hold (still held, for this
    client), or for the given open slot a hold row to write once booked (`hold_to_book`)."""
    if hold_name:
        hold = await load_hold(uow, company_id, hold_name, "hold")
        if hold.client_id != client_id:
            bad = Violations()
            bad.add("client", f"{hold_name} is held for another client")
            bad.raise_if_any()
        if not hold_is_live(hold.state == HoldState.HELD, hold.expires_at, now):
            state = shown_state(hold.state, hold.expires_at, now).api_name
            raise FailedPrecondition(
                f"{hold_name} is no longer held ({state})", reason="HOLD_NOT_HELD", metadata={"state": state}
            )
        slot = await load_slot(uow, company_id, f"timeSlots/{hold.slot_id}")
        names["slot"] = f"timeSlots/{slot.id}"
        _check_kind(slot, appointment=appointment, field="hold", name=hold_name)
        reason = (await why_not_open(uow, company_id, [slot], now, own_hold=hold.id))[slot.id]
        if reason:
            raise not_open_error(names["slot"], reason)
        return slot, hold
    # as HoldSlot does: the slot's schedules locked first, then its row read once, as a writer
    # before us left it
    slot, locked = await locked_slot(uow, company_id, slot_name, field="time_slot")
    _check_kind(slot, appointment=appointment, field="time_slot", name=slot_name)
    return slot, await hold_to_book(uow, company_id, slot, client_id, now, holds, locked=locked)


E = TypeVar("E")
# An online step's work, in the unit of work the edge's `OnlineOnce` runs it in (once per the
# request's request_id; the answer: the edge's message of what the work returns), with the
# name of the slot a database refusal is answered for and the advisory lock (a caller-given
# id's, or "") the idempotency look-up takes in its statement.
OnlineWork = Callable[[UnitOfWork], Awaitable[E]]
OnlineOnce = Callable[[OnlineWork[E], Callable[[], str], str], Awaitable[A]]


@dataclass(frozen=True)
class OnlineBooking:
    """A BookOnline or BookAppointmentOnline request, read: the hold or the time slot booked,
    the client, the caller's request id, the id it gives the new session or appointment (and
    that id's field), the description and (a session's) participants."""

    hold: str
    time_slot: str
    client: str
    request_id: str
    entry_id: str
    entry_id_field: str
    description: str
    participants: tuple[str, ...] = ()
    # the client's version the request carries (`client_details`): applied in the booking's
    # transaction, so a client just found or created books a slot straight away in one call
    details: ClientVersion | None = None


async def run_online_booking(
    company_id: str,
    request: OnlineBooking,
    book: Callable[[UnitOfWork, TimeSlotRow, SlotHoldRow, str, datetime], Awaitable[E]],
    holds: Holding,
    once: OnlineOnce[E, A],
    *,
    appointment: bool,
) -> A:
    """An online booking through a hold: the request checked, the caller's id for the booking
    claimed, the client known, the slot and the hold it books through found (or, straight from
    the slot, a hold row to write booked), then `book(uow, slot, hold, client_id, now)`."""
    entry_id, id_field = request.entry_id, request.entry_id_field
    check_book_request(request.hold, request.time_slot, request.client, request.request_id, entry_id, id_field)
    names = {"slot": request.time_slot or request.hold}
    # the id's lock taken with the request's idempotency look-up (one statement for both)
    lock = booking_id_lock(entry_id) if entry_id and request.request_id else ""

    async def work(uow: UnitOfWork) -> E:
        now = utcnow()
        await claim_new_id(uow, entry_id, id_field, locked=bool(lock))
        client_id = await booking_client(uow, company_id, request.client, request.details, "client")
        slot, hold = await slot_to_book(
            uow, company_id, request.hold, request.time_slot, client_id, now, names, holds, appointment=appointment
        )
        return await book(uow, slot, hold, client_id, now)

    return await once(work, lambda: names["slot"], lock)


def check_move_request(request_id: str, entry: str, collection: str, field: str, time_slot: str) -> None:
    """The fields of a request moving a booking (`entry`, in `collection`) to `time_slot`."""
    v = Violations()
    require_request_id(request_id, v)
    parse_reference(entry, collection, field=field, violations=v)
    parse_reference(time_slot, "timeSlots", field="time_slot", violations=v)
    v.raise_if_any()


async def slot_to_move_to(uow: UnitOfWork, company_id: str, time_slot: str, entry_id: str) -> TimeSlotRow | None:
    """The slot a booking moves to, or None when the booking already has it."""
    slot = await load_slot(uow, company_id, time_slot, field="time_slot")
    return None if slot.booked_session_id == entry_id else slot


async def move_to_slot(
    uow: UnitOfWork,
    company_id: str,
    entry_id: str,
    client_id: str,
    slot: TimeSlotRow,
    now: datetime,
    released: str,
    holds: Holding,
) -> SlotHoldRow:
    """A booked entry moving to another slot: its old slot is freed first and what its booking
    removed comes back (the new slot may be one of them; `released` names the entry in those
    events, `holds.slots.restored` announces them), then the new slot's schedules are locked
    (concurrent holders and bookers of them wait), the slot read again and found open (the
    entry's own blocks do not make it busy): the hold row to write once booked."""
    await release_booking(uow, company_id, entry_id, released, holds.slots.restored)
    locked = await lock_slot_schedules(uow, company_id, slot)
    return await hold_to_book(uow, company_id, slot, client_id, now, holds, locked=locked, own_entry=entry_id)


async def settle_in_slot(
    uow: UnitOfWork,
    company_id: str,
    slot: TimeSlotRow,
    hold: SlotHoldRow,
    entry: str,
    booking_type: BookingType,
    slots: SlotEvents,
) -> None:
    """The booking `entry` (a session's or an appointment's name) takes the slot through its
    hold: the slot is taken, the hold is booked (a held one's blocks give way to the booking's
    own; one not written yet is written booked), conflicting slots are removed
    (`slots.removed`) and the slot announced booked (`slots.booked`)."""
    entry_id = entry.split("/", 1)[1]
    await take_slot(uow, slot, entry_id)
    await HoldRepository(uow).book(hold, entry_id)
    await auto_remove(uow, company_id, slot, booking_type, entry, slots.removed)
    slots.booked(uow, company_id, slot_of(slot), entry)


# --- the steps booking in a slot, cancelling and moving share (sessions and appointments) -----


@dataclass(frozen=True)
class SlotTimes:
    """A slot's local date and wall-clock times in its location's zone, and its schedules (in
    the slot's order)."""

    location: Location
    day: Day
    start: Clock
    end: Clock
    same_day: bool
    schedule_ids: list[str]


async def slot_times(uow: UnitOfWork, company_id: str, slot: TimeSlotRow) -> SlotTimes:
    """Where and when a slot is, as a booking in it states it (FAILED_PRECONDITION when its
    location is gone)."""
    location = await setup.load_resource(uow, setup.LOCATIONS, company_id, slot.location_id)
    if location is None:
        raise FailedPrecondition(f"timeSlots/{slot.id} has no location any more", reason="SLOT_NOT_OPEN")
    tz = times.zone(location.time_zone)
    local_start, local_end = slot.start_at.astimezone(tz), slot.end_at.astimezone(tz)
    return SlotTimes(
        location=location,
        day=Day.of(local_start.date()),
        start=Clock(local_start.hour, local_start.minute),
        end=Clock(local_end.hour, local_end.minute),
        same_day=local_start.date() == local_end.date(),
        schedule_ids=(await schedules_of(uow, [slot.id]))[slot.id],
    )


P = TypeVar("P", bound=Plan)


async def plan_in_slot(slot: TimeSlotRow, planning: Awaitable[P], field: str) -> P:
    """The one planning step of a booking in a slot (sessions and appointments): the entry's
    plan (`planning`), its violations named in this API's fields (`session.participants[0]` ->
    `participants[0]`), and the slot's instants kept (else FAILED_PRECONDITION)."""
    try:
        plan = await planning
    except InvalidArgument as err:
        err.violations = [FieldViolation(v.field.removeprefix(f"{field}."), v.description) for v in err.violations]
        raise err from None
    if plan.start != slot.start_at or plan.end != slot.end_at:
        raise FailedPrecondition(f"timeSlots/{slot.id} cannot be expressed in local time", reason="SLOT_NOT_OPEN")
    return plan


@dataclass(frozen=True)
class InSlot:
    """An online booking's entry to make in its slot: the company, the slot, the client's id,
    the request, the slot's type and the entry's id (the one the caller chose, `session_id` or
    `appointment_id`, or a new one; drawn once)."""

    company_id: str
    slot: TimeSlotRow
    client_id: str
    request: OnlineBooking
    booking_type: BookingType
    entry_id: str


RowT = TypeVar("RowT")
EntryT = TypeVar("EntryT", Session, Appointment)


@dataclass(frozen=True)
class OnlineKind(Generic[RowT, EntryT]):
    """A session or an appointment booked online, for the shared book, cancel and move steps:
    the request field naming it (`session`, `appointment`); how it is loaded (locked,
    FAILED_PRECONDITION unless booked online); `book` makes and books the entry of a slot for
    a client (`book(uow, in_slot, announce)`; the slot is then settled by `book_online`); `cancel` stores
    it cancelled (its cancelled event); `move` places and stores it in another slot (its type
    and rescheduled event)."""

    field: str
    load: Callable[[UnitOfWork, str, str], Awaitable[tuple[RowT, EntryT]]]
    book: Callable[[UnitOfWork, InSlot, Announce], Awaitable[EntryT]]
    cancel: Callable[[UnitOfWork, RowT, EntryT], Awaitable[EntryEvent]]
    move: Callable[[UnitOfWork, RowT, EntryT, TimeSlotRow], Awaitable[tuple[BookingType, EntryEvent]]]

    @property
    def collection(self) -> str:
        return f"{self.field}s"


async def cancel_online(
    company_id: str,
    kind: OnlineKind[RowT, EntryT],
    entry: str,
    request_id: str,
    announce: Announce,
    slots: SlotEvents,
    once: OnlineOnce[EntryT, A],
) -> A:
    """Cancel a booking made online (`entry`, its name; the request's request_id): a cancelled
    one is answered as it is; else the kind's `cancel` stores it cancelled (returns the cancelled event),
    its slot is freed (what it removed restored, `slots.restored`) and the event `announce`d."""
    v = Violations()
    require_request_id(request_id, v)
    parse_reference(entry, kind.collection, field=kind.field, violations=v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> EntryT:
        row, booked = await kind.load(uow, company_id, entry)
        if booked.cancelled:
            return booked
        event = await kind.cancel(uow, row, booked)
        booked_row: Any = row  # a SessionRow or an AppointmentRow
        await release_booking(uow, company_id, booked_row.id, booked.name, slots.restored)
        announce(uow, company_id, event)
        return booked

    return await once(work, lambda: entry, "")


async def move_online(
    company_id: str,
    kind: OnlineKind[RowT, EntryT],
    entry: str,
    time_slot: str,
    request_id: str,
    holds: Holding,
    announce: Announce,
    once: OnlineOnce[EntryT, A],
) -> A:
    """Move a booking made online (`entry`) to another slot (`time_slot`): the old slot is
    freed first, the new one found open (`move_to_slot`), the kind's `move` places and stores
    the entry there (returns its type and the rescheduled event), the slot is settled and the
    event `announce`d with the previous times."""
    check_move_request(request_id, entry, kind.collection, kind.field, time_slot)

    async def work(uow: UnitOfWork) -> EntryT:
        now = utcnow()
        row, booked = await kind.load(uow, company_id, entry)
        booked_row: Any = row  # a SessionRow or an AppointmentRow
        if booked.cancelled:
            raise FailedPrecondition(f"{entry} is cancelled", reason=f"{kind.field.upper()}_CANCELLED")
        before = (booked.start_time, booked.end_time)
        row_id: str = booked_row.id
        slot = await slot_to_move_to(uow, company_id, time_slot, row_id)
        if slot is None:
            return booked
        if slot.type_id != booked_row.type_id:  # type ids are UUIDs: one type, one kind
            bad = Violations()
            bad.add("time_slot", f"{time_slot} sells another {kind.field} type")
            bad.raise_if_any()
        # Free the old slot and what it removed first (the new slot may be one of them); the
        # entry's own blocks do not make the new slot busy; the hold serializes with others.
        hold = await move_to_slot(uow, company_id, row_id, booked_row.client_id, slot, now, booked.name, holds)
        booking_type, event = await kind.move(uow, row, booked, slot)
        await settle_in_slot(uow, company_id, slot, hold, booked.name, booking_type, holds.slots)
        announce(uow, company_id, replace(event, previous=before))
        return booked

    return await once(work, lambda: time_slot, "")


async def book_online(
    company_id: str,
    kind: OnlineKind[RowT, EntryT],
    request: OnlineBooking,
    holds: Holding,
    announce: Announce,
    once: OnlineOnce[EntryT, A],
) -> A:
    """Book a session or an appointment online (`kind`) through a hold or straight from a slot."""

    async def book(uow: UnitOfWork, slot: TimeSlotRow, hold: SlotHoldRow, client_id: str, now: datetime) -> EntryT:
        booking_type = await type_of(uow, company_id, slot)
        entry_id = request.entry_id or str(uuid.uuid4())
        entry = await kind.book(uow, InSlot(company_id, slot, client_id, request, booking_type, entry_id), announce)
        await settle_in_slot(uow, company_id, slot, hold, entry.name, booking_type, holds.slots)
        return entry

    return await run_online_booking(company_id, request, book, holds, once, appointment=kind.field == "appointment")
