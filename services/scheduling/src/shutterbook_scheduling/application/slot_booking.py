"""Booking through a hold, shared by online sessions and appointments: the request checked, the
caller's id claimed, the slot and hold found (or a hold taken), the slot settled by the booking;
moving a booking to another slot. Holds themselves: see `holds`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    Violations,
)
from shutterbook_kit.resource_names import is_canonical_uuid, parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application.holds import (
    R,
    auto_remove,
    hold_message,
    load_hold,
    require_known_client,
    require_request_id,
    run_online,
    take_hold,
    take_slot,
)
from shutterbook_scheduling.application.slot_state import (
    booking_ref,
    is_appointment_slot,
    load_slot,
    not_open_error,
    release_booking,
    slot_message,
    why_not_open,
)
from shutterbook_scheduling.settings import HoldSettings
from shutterbook_scheduling.storage.models import AppointmentRow, SessionRow
from shutterbook_scheduling.storage.online_models import (
    HoldBlockRow,
    SlotHoldRow,
    TimeSlotRow,
)


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


async def claim_new_id(uow: UnitOfWork, entry_id: str, field: str) -> None:
    """A caller-given id for a new session or appointment: ALREADY_EXISTS when any session or
    appointment (of any company) has it. On PostgreSQL an advisory lock on the id, held to the
    end of the transaction, makes a concurrent claim of the same id wait and then see ours."""
    if not entry_id:
        return
    if not uow.db.is_sqlite:
        await uow.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"scheduling.booking_id:{entry_id}"},
        )
    used = await uow.session.scalar(select(SessionRow.id).where(SessionRow.id == entry_id))
    if used is None:
        used = await uow.session.scalar(select(AppointmentRow.id).where(AppointmentRow.id == entry_id))
    if used is not None:
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
    holds: HoldSettings,
    *,
    appointment: bool,
) -> tuple[TimeSlotRow, SlotHoldRow]:
    """The slot being booked and the hold booking it: the given hold (still held, for this
    client), or a hold taken now on the given open slot."""
    if hold_name:
        hold = await load_hold(uow, company_id, hold_name, "hold")
        if hold.client_id != client_id:
            bad = Violations()
            bad.add("client", f"{hold_name} is held for another client")
            bad.raise_if_any()
        if hold.state != opb.SLOT_HOLD_STATE_HELD or hold.expires_at <= now:
            state = opb.SlotHoldState.Name(hold_message(hold, now).state)
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
    slot = await load_slot(uow, company_id, slot_name, field="time_slot")
    _check_kind(slot, appointment=appointment, field="time_slot", name=slot_name)
    hold = await take_hold(uow, company_id, slot, client_id, now, holds, state=opb.SLOT_HOLD_STATE_BOOKED)
    return slot, hold


async def run_online_booking(
    db: Database,
    company_id: str,
    scope: str,
    request: opb.BookOnlineRequest | opb.BookAppointmentOnlineRequest,
    new_id: tuple[str, str],
    response_type: type[R],
    book: Callable[[UnitOfWork, TimeSlotRow, SlotHoldRow, str, datetime], Awaitable[R]],
    holds: HoldSettings,
    *,
    appointment: bool,
) -> R:
    """An online booking through a hold: the request checked, the caller's id for the booking
    (`new_id`: the id and its field) claimed, the client known, the slot and the hold it books
    through found (or a hold taken now), then `book(uow, slot, hold, client_id, now)`."""
    entry_id, id_field = new_id
    check_book_request(request.hold, request.time_slot, request.client, request.request_id, entry_id, id_field)
    names = {"slot": request.time_slot or request.hold}

    async def work(uow: UnitOfWork) -> R:
        now = utcnow()
        await claim_new_id(uow, entry_id, id_field)
        client_id = await require_known_client(uow, company_id, request.client, "client")
        slot, hold = await slot_to_book(
            uow, company_id, request.hold, request.time_slot, client_id, now, names, holds, appointment=appointment
        )
        return await book(uow, slot, hold, client_id, now)

    return await run_online(
        db, company_id, scope, request, request.request_id, response_type, work, lambda: names["slot"]
    )


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
    holds: HoldSettings,
) -> SlotHoldRow:
    """A booked entry moving to another slot: its old slot is freed first and what its booking
    removed comes back (the new slot may be one of them; `released` names the entry in those
    events, or is empty), then a hold is taken on the new slot (the entry's own blocks do not
    make it busy; the hold serializes with concurrent holders)."""
    await release_booking(uow, company_id, entry_id, released)
    return await take_hold(
        uow, company_id, slot, client_id, now, holds, state=opb.SLOT_HOLD_STATE_BOOKED, own_entry=entry_id
    )


async def settle_in_slot(
    uow: UnitOfWork, company_id: str, slot: TimeSlotRow, hold: SlotHoldRow, entry: str, type_msg: Any
) -> None:
    """The booking `entry` (a session's or an appointment's name) takes the slot through its
    hold: the slot is taken, the hold's blocks give way to the booking's own, the hold is
    booked, conflicting slots are removed and `scheduling.slot.booked` is emitted."""
    entry_id = entry.split("/", 1)[1]
    await take_slot(uow, slot, entry_id)
    await uow.session.execute(delete(HoldBlockRow).where(HoldBlockRow.hold_id == hold.id))
    hold.state = opb.SLOT_HOLD_STATE_BOOKED
    hold.session_id = entry_id
    await auto_remove(uow, company_id, slot, type_msg, entry)
    uow.emit(
        events.SLOT_BOOKED,
        company_id,
        opb.SlotBookedEvent(time_slot=slot_message(slot, removed=False), **booking_ref(entry)),
    )
