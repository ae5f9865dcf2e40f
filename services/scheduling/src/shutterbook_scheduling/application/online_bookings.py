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
    FieldViolation,
    InvalidArgument,
    Violations,
)
from shutterbook_kit.resource_names import parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.common import to_date
from shutterbook_scheduling.application.entries import (
    book_session,
    change_session_entry,
    load_session,
    session_from_row,
    session_snapshot,
)
from shutterbook_scheduling.application.holds import (
    hold_slot,
    release_hold,
    require_request_id,
    run_online,
    type_of,
)
from shutterbook_scheduling.application.planning import planned_session
from shutterbook_scheduling.application.slot_booking import (
    check_move_request,
    move_to_slot,
    run_online_booking,
    settle_in_slot,
    slot_to_move_to,
)
from shutterbook_scheduling.application.slot_state import (
    release_booking,
    schedules_of,
)
from shutterbook_scheduling.domain import times
from shutterbook_scheduling.settings import HoldSettings
from shutterbook_scheduling.storage.models import SessionRow
from shutterbook_scheduling.storage.online_models import (
    SlotHoldRow,
    TimeSlotRow,
)


async def _apply_slot(
    uow: UnitOfWork, company_id: str, msg: pb.Session, slot: TimeSlotRow, location: pb.Location
) -> None:
    """Put the slot's local date, times and schedules on the session: up to two staff
    schedules become photographer and assistant and one resource the camera room; any other
    mix is booked with one advanced-calendar block holding all the schedules."""
    tz = times.zone(location.time_zone)
    local_start, local_end = slot.start_at.astimezone(tz), slot.end_at.astimezone(tz)
    day = to_date(local_start.date())
    start = pb.TimeOfDay(hours=local_start.hour, minutes=local_start.minute)
    end = pb.TimeOfDay(hours=local_end.hour, minutes=local_end.minute)
    schedule_ids = (await schedules_of(uow, [slot.id]))[slot.id]
    staff: list[str] = []
    resources: list[str] = []
    for schedule_id in schedule_ids:
        schedule: pb.Schedule | None = await setup.load_message(uow, setup.SCHEDULES, company_id, schedule_id)
        if schedule is None:
            raise FailedPrecondition(f"a schedule of timeSlots/{slot.id} no longer exists", reason="SLOT_NOT_OPEN")
        (staff if schedule.kind == pb.SCHEDULE_KIND_STAFF else resources).append(schedule.name)
    for field_name in ("photographer", "assistant", "camera_room"):
        msg.ClearField(field_name)
    del msg.time_blocks[:]
    if len(staff) <= 2 and len(resources) <= 1 and local_start.date() == local_end.date():
        msg.use_advanced_calendar = False
        msg.session_date.CopyFrom(day)
        msg.start.CopyFrom(start)
        msg.end.CopyFrom(end)
        if staff:
            msg.photographer = staff[0]
        if len(staff) > 1:
            msg.assistant = staff[1]
        if resources:
            msg.camera_room = resources[0]
    else:
        msg.use_advanced_calendar = True
        msg.time_blocks.append(pb.TimeBlock(date=day, start=start, end=end, schedules=staff + resources))


def _rename_violations(err: InvalidArgument) -> InvalidArgument:
    """The session's violations in this API's field names (`session.participants[0]` -> `participants[0]`)."""
    err.violations = [FieldViolation(v.field.removeprefix("session."), v.description) for v in err.violations]
    return err


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
    location: pb.Location | None = await setup.load_message(uow, setup.LOCATIONS, company_id, slot.location_id)
    if location is None:
        raise FailedPrecondition(f"timeSlots/{slot.id} has no location any more", reason="SLOT_NOT_OPEN")
    msg = pb.Session(
        client=f"clients/{client_id}",
        session_type=f"sessionTypes/{slot.type_id}",
        location=location.name,
        description=request.description,
        participants=list(request.participants),
        status=type_msg.online.booked_online_status,
        # online, "confirmed" means booked: the client chose this time and paid what the type
        # asks before this call (README "The public booking API")
        confirmed=True,
    )
    await _apply_slot(uow, company_id, msg, slot, location)
    try:
        plan = await planned_session(uow, company_id, msg, creating=True, participants=True)
    except InvalidArgument as err:
        raise _rename_violations(err) from None
    if plan.start != slot.start_at or plan.end != slot.end_at:
        raise FailedPrecondition(f"timeSlots/{slot.id} cannot be expressed in local time", reason="SLOT_NOT_OPEN")
    session_id = request.session_id or str(uuid.uuid4())
    msg.booked_online = True
    await book_session(uow, company_id, msg, plan, session_id=session_id, allow_conflicts=False)
    await settle_in_slot(uow, company_id, slot, hold, msg.name, type_msg)
    return msg


async def book_online(db: Database, company_id: str, request: opb.BookOnlineRequest, holds: HoldSettings) -> pb.Session:
    async def book(uow: UnitOfWork, slot: TimeSlotRow, hold: SlotHoldRow, client_id: str, now: datetime) -> pb.Session:
        return await _book(uow, company_id, slot, hold, client_id, request, now)

    return await run_online_booking(
        db,
        company_id,
        "BookOnline",
        request,
        (request.session_id, "session_id"),
        pb.Session,
        book,
        holds,
        appointment=False,
    )


async def _online_session(uow: UnitOfWork, company_id: str, name: str) -> tuple[SessionRow, pb.Session]:
    row = await load_session(uow, company_id, name, lock=True)
    msg = session_from_row(row)
    if not msg.booked_online:
        raise FailedPrecondition(f"{name} was not booked online", reason="NOT_BOOKED_ONLINE")
    return row, msg


async def _store_change(
    uow: UnitOfWork,
    company_id: str,
    row: SessionRow,
    msg: pb.Session,
    status_name: str,
    *,
    occupies: bool,
    action: str,
) -> tuple[pb.SessionStatus, Any]:
    if status_name:
        msg.status = status_name
    plan = await planned_session(uow, company_id, msg, creating=False, participants=False)
    status = await change_session_entry(
        uow,
        company_id,
        row,
        msg,
        plan,
        blocks=True,
        occupies=occupies,
        allow_conflicts=not occupies,
        restatus=True,
        action=action,
    )
    return status, plan.type_msg


async def cancel_online_booking(db: Database, company_id: str, request: opb.CancelOnlineBookingRequest) -> pb.Session:
    v = Violations()
    require_request_id(request.request_id, v)
    parse_reference(request.session, "sessions", field="session", violations=v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> pb.Session:
        row, msg = await _online_session(uow, company_id, request.session)
        if msg.cancelled:
            return msg
        type_msg = await setup.load_message(uow, setup.SESSION_TYPES, company_id, row.type_id)
        msg.cancelled = True
        status_name = type_msg.online.cancelled_online_status if type_msg is not None else ""
        status, type_used = await _store_change(
            uow, company_id, row, msg, status_name, occupies=False, action="cancelled_online"
        )
        await release_booking(uow, company_id, row.id)
        uow.emit(
            events.SESSION_CANCELLED,
            company_id,
            ev.SessionCancelledEvent(session=session_snapshot(msg, type_used, status)),
        )
        return msg

    return await run_online(
        db, company_id, "CancelOnlineBooking", request, request.request_id, pb.Session, work, lambda: request.session
    )


async def reschedule_online_booking(
    db: Database, company_id: str, request: opb.RescheduleOnlineBookingRequest, holds: HoldSettings
) -> pb.Session:
    check_move_request(request.request_id, request.session, "sessions", "session", request.time_slot)

    async def work(uow: UnitOfWork) -> pb.Session:
        now = utcnow()
        row, msg = await _online_session(uow, company_id, request.session)
        if msg.cancelled:
            raise FailedPrecondition(f"{request.session} is cancelled", reason="SESSION_CANCELLED")
        before = pb.Session()
        before.CopyFrom(msg)
        slot = await slot_to_move_to(uow, company_id, request.time_slot, row.id)
        if slot is None:
            return msg
        if slot.type_id != row.type_id:
            bad = Violations()
            bad.add("time_slot", f"{request.time_slot} sells another session type")
            bad.raise_if_any()
        # Free the old slot and what it removed first (the new slot may be one of them); the
        # session's own blocks do not make the new slot busy; the hold serializes with others.
        hold = await move_to_slot(uow, company_id, row.id, row.client_id, slot, now, "", holds)
        location: pb.Location | None = await setup.load_message(uow, setup.LOCATIONS, company_id, slot.location_id)
        assert location is not None
        await _apply_slot(uow, company_id, msg, slot, location)
        msg.location = location.name
        type_msg = await type_of(uow, company_id, slot)
        status, type_used = await _store_change(
            uow,
            company_id,
            row,
            msg,
            type_msg.online.rescheduled_online_status,
            occupies=True,
            action="rescheduled_online",
        )
        await settle_in_slot(uow, company_id, slot, hold, msg.name, type_msg)
        event = ev.SessionRescheduledEvent(session=session_snapshot(msg, type_used, status))
        event.previous_start_time.CopyFrom(before.start_time)
        event.previous_end_time.CopyFrom(before.end_time)
        uow.emit(events.SESSION_RESCHEDULED, company_id, event)
        return msg

    return await run_online(
        db,
        company_id,
        "RescheduleOnlineBooking",
        request,
        request.request_id,
        pb.Session,
        work,
        lambda: request.time_slot,
    )


__all__ = [
    "book_online",
    "cancel_online_booking",
    "hold_slot",
    "release_hold",
    "reschedule_online_booking",
]
