"""Staff use cases of sessions: book, read, update, reschedule, cancel, hold (listing:
`session_list`).

Sessions are domain objects (domain/entries.py). The API edge (api/session_convert.py) reads
the requests, runs each change once per its request_id (`Once`: the idempotency record keeps
the answer's message), merges an update's mask (`Merge`) and builds the events (`announce`)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable

from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, FailedPrecondition, Violations
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import picture_day_events, setup
from shutterbook_scheduling.application.entries import (
    A,
    Announce,
    Attempt,
    EntryChange,
    Once,
    create_session,
    load_session,
    number_taken,
    previous_times,
    replan_session,
    session_from_row,
    shown,
)
from shutterbook_scheduling.application.picture_day_release import refuse_if_booked_on_a_picture_day, release_session
from shutterbook_scheduling.application.planning import Plan
from shutterbook_scheduling.application.slot_state import SlotAnnounce, SlotEvents, release_booking
from shutterbook_scheduling.domain import entries
from shutterbook_scheduling.domain.entries import Clock, Day, Session, SessionEvent, TimeBlock
from shutterbook_scheduling.domain.picture_days import Booking, PictureDay
from shutterbook_scheduling.domain.setup import SessionStatus

# Merges an update's masked fields into the session as stored (the edge's: it checks the mask);
# returns the merged session and the paths applied.
Merge = Callable[[Session], tuple[Session, list[str]]]

__all__ = ["create_session"]


async def get_session(db: Database, company_id: str, name: str) -> Session:
    async with UnitOfWork(db, readonly=True) as uow:
        return session_from_row(await load_session(uow, company_id, name))


TIMES = entries.SESSION_TIMES
SESSION_UPDATABLE = {
    "description",
    "session_type",
    "photographer",
    "assistant",
    "camera_room",
    "camera_room_text",
    "session_number",
    "status",
    "status_due_date",
    "file_number",
    "reminder_minutes",
    "confirmed",
    "no_show",
    "redo",
    "participants",
    "notes",
    *TIMES,
    "time_blocks",
}
"""`TIMES` move a simple session and `time_blocks` an advanced one, in the same change as the
other fields (the session record saves time and people at once: all or nothing)."""


_REPLANS = {"session_type", "photographer", "assistant", "camera_room", *TIMES, "time_blocks"}


async def _before_move(uow: UnitOfWork, company_id: str, session: Session, restored: SlotAnnounce) -> None:
    """What moving a session's time needs first: not cancelled, not a picture day's booking;
    an online booking gives its slot back (`restored`: the edge's `SlotEvents.restored`)."""
    if session.cancelled:
        raise FailedPrecondition(f"{session.name} is cancelled", reason="SESSION_CANCELLED")
    await refuse_if_booked_on_a_picture_day(uow, company_id, session.session_id)
    if session.booked_online:
        # Staff moving an online session off its slot: the slot is no longer booked, and the
        # slots its booking removed come back (with `scheduling.slot.restored`).
        await release_booking(uow, company_id, session.session_id, session.name, restored)


Emit = Callable[[UnitOfWork, Session, Session, Plan, SessionStatus], Awaitable[None]]


async def _change_session(
    company_id: str,
    name: str,
    change: Callable[[UnitOfWork, Session], Awaitable[tuple[Session, bool, bool]]],
    emit: Emit,
    once: Once[Session, A],
    *,
    action: str,
    allow_conflicts: bool,
) -> A:
    """Load, change (returns: the changed session, re-plan and re-check blocks?, changed at
    all?), store with its audit entry (`action`), emit; run by the edge's `once`."""

    async def work(uow: UnitOfWork, attempt: Attempt) -> Session:
        row = await load_session(uow, company_id, name, lock=True)
        before = session_from_row(row)
        session, replan, changed = await change(uow, copy.deepcopy(before))
        if not changed:
            return before
        participants = before.participants != session.participants
        stored = EntryChange(action, occupies=session.occupies(), allow_conflicts=allow_conflicts, blocks=replan)
        plan, status = await replan_session(
            uow, company_id, row, session, stored, participants=participants, attempt=attempt
        )
        await emit(uow, before, session, plan, status)
        return session

    return await once(work)


def _rescheduled(before: Session, after: Session, plan: Plan, status: SessionStatus) -> SessionEvent:
    return SessionEvent("rescheduled", shown(after, plan, status), previous=previous_times(before))


def _bad(field: str, problem: str) -> None:
    bad = Violations()
    bad.add(field, problem)
    bad.raise_if_any()


async def update_session(
    company_id: str,
    name: str,
    merge: Merge,
    allow_conflicts: bool,
    announce: Announce,
    slots: SlotEvents,
    once: Once[Session, A],
) -> A:
    """The masked fields changed (`merge`, the edge's), with the checks an update needs; the
    status's due date worked out anew when the status changes without one. A move of an online
    booking gives its slot back (`slots`: the edge's slot events)."""
    paths: list[str] = []

    async def change(uow: UnitOfWork, session: Session) -> tuple[Session, bool, bool]:
        advanced = session.use_advanced_calendar
        was = session.wall_clock()
        session, applied = merge(session)
        paths.extend(applied)
        bad = Violations()
        for field, problem in entries.update_problems(advanced, paths, session):
            bad.add(field, problem)
        bad.raise_if_any()
        if {*TIMES, "time_blocks"} & set(paths) and session.wall_clock() != was:  # the same times again: no move
            await _before_move(uow, company_id, session, slots.restored)
        number = session.session_number
        if (
            number != ""
            and "session_number" in paths
            and await number_taken(uow, tenancy.current().company_id, number, session.session_id)
        ):
            raise AlreadyExists(
                f"session number {number} is already taken",
                metadata={"field": "session.session_number"},
            )
        if "session_number" in paths and not session.session_number:
            _bad("session.session_number", "must not be empty")
        if "status" in paths and "status_due_date" not in paths:
            session.status_due_date = None
        return session, bool(_REPLANS & set(paths)), True

    async def emit(uow: UnitOfWork, before: Session, after: Session, plan: Plan, status: SessionStatus) -> None:
        now = shown(after, plan, status)
        if before.status != after.status:
            announce(uow, company_id, SessionEvent("status_changed", now, previous_status=before.status))
        if before.block_times() != after.block_times():
            announce(uow, company_id, _rescheduled(before, after, plan, status))
        other = [p for p in paths if p != "status" and p not in TIMES and p != "time_blocks"]
        if other:
            announce(uow, company_id, SessionEvent("updated", now, changed_paths=tuple(other)))

    async def change_and_due(uow: UnitOfWork, session: Session) -> tuple[Session, bool, bool]:
        session, replan, changed = await change(uow, session)
        if session.status_due_date is None:
            status_id = session.status.removeprefix("sessionStatuses/")
            status = await setup.load_resource(uow, setup.STATUSES, company_id, status_id) if status_id else None
            if status is None and session.status:
                _bad("session.status", f"{session.status} does not exist")
            day = entries.read_day(session.session_date, "session.session_date", {})
            if status is not None and day is not None:
                session.status_due_date = entries.due_date(day, status.due_in_days)
        return session, replan, changed

    return await _change_session(
        company_id, name, change_and_due, emit, once, action="updated", allow_conflicts=allow_conflicts
    )


async def reschedule_session(
    company_id: str,
    name: str,
    times: tuple[Day | None, Clock | None, Clock | None],
    time_blocks: list[TimeBlock],
    allow_conflicts: bool,
    announce: Announce,
    slots: SlotEvents,
    once: Once[Session, A],
) -> A:
    """A simple session moved to the date and times given (`times`: date, start, end; no end:
    the type's duration), an advanced one to the `time_blocks` given; an online booking's slot
    given back (`slots`: the edge's slot events)."""

    async def change(uow: UnitOfWork, session: Session) -> tuple[Session, bool, bool]:
        await _before_move(uow, company_id, session, slots.restored)
        if session.use_advanced_calendar:
            if not time_blocks:
                _bad("time_blocks", "an advanced session is rescheduled with new time_blocks")
            session.time_blocks = copy.deepcopy(time_blocks)
        else:
            entries.take_new_times(session, *times)
        return session, True, True

    async def emit(uow: UnitOfWork, before: Session, after: Session, plan: Plan, status: SessionStatus) -> None:
        announce(uow, company_id, _rescheduled(before, after, plan, status))

    return await _change_session(
        company_id, name, change, emit, once, action="rescheduled", allow_conflicts=allow_conflicts
    )


async def cancel_session(
    company_id: str,
    name: str,
    announce: Announce,
    announce_booking: picture_day_events.Announce,
    slots: SlotEvents,
    once: Once[Session, A],
) -> A:
    """The session cancelled; an online booking's slot given back (`slots`: the edge's slot
    events); a picture day booking's slot and children let go, the family told through
    `announce_booking` (the edge's `picture_day_convert.announce_booking`)."""
    released: list[tuple[PictureDay, Booking]] = []

    async def change(uow: UnitOfWork, session: Session) -> tuple[Session, bool, bool]:
        if session.cancelled:
            return session, False, False
        session.cancelled = True
        if session.booked_online:
            # A staff cancellation frees an online session's slot and restores what it removed.
            await release_booking(uow, company_id, session.session_id, session.name, slots.restored)
        # ... and a picture day session's slot and children (issue 21), the family told
        released[:] = await release_session(uow, company_id, session.session_id)
        return session, True, True

    async def emit(uow: UnitOfWork, before: Session, after: Session, plan: Plan, status: SessionStatus) -> None:
        now = shown(after, plan, status)
        announce(uow, company_id, SessionEvent("cancelled", now))
        for day, booking in released:
            await picture_day_events.cancelled(uow, announce_booking, company_id, day, booking, now)

    return await _change_session(company_id, name, change, emit, once, action="cancelled", allow_conflicts=True)


async def hold_session(
    company_id: str, name: str, on_hold: bool, allow_conflicts: bool, announce: Announce, once: Once[Session, A]
) -> A:
    async def change(uow: UnitOfWork, session: Session) -> tuple[Session, bool, bool]:
        if session.cancelled:
            raise FailedPrecondition(f"{session.name} is cancelled", reason="SESSION_CANCELLED")
        if session.on_hold == on_hold:
            return session, False, False
        session.on_hold = on_hold
        return session, True, True

    async def emit(uow: UnitOfWork, before: Session, after: Session, plan: Plan, status: SessionStatus) -> None:
        announce(uow, company_id, SessionEvent("updated", shown(after, plan, status), changed_paths=("on_hold",)))

    action = "held" if on_hold else "released"
    return await _change_session(company_id, name, change, emit, once, action=action, allow_conflicts=allow_conflicts)
