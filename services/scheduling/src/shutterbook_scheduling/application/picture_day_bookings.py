"""A family's bookings of a picture day (issue 21): book a free slot for some of its member
children, move the booking to another free slot, cancel it; only while self-booking is open.

Each booking is an ordinary session (the family its client, the children its participants),
booked, rescheduled and cancelled through the steps every booking path shares
(`picture_day_sessions`: `entries.book_session`, `entries.replan_session`) in the same
transaction as the picture day's own rows. Two conditional UPDATEs keep the day's promises under concurrent
families, on SQLite (writers serialized by BEGIN IMMEDIATE) and PostgreSQL (the second writer
waits for the first's row lock, then finds the row taken): a slot is taken only while free,
a child only while not booked. The loser's transaction rolls back whole.

The steps return the booking and its slot as domain objects (domain/picture_days.py); the use
cases take the request's fields as plain values and run once per its request_id through the
edge's `Once` (api/picture_day_convert.booking_once: the answer is the edge's message, kept by
the idempotency record), their events announced through the edge's `Announce`.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from shutterbook_kit.errors import FailedPrecondition, NotFound, Violations
from shutterbook_kit.resource_names import name_ids, parse_name, parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import picture_day_events, picture_day_sessions
from shutterbook_scheduling.application.entries import Attempt
from shutterbook_scheduling.application.picture_day_events import Announce
from shutterbook_scheduling.application.picture_day_refs import COLLECTION, child_key, slot_name
from shutterbook_scheduling.application.picture_day_release import release
from shutterbook_scheduling.application.picture_days import load_day
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository

R = TypeVar("R")
Booked = tuple[rules.Booking, rules.Slot]
# A booking use case's work, in the unit of work and attempt the edge's `Once` runs it in.
Work = Callable[[UnitOfWork, Attempt], Awaitable[Booked]]
# Runs the work once per the request's request_id (a retry, or a twin racing it, gets the first
# answer): the edge's answer.
Once = Callable[[Work], Awaitable[R]]


class SlotTaken(FailedPrecondition):
    pass


def _slot_id(name: str, day_id: str, field: str, v: Violations) -> str | None:
    ids = name_ids(name, COLLECTION, "slots")
    if not name:
        v.add(field, "is required")
    elif ids is None or ids[0] != day_id:
        v.add(field, f"must be a slot of {COLLECTION}/{day_id}, {COLLECTION}/{{id}}/slots/{{id}}")
    return ids[1] if ids is not None and ids[0] == day_id else None


def _booking_ids(name: str) -> tuple[str, str]:
    """(day id, booking id) of `pictureDays/{id}/bookings/{id}`."""
    parse_name(name, COLLECTION, "bookings")  # INVALID_ARGUMENT or NOT_FOUND when malformed
    ids = name_ids(name, COLLECTION, "bookings")
    assert ids is not None
    return ids[0], ids[1]


def check_open(day: rules.PictureDay, now: datetime) -> None:
    problem = day.window_problem(now)
    if problem is not None:
        raise FailedPrecondition(problem, reason="PICTURE_DAY_NOT_OPEN")


async def _slot(uow: UnitOfWork, day_id: str, slot_id: str, name: str) -> rules.Slot:
    row = await PictureDayRepository(uow).slot(day_id, slot_id)
    if row is None:
        raise NotFound(f"{name} not found")
    return row


async def take_slot(uow: UnitOfWork, slot: rules.Slot, booking_id: str, name: str) -> rules.Slot:
    """The conditional UPDATE that gives a slot to one booking: the slot, now the booking's."""
    if not await PictureDayRepository(uow).take_slot(slot.id, booking_id):
        raise SlotTaken(f"{name} was just taken; choose another time", reason="SLOT_TAKEN")
    return dataclasses.replace(slot, booking_id=booking_id)


async def take_children(
    uow: UnitOfWork, day_id: str, client_id: str, member_ids: Sequence[str], booking_id: str
) -> None:
    """The conditional UPDATE that books each child once: all of them, or the booking fails."""
    if await PictureDayRepository(uow).take_children(day_id, client_id, member_ids, booking_id) != len(member_ids):
        raise FailedPrecondition("a child was just booked in another booking", reason="CHILD_ALREADY_BOOKED")


async def book(
    uow: UnitOfWork,
    attempt: Attempt,
    announce: Announce,
    company_id: str,
    day: rules.PictureDay,
    client_id: str,
    slot: rules.Slot,
    children: Sequence[str],
    *,
    assigned_at_close: bool = False,
) -> Booked:
    """Book `children` (keys, already checked) of a family into a slot: the slot, the children,
    the session, the event. Also the close's assignment."""
    booking_id = str(uuid.uuid4())
    slot = await take_slot(uow, slot, booking_id, slot_name(day.id, slot.id))
    member_ids = [rules.member_id(c) for c in children]
    await take_children(uow, day.id, client_id, member_ids, booking_id)
    work = picture_day_sessions.DayWork(attempt, announce, company_id, day)
    session_id, session = await picture_day_sessions.book_session_for(uow, work, client_id, slot, children)
    booking = rules.Booking(booking_id, day.id, client_id, slot.id, tuple(children), session_id, False, utcnow())
    await PictureDayRepository(uow).add_booking(company_id, booking)
    await picture_day_events.booked(
        uow, announce, company_id, day, booking, session, assigned_at_close=assigned_at_close
    )
    return booking, slot


async def family_children(uow: UnitOfWork, day_id: str, client_id: str) -> list[rules.FamilyChild]:
    return await PictureDayRepository(uow).family_children(day_id, client_id)


async def book_checked(
    uow: UnitOfWork,
    attempt: Attempt,
    announce: Announce,
    company_id: str,
    day: rules.PictureDay,
    client_id: str,
    slot: str,
    children: Sequence[str],
    *,
    prefix: str,
) -> Booked:
    """Book `children` of a family into the slot named `slot`, after the day's rules (bad
    fields named `{prefix}slot`, `{prefix}children[i]`)."""
    v = Violations()
    slot_id = _slot_id(slot, day.id, f"{prefix}slot", v)
    v.raise_if_any()
    assert slot_id is not None
    check_open(day, utcnow())
    members = await family_children(uow, day.id, client_id)
    if not members:
        raise NotFound(f"clients/{client_id} is not a family of {COLLECTION}/{day.id}")
    keys = [child_key(m.client_id, m.member_id) for m in members]
    elsewhere = [child_key(m.client_id, m.member_id) for m in members if m.booking_id]
    for index, problem in rules.booking_problems(children, keys, elsewhere, day.siblings_per_slot):
        v.add(f"{prefix}children" if index is None else f"{prefix}children[{index}]", problem)
    v.raise_if_any()
    row = await _slot(uow, day.id, slot_id, slot)
    return await book(uow, attempt, announce, company_id, day, client_id, row, children)


async def create_booking(
    company_id: str,
    parent: str,
    client: str,
    slot: str,
    children: Sequence[str],
    once: Once[R],
    announce: Announce,
) -> R:
    """Staff book `children` of the family `client` into the slot named `slot` of the day
    `parent` (bad fields named `booking.*`)."""
    day_id = parse_name(parent, COLLECTION, field="parent")
    v = Violations()
    client_id = parse_reference(client, "clients", field="booking.client", violations=v)
    _slot_id(slot, day_id, "booking.slot", v)
    v.raise_if_any()
    assert client_id is not None

    async def work(uow: UnitOfWork, attempt: Attempt) -> Booked:
        day = await load_day(uow, company_id, day_id, parent)
        return await book_checked(uow, attempt, announce, company_id, day, client_id, slot, children, prefix="booking.")

    return await once(work)


async def load_booking(uow: UnitOfWork, company_id: str, name: str) -> tuple[rules.PictureDay, rules.Booking]:
    day_id, booking_id = _booking_ids(name)
    day = await load_day(uow, company_id, day_id, name)
    row = await PictureDayRepository(uow).locked_booking(day.id, booking_id)
    if row is None:
        raise NotFound(f"{name} not found")
    return day, row


async def move(uow: UnitOfWork, attempt: Attempt, announce: Announce, company_id: str, name: str, slot: str) -> Booked:
    """Move the booking `name` to the free slot named `slot` (bad: a violation of `slot`)."""
    day, booking = await load_booking(uow, company_id, name)
    v = Violations()
    slot_id = _slot_id(slot, day.id, "slot", v)
    v.raise_if_any()
    assert slot_id is not None
    check_open(day, utcnow())
    if booking.cancelled:
        raise FailedPrecondition(f"{name} is cancelled", reason="BOOKING_CANCELLED")
    target = await _slot(uow, day.id, slot_id, slot)
    if booking.slot_id == target.id:
        return booking, target
    target = await take_slot(uow, target, booking.id, slot)
    booking = await PictureDayRepository(uow).move_booking(booking, target.id)
    await picture_day_sessions.change_session_for(
        uow, picture_day_sessions.DayWork(attempt, announce, company_id, day), booking, target
    )
    return booking, target


async def cancel(uow: UnitOfWork, attempt: Attempt, announce: Announce, company_id: str, name: str) -> Booked:
    """Cancel the booking `name`: its session cancelled, its slot and children free (again: no-op)."""
    day, booking = await load_booking(uow, company_id, name)
    slot = await _slot(uow, day.id, booking.slot_id, slot_name(day.id, booking.slot_id))
    if booking.cancelled:
        return booking, slot
    check_open(day, utcnow())
    booking = await release(uow, booking)
    await picture_day_sessions.change_session_for(
        uow, picture_day_sessions.DayWork(attempt, announce, company_id, day), booking, None
    )
    return booking, slot


async def reschedule_booking(company_id: str, name: str, slot: str, once: Once[R], announce: Announce) -> R:
    """Staff move the booking `name` to the free slot named `slot`."""
    day_id, _ = _booking_ids(name)
    v = Violations()
    _slot_id(slot, day_id, "slot", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork, attempt: Attempt) -> Booked:
        return await move(uow, attempt, announce, company_id, name, slot)

    return await once(work)


async def cancel_booking(company_id: str, name: str, once: Once[R], announce: Announce) -> R:
    """Staff cancel the booking `name`."""
    _booking_ids(name)

    async def work(uow: UnitOfWork, attempt: Attempt) -> Booked:
        return await cancel(uow, attempt, announce, company_id, name)

    return await once(work)
