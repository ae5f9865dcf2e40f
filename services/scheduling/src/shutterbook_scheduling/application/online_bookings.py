"""Online booking of sessions: book (from a hold or directly), cancel online, reschedule online.
The booking itself is the one booking path's (`entries`); this module adds the slot: its
local times and schedules on the session, the hold it books through, the slot taken. A
booking's id (session or appointment) is stored in `online_time_slots.booked_session_id`,
`online_slot_removals.session_id` and `online_holds.session_id`; ids are UUIDs, so the two
kinds never collide, and "live" means the session or appointment is not cancelled. Holds,
concurrency and the booking ids a caller may give: see `holds`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import (
    FailedPrecondition,
)
from shutterbook_kit.events import EventType
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import setup, slot_booking
from shutterbook_scheduling.application.entries import (
    EntryChange,
    book_session,
    load_session,
    replan_session,
    session_from_row,
    session_snapshot,
)
from shutterbook_scheduling.application.holds import (
    Holding,
    hold_slot,
    release_hold,
    type_of,
)
from shutterbook_scheduling.application.planning import planned_session
from shutterbook_scheduling.domain.setup import Location, Schedule
from shutterbook_scheduling.storage.models import SessionRow
from shutterbook_scheduling.storage.online_models import (
    SlotHoldRow,
    TimeSlotRow,
)


async def _apply_slot(uow: UnitOfWork, company_id: str, msg: pb.Session, slot: TimeSlotRow) -> Location:
    """Put the slot's local date, times, location and schedules on the session: up to two staff
    schedules become photographer and assistant and one resource the camera room; any other
    mix is booked with one advanced-calendar block holding all the schedules."""
    at = await slot_booking.slot_times(uow, company_id, slot)
    staff: list[str] = []
    resources: list[str] = []
    for schedule_id in at.schedule_ids:
        schedule: Schedule | None = await setup.load_message(uow, setup.SCHEDULES, company_id, schedule_id)
        if schedule is None:
            raise FailedPrecondition(f"a schedule of timeSlots/{slot.id} no longer exists", reason="SLOT_NOT_OPEN")
        (staff if schedule.kind == pb.SCHEDULE_KIND_STAFF else resources).append(schedule.name)
    for field_name in ("photographer", "assistant", "camera_room"):
        msg.ClearField(field_name)
    del msg.time_blocks[:]
    msg.location = at.location.name
    if len(staff) <= 2 and len(resources) <= 1 and at.same_day:
        msg.use_advanced_calendar = False
        msg.session_date.CopyFrom(at.day)
        msg.start.CopyFrom(at.start)
        msg.end.CopyFrom(at.end)
        if staff:
            msg.photographer = staff[0]
        if len(staff) > 1:
            msg.assistant = staff[1]
        if resources:
            msg.camera_room = resources[0]
    else:
        msg.use_advanced_calendar = True
        msg.time_blocks.append(pb.TimeBlock(date=at.day, start=at.start, end=at.end, schedules=staff + resources))
    return at.location


async def _book(
    uow: UnitOfWork,
    company_id: str,
    slot: TimeSlotRow,
    hold: SlotHoldRow,
    client_id: str,
    request: opb.BookOnlineRequest,
    now: datetime,
) -> pb.Session:
    type_msg = await type_of(uow, company_id, slot)
    msg = pb.Session(
        client=f"clients/{client_id}",
        session_type=f"sessionTypes/{slot.type_id}",
        description=request.description,
        participants=list(request.participants),
        status=type_msg.online.booked_online_status,
        # online, "confirmed" means booked: the client chose this time and paid what the type
        # asks before this call (README "The public booking API")
        confirmed=True,
    )
    await _apply_slot(uow, company_id, msg, slot)
    planning = planned_session(uow, company_id, msg, creating=True, participants=True)
    plan = await slot_booking.plan_in_slot(slot, planning, "session")
    session_id = request.session_id or str(uuid.uuid4())
    msg.booked_online = True
    await book_session(uow, company_id, msg, plan, session_id=session_id, allow_conflicts=False)
    await slot_booking.settle_in_slot(uow, company_id, slot, hold, msg.name, type_msg)
    return msg


async def book_online(db: Database, company_id: str, request: opb.BookOnlineRequest, holds: Holding) -> pb.Session:
    async def book(uow: UnitOfWork, slot: TimeSlotRow, hold: SlotHoldRow, client_id: str, now: datetime) -> pb.Session:
        return await _book(uow, company_id, slot, hold, client_id, request, now)

    new_id = (request.session_id, "session_id")
    return await slot_booking.run_online_booking(
        db, company_id, "BookOnline", request, new_id, pb.Session, book, holds, appointment=False
    )


async def _online_session(uow: UnitOfWork, company_id: str, name: str) -> tuple[SessionRow, pb.Session]:
    row = await load_session(uow, company_id, name, lock=True)
    msg = session_from_row(row)
    if not msg.booked_online:
        raise FailedPrecondition(f"{name} was not booked online", reason="NOT_BOOKED_ONLINE")
    return row, msg


SESSIONS = slot_booking.OnlineKind("session", pb.Session, _online_session)


async def _store_change(
    uow: UnitOfWork, row: SessionRow, msg: pb.Session, status_name: str, change: EntryChange
) -> ev.SessionSnapshot:
    """Store the changed session (its status `status_name` when given); its snapshot."""
    if status_name:
        msg.status = status_name
    plan, status = await replan_session(uow, row.company_id, row, msg, change)
    return session_snapshot(msg, plan.type_msg, status)


CANCELLED_ONLINE = EntryChange("cancelled_online", occupies=False, allow_conflicts=True, restatus=True)
RESCHEDULED_ONLINE = EntryChange("rescheduled_online", occupies=True, allow_conflicts=False, restatus=True)


async def _cancelled(uow: UnitOfWork, row: SessionRow, msg: pb.Session) -> tuple[EventType[Any], Any]:
    type_msg = await setup.load_message(uow, setup.SESSION_TYPES, row.company_id, row.type_id)
    msg.cancelled = True
    status_name = type_msg.online.cancelled_online_status if type_msg is not None else ""
    snap = await _store_change(uow, row, msg, status_name, CANCELLED_ONLINE)
    return events.SESSION_CANCELLED, ev.SessionCancelledEvent(session=snap)


async def _moved(
    uow: UnitOfWork, row: SessionRow, msg: pb.Session, slot: TimeSlotRow
) -> tuple[Any, EventType[Any], Any]:
    await _apply_slot(uow, row.company_id, msg, slot)
    type_msg = await type_of(uow, row.company_id, slot)
    snap = await _store_change(uow, row, msg, type_msg.online.rescheduled_online_status, RESCHEDULED_ONLINE)
    return type_msg, events.SESSION_RESCHEDULED, ev.SessionRescheduledEvent(session=snap)


async def cancel_online_booking(db: Database, company_id: str, request: opb.CancelOnlineBookingRequest) -> pb.Session:
    return await slot_booking.cancel_online(db, company_id, SESSIONS, "CancelOnlineBooking", request, _cancelled)


async def reschedule_online_booking(
    db: Database, company_id: str, request: opb.RescheduleOnlineBookingRequest, holds: Holding
) -> pb.Session:
    return await slot_booking.move_online(db, company_id, SESSIONS, "RescheduleOnlineBooking", request, holds, _moved)


__all__ = [
    "book_online",
    "cancel_online_booking",
    "hold_slot",
    "release_hold",
    "reschedule_online_booking",
]
