"""Staff use cases of sessions: book, read, list, update, reschedule, cancel, hold."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, FailedPrecondition, Violations
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import picture_day_events, setup
from shutterbook_scheduling.application.common import apply_mask, read_date, require_mask, to_date
from shutterbook_scheduling.application.entries import (
    Attempt,
    EntryChange,
    create_entry,
    emit_rescheduled,
    load_session,
    number_taken,
    replan_session,
    run_booking,
    session_from_row,
    session_snapshot,
)
from shutterbook_scheduling.application.picture_day_events import Announce
from shutterbook_scheduling.application.picture_day_release import refuse_if_booked_on_a_picture_day, release_session
from shutterbook_scheduling.application.planning import Plan, take_new_times
from shutterbook_scheduling.application.slot_state import release_booking
from shutterbook_scheduling.domain import rules
from shutterbook_scheduling.domain.picture_days import Booking, PictureDay
from shutterbook_scheduling.domain.setup import SessionStatus


async def create_session(db: Database, company_id: str, request: pb.CreateSessionRequest) -> pb.Session:
    created: pb.Session = await create_entry(db, company_id, request, request.session, "CreateSession")
    return created


async def get_session(db: Database, company_id: str, name: str) -> pb.Session:
    async with UnitOfWork(db, readonly=True) as uow:
        return session_from_row(await load_session(uow, company_id, name))


TIMES = frozenset({"session_date", "start", "end"})
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


async def _before_move(uow: UnitOfWork, company_id: str, msg: pb.Session) -> None:
    """What moving a session's time needs first: not cancelled, not a picture day's booking;
    an online booking gives its slot back."""
    if msg.cancelled:
        raise FailedPrecondition(f"{msg.name} is cancelled", reason="SESSION_CANCELLED")
    await refuse_if_booked_on_a_picture_day(uow, company_id, msg.name.removeprefix("sessions/"))
    if msg.booked_online:
        # Staff moving an online session off its slot: the slot is no longer booked, and the
        # slots its booking removed come back (with `scheduling.slot.restored`).
        await release_booking(uow, company_id, msg.name.removeprefix("sessions/"), msg.name)


def _times(session: pb.Session) -> list[tuple[int, int]]:
    """When a session's blocks are, as UTC seconds (a simple session has one block)."""
    return [(b.start_time.seconds, b.end_time.seconds) for b in session.time_blocks]


def _wall_clock(session: pb.Session) -> tuple[bytes, ...]:
    """What a caller says of a session's times: date, start and end, and each block's date,
    times, schedules and location (not the instants computed from them)."""
    blocks = []
    for block in session.time_blocks:
        given = pb.TimeBlock()
        given.CopyFrom(block)
        given.ClearField("start_time")
        given.ClearField("end_time")
        blocks.append(given.SerializeToString(deterministic=True))
    times = (session.session_date, session.start, session.end)
    return (*(t.SerializeToString(deterministic=True) for t in times), *blocks)


def _emit_rescheduled(uow: UnitOfWork, company_id: str, before: pb.Session, snap: ev.SessionSnapshot) -> None:
    emit_rescheduled(uow, company_id, events.SESSION_RESCHEDULED, ev.SessionRescheduledEvent(session=snap), before)


async def _change_session(
    db: Database,
    company_id: str,
    name: str,
    change: Callable[[UnitOfWork, pb.Session], Awaitable[tuple[bool, bool]]],
    emit: Callable[[UnitOfWork, pb.Session, pb.Session, Plan, SessionStatus], Awaitable[None]],
    *,
    action: str,
    allow_conflicts: bool,
    request: pb.RescheduleSessionRequest | pb.CancelSessionRequest | pb.HoldSessionRequest | None = None,
) -> pb.Session:
    """Load, change (returns: re-plan and re-check blocks?, changed at all?), store with its
    audit entry (`action`), emit. With a `request`, once per its request_id (the scope: the
    request's method, e.g. `CancelSession`)."""

    async def work(uow: UnitOfWork, attempt: Attempt) -> pb.Session:
        row = await load_session(uow, company_id, name, lock=True)
        before = session_from_row(row)
        msg = pb.Session()
        msg.CopyFrom(before)
        replan, changed = await change(uow, msg)
        if not changed:
            return before
        participants = list(before.participants) != list(msg.participants)
        occupies = rules.occupies(on_hold=msg.on_hold, cancelled=msg.cancelled)
        stored = EntryChange(action, occupies=occupies, allow_conflicts=allow_conflicts, blocks=replan)
        plan, status = await replan_session(
            uow, company_id, row, msg, stored, participants=participants, attempt=attempt
        )
        await emit(uow, before, msg, plan, status)
        return msg

    if request is None:
        return await run_booking(db, company_id, pb.Session, work)
    scope = type(request).__name__.removesuffix("Request")
    return await run_booking(
        db, company_id, pb.Session, work, scope=scope, request=request, request_id=request.request_id
    )


async def update_session(db: Database, company_id: str, request: pb.UpdateSessionRequest) -> pb.Session:
    parse_name(request.session.name, "sessions", field="session.name")
    require_mask(request.update_mask)
    paths: list[str] = []

    async def change(uow: UnitOfWork, msg: pb.Session) -> tuple[bool, bool]:
        advanced = msg.use_advanced_calendar
        was = _wall_clock(msg)
        paths.extend(apply_mask(msg, request.session, request.update_mask, field="session", writable=SESSION_UPDATABLE))
        bad = Violations()
        if advanced and {"photographer", "assistant", "camera_room", *TIMES} & set(paths):
            bad.add("update_mask", "an advanced session's times and schedules change with its time_blocks")
        if not advanced and "time_blocks" in paths:
            bad.add("update_mask", "time_blocks change only on an advanced session (use session_date, start, end)")
        if advanced and "time_blocks" in paths and not msg.time_blocks:
            bad.add("session.time_blocks", "an advanced session keeps at least one time block")
        bad.raise_if_any()
        if {*TIMES, "time_blocks"} & set(paths) and _wall_clock(msg) != was:  # the same times again: no move
            await _before_move(uow, company_id, msg)
        if msg.session_number != "" and "session_number" in paths:
            own = msg.name.removeprefix("sessions/")
            if await number_taken(uow, tenancy.current().company_id, msg.session_number, own):
                raise AlreadyExists(
                    f"session number {msg.session_number} is already taken",
                    metadata={"field": "session.session_number"},
                )
        if "session_number" in paths and not msg.session_number:
            bad = Violations()
            bad.add("session.session_number", "must not be empty")
            bad.raise_if_any()
        if "status" in paths and "status_due_date" not in paths:
            msg.ClearField("status_due_date")
        return bool(_REPLANS & set(paths)), True

    async def emit(uow: UnitOfWork, before: pb.Session, after: pb.Session, plan: Plan, status: SessionStatus) -> None:
        snap = session_snapshot(after, plan.type_msg, status)
        if before.status != after.status:
            previous = before.status
            uow.emit(
                events.SESSION_STATUS_CHANGED,
                company_id,
                ev.SessionStatusChangedEvent(session=snap, previous_status=previous),
            )
        if _times(before) != _times(after):
            _emit_rescheduled(uow, company_id, before, snap)
        other = [p for p in paths if p != "status" and p not in TIMES and p != "time_blocks"]
        if other:
            uow.emit(
                events.SESSION_UPDATED,
                company_id,
                ev.SessionUpdatedEvent(session=snap, changed_paths=other, on_hold=after.on_hold),
            )

    async def change_and_due(uow: UnitOfWork, msg: pb.Session) -> tuple[bool, bool]:
        result = await change(uow, msg)
        if not msg.HasField("status_due_date"):
            status_id = msg.status.removeprefix("sessionStatuses/")
            status = await setup.load_message(uow, setup.STATUSES, company_id, status_id) if status_id else None
            if status is None and msg.status:
                bad = Violations()
                bad.add("session.status", f"{msg.status} does not exist")
                bad.raise_if_any()
            day = read_date(msg.session_date, "session.session_date", Violations())
            if status is not None and day is not None:
                msg.status_due_date.CopyFrom(to_date(rules.status_due_date(day, status.due_in_days)))
        return result

    return await _change_session(
        db,
        company_id,
        request.session.name,
        change_and_due,
        emit,
        action="updated",
        allow_conflicts=request.allow_conflicts,
    )


async def reschedule_session(db: Database, company_id: str, request: pb.RescheduleSessionRequest) -> pb.Session:
    async def change(uow: UnitOfWork, msg: pb.Session) -> tuple[bool, bool]:
        await _before_move(uow, company_id, msg)
        if msg.use_advanced_calendar:
            if not request.time_blocks:
                bad = Violations()
                bad.add("time_blocks", "an advanced session is rescheduled with new time_blocks")
                bad.raise_if_any()
            del msg.time_blocks[:]
            msg.time_blocks.extend(request.time_blocks)
        else:
            take_new_times(msg, request, "session_date")
        return True, True

    async def emit(uow: UnitOfWork, before: pb.Session, after: pb.Session, plan: Plan, status: SessionStatus) -> None:
        _emit_rescheduled(uow, company_id, before, session_snapshot(after, plan.type_msg, status))

    allow = request.allow_conflicts
    return await _change_session(
        db, company_id, request.name, change, emit, action="rescheduled", allow_conflicts=allow, request=request
    )


async def cancel_session(
    db: Database, company_id: str, request: pb.CancelSessionRequest, announce: Announce
) -> pb.Session:
    """The session cancelled; a picture day booking's slot and children let go, the family told
    through `announce` (the edge's `picture_day_convert.announce_booking`)."""
    released: list[tuple[PictureDay, Booking]] = []

    async def change(uow: UnitOfWork, msg: pb.Session) -> tuple[bool, bool]:
        if msg.cancelled:
            return False, False
        msg.cancelled = True
        if msg.booked_online:
            # A staff cancellation frees an online session's slot and restores what it removed.
            await release_booking(uow, company_id, msg.name.removeprefix("sessions/"), msg.name)
        # ... and a picture day session's slot and children (issue 21), the family told
        released[:] = await release_session(uow, company_id, msg.name.removeprefix("sessions/"))
        return True, True

    async def emit(uow: UnitOfWork, before: pb.Session, after: pb.Session, plan: Plan, status: SessionStatus) -> None:
        snapshot = session_snapshot(after, plan.type_msg, status)
        uow.emit(events.SESSION_CANCELLED, company_id, ev.SessionCancelledEvent(session=snapshot))
        for day, booking in released:
            await picture_day_events.cancelled(uow, announce, company_id, day, booking, snapshot)

    return await _change_session(
        db, company_id, request.name, change, emit, action="cancelled", allow_conflicts=True, request=request
    )


async def hold_session(db: Database, company_id: str, request: pb.HoldSessionRequest) -> pb.Session:
    async def change(uow: UnitOfWork, msg: pb.Session) -> tuple[bool, bool]:
        if msg.cancelled:
            raise FailedPrecondition(f"{msg.name} is cancelled", reason="SESSION_CANCELLED")
        if msg.on_hold == request.on_hold:
            return False, False
        msg.on_hold = request.on_hold
        return True, True

    async def emit(uow: UnitOfWork, before: pb.Session, after: pb.Session, plan: Plan, status: SessionStatus) -> None:
        uow.emit(
            events.SESSION_UPDATED,
            company_id,
            ev.SessionUpdatedEvent(
                session=session_snapshot(after, plan.type_msg, status), changed_paths=["on_hold"], on_hold=after.on_hold
            ),
        )

    action, allow = "held" if request.on_hold else "released", request.allow_conflicts
    return await _change_session(
        db, company_id, request.name, change, emit, action=action, allow_conflicts=allow, request=request
    )
