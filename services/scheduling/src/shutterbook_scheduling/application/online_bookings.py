"""Online booking of sessions: book (from a hold or directly), cancel online, reschedule online.
The booking itself is the one booking path's (`entries`); this module adds the slot: its
local times and schedules on the session, the hold it books through, the slot taken. A
booking's id (session or appointment) is stored in `online_time_slots.booked_session_id`,
`online_slot_removals.session_id` and `online_holds.session_id`; ids are UUIDs, so the two
kinds never collide, and "live" means the session or appointment is not cancelled. Holds,
concurrency and the booking ids a caller may give: see `holds`. The requests are read, run once
and answered at the API edge (api/online_entry_convert.py), which builds the events too.
"""

from __future__ import annotations

from shutterbook_kit.errors import FailedPrecondition
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup, slot_booking
from shutterbook_scheduling.application.entries import (
    Announce,
    EntryChange,
    book_session,
    load_session,
    replan_session,
    session_from_row,
    shown,
)
from shutterbook_scheduling.application.holds import (
    type_of,
)
from shutterbook_scheduling.application.planning import planned_session
from shutterbook_scheduling.application.slot_booking import InSlot
from shutterbook_scheduling.domain import entries
from shutterbook_scheduling.domain.entries import Session, SessionEvent, TimeBlock
from shutterbook_scheduling.domain.setup import BookingType, Location
from shutterbook_scheduling.storage.models import SessionRow
from shutterbook_scheduling.storage.online_models import (
    TimeSlotRow,
)


async def _apply_slot(uow: UnitOfWork, company_id: str, session: Session, slot: TimeSlotRow) -> Location:
    """Put the slot's local date, times, location and schedules on the session: up to two staff
    schedules become photographer and assistant and one resource the camera room; any other
    mix is booked with one advanced-calendar block holding all the schedules."""
    at = await slot_booking.slot_times(uow, company_id, slot)
    staff: list[str] = []
    resources: list[str] = []
    for schedule_id in at.schedule_ids:
        schedule = await setup.load_resource(uow, setup.SCHEDULES, company_id, schedule_id)
        if schedule is None:
            raise FailedPrecondition(f"a schedule of timeSlots/{slot.id} no longer exists", reason="SLOT_NOT_OPEN")
        (staff if schedule.kind == entries.STAFF_SCHEDULE else resources).append(schedule.name)
    session.photographer = session.assistant = session.camera_room = ""
    session.time_blocks = []
    session.location = at.location.name
    if len(staff) <= 2 and len(resources) <= 1 and at.same_day:
        session.use_advanced_calendar = False
        session.session_date, session.start, session.end = at.day, at.start, at.end
        if staff:
            session.photographer = staff[0]
        if len(staff) > 1:
            session.assistant = staff[1]
        if resources:
            session.camera_room = resources[0]
    else:
        session.use_advanced_calendar = True
        session.time_blocks = [TimeBlock(date=at.day, start=at.start, end=at.end, schedules=staff + resources)]
    return at.location


async def _book(uow: UnitOfWork, at: InSlot, announce: Announce) -> Session:
    """Book the session of a session-type slot for the client, with the type's booked-online
    status."""
    session = Session(
        client=f"clients/{at.client_id}",
        session_type=f"sessionTypes/{at.slot.type_id}",
        description=at.request.description,
        participants=list(at.request.participants),
        status=at.booking_type.online.booked_online_status,
        # online, "confirmed" means booked: the client chose this time and paid what the type
        # asks before this call (README "The public booking API")
        confirmed=True,
    )
    await _apply_slot(uow, at.company_id, session, at.slot)
    planning = planned_session(uow, at.company_id, session, creating=True, participants=True)
    plan = await slot_booking.plan_in_slot(at.slot, planning, "session")
    session.booked_online = True
    await book_session(uow, at.company_id, session, plan, announce, session_id=at.entry_id, allow_conflicts=False)
    return session


async def _online_session(uow: UnitOfWork, company_id: str, name: str) -> tuple[SessionRow, Session]:
    row = await load_session(uow, company_id, name, lock=True)
    session = session_from_row(row)
    if not session.booked_online:
        raise FailedPrecondition(f"{name} was not booked online", reason="NOT_BOOKED_ONLINE")
    return row, session


async def _store_change(
    uow: UnitOfWork, row: SessionRow, session: Session, status_name: str, change: EntryChange, event: str
) -> SessionEvent:
    """Store the changed session (its status `status_name` when given); its event."""
    if status_name:
        session.status = status_name
    plan, status = await replan_session(uow, row.company_id, row, session, change)
    return SessionEvent(event, shown(session, plan, status))


CANCELLED_ONLINE = EntryChange("cancelled_online", occupies=False, allow_conflicts=True, restatus=True)
RESCHEDULED_ONLINE = EntryChange("rescheduled_online", occupies=True, allow_conflicts=False, restatus=True)


async def _cancelled(uow: UnitOfWork, row: SessionRow, session: Session) -> SessionEvent:
    session_type = await setup.load_resource(uow, setup.SESSION_TYPES, row.company_id, row.type_id)
    session.cancelled = True
    status_name = session_type.online.cancelled_online_status if session_type is not None else ""
    return await _store_change(uow, row, session, status_name, CANCELLED_ONLINE, "cancelled")


async def _moved(
    uow: UnitOfWork, row: SessionRow, session: Session, slot: TimeSlotRow
) -> tuple[BookingType, SessionEvent]:
    await _apply_slot(uow, row.company_id, session, slot)
    booking_type = await type_of(uow, row.company_id, slot)
    status_name = booking_type.online.rescheduled_online_status
    return booking_type, await _store_change(uow, row, session, status_name, RESCHEDULED_ONLINE, "rescheduled")


SESSIONS = slot_booking.OnlineKind("session", _online_session, _book, _cancelled, _moved)
