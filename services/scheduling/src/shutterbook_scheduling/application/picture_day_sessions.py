"""A picture day booking's session (issue 21) on the path every booking shares: booked from
the day's session template into its slot, moved to another slot, cancelled, with the session's
own events and the booking's (`picture_day_events`).

The one picture day module that handles session messages: the shared steps
(`entries.book_session`, `entries.replan_session`, `planning.planned_session`) and the
session's events still take and give them, and the day's template is read from the day as
created (`PictureDay.created`, the edge's message). The booking's own rules
(`picture_day_bookings`) see a session as its id and the snapshot its events pass on."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import bulk_jobs, picture_day_events
from shutterbook_scheduling.application.common import from_ts, to_date
from shutterbook_scheduling.application.entries import (
    Attempt,
    EntryChange,
    book_session,
    emit_rescheduled,
    load_session,
    replan_session,
    session_from_row,
    session_snapshot,
)
from shutterbook_scheduling.application.picture_day_events import Announce
from shutterbook_scheduling.application.planning import planned_session
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.domain.rules import occupies


async def book_session_for(
    uow: UnitOfWork,
    attempt: Attempt,
    company_id: str,
    day: rules.PictureDay,
    client_id: str,
    slot: rules.Slot,
    children: Sequence[str],
) -> tuple[str, ev.SessionSnapshot]:
    """The family's session in `slot`, booked from the day's template (its member children the
    participants; conflicts refused): its id and its snapshot."""
    template = pdpb.PictureDay.FromString(day.created).template
    zone = ZoneInfo(day.time_zone)
    local_day, start, end = bulk_jobs.local_slot(slot.start_at, slot.end_at, zone)
    msg = bulk_jobs.session_for(template, f"clients/{client_id}", local_day, start, end)
    msg.participants.extend(c for c in children if "/familyMembers/" in c)
    plan = await planned_session(uow, company_id, msg, creating=True, participants=True)
    session_id = str(uuid.uuid4())
    attempt.planned(plan, session_id)
    status = await book_session(uow, company_id, msg, plan, session_id=session_id, allow_conflicts=False)
    return session_id, session_snapshot(msg, plan.type_msg, status, plan.location)


def _slot_times(msg: pb.Session, slot: rules.Slot, zone: ZoneInfo) -> None:
    day, start, end = bulk_jobs.local_slot(slot.start_at, slot.end_at, zone)
    msg.session_date.CopyFrom(to_date(day))
    msg.start.CopyFrom(pb.TimeOfDay(hours=start.hour, minutes=start.minute))
    msg.end.CopyFrom(pb.TimeOfDay(hours=end.hour, minutes=end.minute))


async def change_session_for(
    uow: UnitOfWork,
    attempt: Attempt,
    announce: Announce,
    company_id: str,
    day: rules.PictureDay,
    booking: rules.Booking,
    slot: rules.Slot | None,
) -> None:
    """The booking's session moved to `slot` (rescheduled), or cancelled (`slot` None); the
    session's event and the booking's."""
    row = await load_session(uow, company_id, f"sessions/{booking.session_id}", lock=True)
    before = session_from_row(row)
    if before.cancelled:
        return
    zone = ZoneInfo(day.time_zone)
    msg = pb.Session()
    msg.CopyFrom(before)
    if slot is None:
        msg.cancelled = True
    else:
        _slot_times(msg, slot, zone)
    action = "cancelled" if slot is None else "rescheduled"
    change = EntryChange(
        action, occupies=occupies(on_hold=msg.on_hold, cancelled=msg.cancelled), allow_conflicts=slot is None
    )
    plan, status = await replan_session(uow, company_id, row, msg, change, attempt=attempt)
    snapshot = session_snapshot(msg, plan.type_msg, status)
    if slot is None:
        uow.emit(events.SESSION_CANCELLED, company_id, ev.SessionCancelledEvent(session=snapshot))
        await picture_day_events.cancelled(uow, announce, company_id, day, booking, snapshot)
        return
    event = ev.SessionRescheduledEvent(session=snapshot)
    emit_rescheduled(uow, company_id, events.SESSION_RESCHEDULED, event, before)
    previous = from_ts(before.start_time), from_ts(before.end_time)
    await picture_day_events.rescheduled(uow, announce, company_id, day, booking, snapshot, previous)
