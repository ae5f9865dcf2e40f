"""A picture day booking's session (issue 21) on the path every booking shares: booked from
the day's session template into its slot, moved to another slot, cancelled, with the session's
own events and the booking's (`picture_day_events`).

The sessions are domain sessions (domain/entries.py) on the shared steps
(`entries.book_session`, `entries.replan_session`, `planning.planned_session`); the events are
the edge's (`announce`: the booking's events and the session's own). The day's session template
is a domain `BulkTemplate`, read by storage from the day as created
(`picture_day_repository.session_template`). The booking's own rules (`picture_day_bookings`)
see a session as its id and what its events show of it."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import bulk_jobs, picture_day_events
from shutterbook_scheduling.application.entries import (
    Attempt,
    EntryChange,
    book_session,
    load_session,
    previous_times,
    replan_session,
    session_from_row,
    shown,
)
from shutterbook_scheduling.application.picture_day_events import Announce
from shutterbook_scheduling.application.planning import planned_session
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.domain.bulk_jobs import TEMPLATE_FIELDS
from shutterbook_scheduling.domain.entries import Clock, Day, Session, SessionEvent, SessionShown
from shutterbook_scheduling.storage.picture_day_repository import session_template


def _slot_times(session: Session, slot: rules.Slot, zone: ZoneInfo) -> None:
    day, start, end = bulk_jobs.local_slot(slot.start_at, slot.end_at, zone)
    session.session_date, session.start, session.end = Day.of(day), Clock.of(start), Clock.of(end)


@dataclass(frozen=True)
class DayWork:
    """What a picture day's session step works within: the booking attempt (its conflicts
    reported), how events are announced, the company and the day."""

    attempt: Attempt
    announce: Announce
    company_id: str
    day: rules.PictureDay


async def book_session_for(
    uow: UnitOfWork, work: DayWork, client_id: str, slot: rules.Slot, children: Sequence[str]
) -> tuple[str, SessionShown]:
    """The family's session in `slot`, booked from the day's template (its member children the
    participants; conflicts refused): its id and what its events show of it."""
    attempt, announce, company_id, day = work.attempt, work.announce, work.company_id, work.day
    template = session_template(day)
    session = Session(client=f"clients/{client_id}", **{name: getattr(template, name) for name in TEMPLATE_FIELDS})
    _slot_times(session, slot, ZoneInfo(day.time_zone))
    session.participants.extend(c for c in children if "/familyMembers/" in c)
    plan = await planned_session(uow, company_id, session, creating=True, participants=True)
    session_id = str(uuid.uuid4())
    attempt.planned(plan, session_id)
    status = await book_session(uow, company_id, session, plan, announce, session_id=session_id, allow_conflicts=False)
    return session_id, shown(session, plan, status, location=True)


async def change_session_for(uow: UnitOfWork, work: DayWork, booking: rules.Booking, slot: rules.Slot | None) -> None:
    """The booking's session moved to `slot` (rescheduled), or cancelled (`slot` None); the
    session's event and the booking's."""
    attempt, announce, company_id, day = work.attempt, work.announce, work.company_id, work.day
    row = await load_session(uow, company_id, f"sessions/{booking.session_id}", lock=True)
    before = session_from_row(row)
    if before.cancelled:
        return
    session = copy.deepcopy(before)
    if slot is None:
        session.cancelled = True
    else:
        _slot_times(session, slot, ZoneInfo(day.time_zone))
    action = "cancelled" if slot is None else "rescheduled"
    change = EntryChange(action, occupies=session.occupies(), allow_conflicts=slot is None)
    plan, status = await replan_session(uow, company_id, row, session, change, attempt=attempt)
    now = shown(session, plan, status)
    if slot is None:
        announce(uow, company_id, SessionEvent("cancelled", now))
        await picture_day_events.cancelled(uow, announce, company_id, day, booking, now)
        return
    announce(uow, company_id, SessionEvent("rescheduled", now, previous=previous_times(before)))
    assert before.start_time is not None
    assert before.end_time is not None
    previous = before.start_time, before.end_time
    await picture_day_events.rescheduled(uow, announce, company_id, day, booking, now, previous)
