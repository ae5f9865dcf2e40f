"""The steps every booking path shares (staff, online and bulk; sessions and appointments): book
an entry, change an entry, and what they are made of (conflicts, blocks, numbers, snapshots).

Both kinds occupy schedules through `calendar_blocks` (one row per block per schedule). A
booking that overlaps an occupying block on any involved schedule (the types' buffers
included) is refused with FAILED_PRECONDITION listing the conflicting entries, unless the
request sets `allow_conflicts`. The check runs in the write transaction: on SQLite that
transaction is BEGIN IMMEDIATE, so checks and inserts are serialized; on PostgreSQL an
exclusion constraint on `calendar_blocks` refuses the overlap even when two transactions
check at the same moment, and its violation is answered like the check's. The check itself:
`conflicts`; the block rows: `storage.calendar_blocks`. Every statement is the entry
repository's (`storage.entry_repository`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf.message import Message
from sqlalchemy.exc import IntegrityError

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, FailedPrecondition, NotFound, Violations
from shutterbook_kit.events import EventType
from shutterbook_kit.idempotency import Refusal, run_idempotent, validate_request_id
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.common import SOURCE, to_date, ts
from shutterbook_scheduling.application.conflicts import (
    conflict_error,
    explain_exclusion,
    find_conflicts,
    integrity_kind,
)
from shutterbook_scheduling.application.planning import (
    APPOINTMENT,
    SESSION,
    Plan,
    planned_appointment,
    planned_session,
    tod,
)
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.domain import rules
from shutterbook_scheduling.domain.setup import Location, SessionStatus
from shutterbook_scheduling.storage import records
from shutterbook_scheduling.storage.company_repository import CompanyRepository
from shutterbook_scheduling.storage.entry_repository import EntryRepository
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    SessionRow,
)

R = TypeVar("R", bound=Message)


@dataclass(frozen=True)
class EntryChange:
    """How a changed entry is stored: its audit `action` (updated, rescheduled, cancelled, ...),
    whether it occupies its time, whether conflicts are allowed, whether its blocks are written
    anew (conflicts checked unless allowed) and, for a session, whether the status and due date
    the plan resolves replace its own. `new`: the entry is being booked (its id has no blocks
    yet, so none are deleted first)."""

    action: str
    occupies: bool
    allow_conflicts: bool
    blocks: bool = True
    restatus: bool = False
    new: bool = False


async def write_blocks(
    uow: UnitOfWork, company_id: str, kind: str, entry_id: str, plan: Plan, change: EntryChange
) -> None:
    """Replace the entry's blocks; checks conflicts first when the entry occupies time."""
    pads = buffers(plan.type_msg)
    if change.occupies and not change.allow_conflicts:
        conflicts = await find_conflicts(uow, company_id, plan, pads, entry_id)
        if conflicts:
            raise conflict_error(conflicts)
    await EntryRepository(uow).replace_blocks(
        company_id,
        kind=kind,
        entry_id=entry_id,
        spans=plan.blocks,
        buffers=pads,
        occupies=change.occupies,
        allow_conflict=change.allow_conflicts,
        new=change.new,
    )


async def flush(uow: UnitOfWork) -> None:
    try:
        await EntryRepository(uow).flush()
    except IntegrityError as exc:
        kind = integrity_kind(exc)
        if kind == "number":
            raise AlreadyExists(
                "the session number is already taken", metadata={"field": "session.session_number"}
            ) from None
        raise


@dataclass
class Attempt:
    """What a write attempt planned, so an exclusion hit can be explained afterwards."""

    plan: Plan | None = None
    buffers: tuple[int, int] = (0, 0)
    own: str = ""

    def planned(self, plan: Plan, own: str) -> None:
        self.plan, self.buffers, self.own = plan, buffers(plan.type_msg), own


def conflict_refusal(db: Database, company_id: str, attempt: Attempt) -> Refusal:
    """For run_idempotent: PostgreSQL's exclusion constraint refusing a block (a concurrent
    booking won) is answered like the conflict check, naming the entries in the way."""

    async def refuse(exc: Exception) -> Exception | None:
        if isinstance(exc, IntegrityError) and integrity_kind(exc) == "overlap":
            return await explain_exclusion(db, company_id, attempt.plan, attempt.buffers, attempt.own)
        return None

    return refuse


async def number_taken(uow: UnitOfWork, company_id: str, number: str, own_id: str) -> bool:
    return await EntryRepository(uow).number_taken(company_id, number, own_id)


async def next_session_number(uow: UnitOfWork, company_id: str) -> str:
    """The next free number from the company's preference (prefix + next number), advancing it.

    The company repository's `take_session_number` advances the counter and locks it in one
    statement, so concurrent bookings take consecutive numbers; numbers taken by hand are
    skipped (the counter then set past them)."""
    repo = CompanyRepository(uow)
    numbering = await repo.take_session_number(company_id)
    for number, candidate in rules.session_number_candidates(
        numbering.next_session_number, numbering.session_number_prefix
    ):
        if not await number_taken(uow, company_id, candidate, ""):
            if number != numbering.next_session_number:
                await repo.continue_session_numbers(company_id, number + 1)
            return candidate
    raise FailedPrecondition("no free session number near the next number; raise it in the preferences")


def session_snapshot(
    msg: pb.Session, type_msg: Any, status: SessionStatus | None, location: Location | None = None
) -> ev.SessionSnapshot:
    snap = ev.SessionSnapshot(
        session=msg.name,
        session_number=msg.session_number,
        client=msg.client,
        session_type=msg.session_type,
        session_type_display_name=type_msg.display_name if type_msg is not None else "",
        description=msg.description,
        location=msg.location,
        time_zone=msg.time_zone,
        price_list_items=list(type_msg.price_list_items) if type_msg is not None else [],
        auto_create_invoice=bool(type_msg.auto_create_invoice) if type_msg is not None else False,
        status=msg.status,
        status_display_name=status.display_name if status is not None else "",
        booked_online=msg.booked_online,
    )
    if location is not None:  # the booked event carries it: billing's documents name the studio
        snap.location_display_name = location.display_name
        a = location.address
        snap.location_address = rules.one_line_address(
            list(a.address_lines), a.locality, a.administrative_area, a.postal_code
        )
    snap.start_time.CopyFrom(msg.start_time)
    snap.end_time.CopyFrom(msg.end_time)
    return snap


def appointment_snapshot(msg: pb.Appointment, type_msg: Any) -> ev.AppointmentSnapshot:
    snap = ev.AppointmentSnapshot(
        appointment=msg.name,
        appointment_type=msg.appointment_type,
        appointment_type_display_name=type_msg.display_name if type_msg is not None else "",
        client=msg.client,
        session=msg.session,
        description=msg.description,
        location=msg.location,
        time_zone=msg.time_zone,
        schedules=list(msg.schedules),
        price_list_items=list(type_msg.price_list_items) if type_msg is not None else [],
        auto_create_invoice=bool(type_msg.auto_create_invoice) if type_msg is not None else False,
    )
    snap.start_time.CopyFrom(msg.start_time)
    snap.end_time.CopyFrom(msg.end_time)
    return snap


def emit_rescheduled(uow: UnitOfWork, company_id: str, subject: EventType[Any], event: Any, before: Any) -> None:
    """Emit a session's or appointment's rescheduled event with its times before the move."""
    event.previous_start_time.CopyFrom(before.start_time)
    event.previous_end_time.CopyFrom(before.end_time)
    uow.emit(subject, company_id, event)


def buffers(type_msg: Any) -> tuple[int, int]:
    return (type_msg.buffer_before_minutes, type_msg.buffer_after_minutes)


def apply_plan_to_session(msg: pb.Session, plan: Plan) -> None:
    """Fill the output fields the plan decides: UTC times, the blocks, defaulted ends."""
    msg.time_zone = plan.location.time_zone
    msg.start_time.CopyFrom(ts(plan.start))
    msg.end_time.CopyFrom(ts(plan.end))
    if not msg.use_advanced_calendar:
        block = plan.blocks[0]
        msg.end.CopyFrom(tod(block.local_end))
        del msg.time_blocks[:]
        msg.time_blocks.append(
            pb.TimeBlock(
                date=to_date(block.local_date),
                start=tod(block.local_start),
                end=tod(block.local_end),
                schedules=[f"schedules/{s}" for s in block.schedule_ids],
                location=msg.location,
                start_time=ts(block.start),
                end_time=ts(block.end),
            )
        )
    else:
        for block, out in zip(plan.blocks, msg.time_blocks, strict=True):
            out.end.CopyFrom(tod(block.local_end))
            out.location = f"locations/{block.location_id}"
            out.start_time.CopyFrom(ts(block.start))
            out.end_time.CopyFrom(ts(block.end))
        msg.session_date.CopyFrom(to_date(plan.blocks[0].local_date))
        msg.start.CopyFrom(tod(plan.blocks[0].local_start))
        msg.end.CopyFrom(tod(plan.blocks[-1].local_end))


def store_session(row: SessionRow, msg: pb.Session, plan: Plan) -> None:
    now = utcnow()
    msg.update_time.CopyFrom(ts(now))
    records.write_session(row, msg)
    row.start_at = plan.start
    row.end_at = plan.end
    # A new reminder instant (other minutes, another start) is a new reminder, emitted anew;
    # hold and cancel only keep it from being claimed (the claim skips them).
    reminder = rules.reminder_instant(plan.start, msg.reminder_minutes if msg.HasField("reminder_minutes") else None)
    if reminder != row.reminder_at:
        row.reminder_at = reminder
        row.reminder_emitted_at = None
        msg.ClearField("reminder_emit_time")
    row.updated_at = now


async def resolve_status(uow: UnitOfWork, company_id: str, msg: pb.Session, plan: Plan) -> SessionStatus:
    if plan.status is not None:
        return plan.status
    if plan.type_msg.default_status:
        found = await setup.load_message(
            uow, setup.STATUSES, company_id, plan.type_msg.default_status.removeprefix("sessionStatuses/")
        )
        if found is not None:
            status: SessionStatus = found
            return status
    return await setup.ensure_default_status(uow, company_id)


async def load_session(uow: UnitOfWork, company_id: str, name: str, *, lock: bool = False) -> SessionRow:
    """A session of the company by name, within the caller's locations (locked when `lock`)."""
    row = await EntryRepository(uow).session(company_id, parse_name(name, "sessions"), caller_scope(), lock=lock)
    if row is None:
        raise NotFound(f"{name} not found")
    return row


def session_from_row(row: SessionRow) -> pb.Session:
    return records.session_message(row)


def apply_plan_to_appointment(msg: pb.Appointment, plan: Plan) -> None:
    block = plan.blocks[0]
    msg.time_zone = plan.location.time_zone
    msg.start_time.CopyFrom(ts(block.start))
    msg.end_time.CopyFrom(ts(block.end))
    msg.end.CopyFrom(tod(block.local_end))


def store_appointment(row: AppointmentRow, msg: pb.Appointment, plan: Plan) -> None:
    now = utcnow()
    msg.update_time.CopyFrom(ts(now))
    records.write_appointment(row, msg)
    row.start_at = plan.start
    row.end_at = plan.end
    row.updated_at = now


async def load_appointment(uow: UnitOfWork, company_id: str, name: str, *, lock: bool = False) -> AppointmentRow:
    """An appointment of the company by name, within the caller's locations (locked when `lock`)."""
    repo = EntryRepository(uow)
    row = await repo.appointment(company_id, parse_name(name, "appointments"), caller_scope(), lock=lock)
    if row is None:
        raise NotFound(f"{name} not found")
    return row


# --- book an entry, change an entry (staff, online and bulk alike) ---------------------------


async def book_session(
    uow: UnitOfWork, company_id: str, msg: pb.Session, plan: Plan, *, session_id: str, allow_conflicts: bool
) -> SessionStatus:
    """Book a planned session: its status and due date, who and when, its blocks (conflicts
    checked unless allowed), its number (given and free, or the next one), the row, the event."""
    now = utcnow()
    status = await resolve_status(uow, company_id, msg, plan)
    msg.status = status.name
    if not msg.HasField("status_due_date"):
        msg.status_due_date.CopyFrom(to_date(rules.status_due_date(plan.blocks[0].local_date, status.due_in_days)))
    msg.name = f"sessions/{session_id}"
    msg.booked_by = tenancy.current().caller
    msg.booked_on.CopyFrom(ts(now))
    msg.create_time.CopyFrom(ts(now))
    apply_plan_to_session(msg, plan)
    booked = EntryChange("booked", occupies=True, allow_conflicts=allow_conflicts, new=True)
    await write_blocks(uow, company_id, SESSION, session_id, plan, booked)
    if msg.session_number:
        if await number_taken(uow, company_id, msg.session_number, session_id):
            raise AlreadyExists(
                f"session number {msg.session_number} is already taken",
                metadata={"field": "session.session_number"},
            )
    else:
        msg.session_number = await next_session_number(uow, company_id)
    row = SessionRow(id=session_id, company_id=company_id, created_at=now, reminder_at=None)
    store_session(row, msg, plan)
    EntryRepository(uow).add(row)
    await flush(uow)
    uow.audit(company_id, msg.name, "booked", after=msg)
    uow.emit(
        events.SESSION_BOOKED,
        company_id,
        ev.SessionBookedEvent(session=session_snapshot(msg, plan.type_msg, status, plan.location)),
    )
    return status


async def change_session_entry(
    uow: UnitOfWork, company_id: str, row: SessionRow, msg: pb.Session, plan: Plan, change: EntryChange
) -> SessionStatus:
    """Store a changed session as `change` says: the plan's times, its blocks, its status, its
    audit entry from the row as it was."""
    before = records.session_message(row)
    status = await resolve_status(uow, company_id, msg, plan)
    if change.restatus:
        msg.status = status.name
        msg.status_due_date.CopyFrom(to_date(rules.status_due_date(plan.blocks[0].local_date, status.due_in_days)))
    apply_plan_to_session(msg, plan)
    if change.blocks:
        await write_blocks(uow, company_id, SESSION, row.id, plan, change)
    store_session(row, msg, plan)
    await flush(uow)
    uow.audit(company_id, msg.name, change.action, before=before, after=msg)
    return status


async def replan_session(
    uow: UnitOfWork,
    company_id: str,
    row: SessionRow,
    msg: pb.Session,
    change: EntryChange,
    *,
    participants: bool = False,
    attempt: Attempt | None = None,
) -> tuple[Plan, SessionStatus]:
    """The one step storing a changed session (staff, online and picture day alike): planned
    anew (its participants checked when `participants`), the plan told to `attempt`, stored."""
    plan = await planned_session(uow, company_id, msg, creating=False, participants=participants)
    if attempt is not None:
        attempt.planned(plan, row.id)
    return plan, await change_session_entry(uow, company_id, row, msg, plan, change)


async def book_appointment(
    uow: UnitOfWork, company_id: str, msg: pb.Appointment, plan: Plan, *, appointment_id: str, allow_conflicts: bool
) -> None:
    """Book a planned appointment: who and when, its blocks (conflicts checked unless
    allowed), the row, the event."""
    now = utcnow()
    msg.name = f"appointments/{appointment_id}"
    msg.booked_by = tenancy.current().caller
    msg.create_time.CopyFrom(ts(now))
    row = AppointmentRow(id=appointment_id, company_id=company_id, created_at=now)
    booked = EntryChange("booked", occupies=True, allow_conflicts=allow_conflicts, new=True)
    await change_appointment_entry(uow, company_id, row, msg, plan, booked)
    uow.emit(
        events.APPOINTMENT_BOOKED,
        company_id,
        ev.AppointmentBookedEvent(appointment=appointment_snapshot(msg, plan.type_msg)),
    )


async def change_appointment_entry(
    uow: UnitOfWork, company_id: str, row: AppointmentRow, msg: pb.Appointment, plan: Plan, change: EntryChange
) -> None:
    """Store an appointment as `change` says (action "booked": a row to add): the plan's
    times, its blocks, its audit entry."""
    new = change.action == "booked"
    before = None if new else records.appointment_message(row)
    apply_plan_to_appointment(msg, plan)
    if change.blocks:
        await write_blocks(uow, company_id, APPOINTMENT, row.id, plan, change)
    store_appointment(row, msg, plan)
    if new:
        EntryRepository(uow).add(row)
    await flush(uow)
    uow.audit(company_id, msg.name, change.action, before=before, after=msg)


async def replan_appointment(
    uow: UnitOfWork,
    company_id: str,
    row: AppointmentRow,
    msg: pb.Appointment,
    change: EntryChange,
    *,
    attempt: Attempt | None = None,
) -> Plan:
    """The one step storing a changed appointment: planned anew, the plan told to `attempt`,
    stored."""
    plan = await planned_appointment(uow, company_id, msg, creating=False)
    if attempt is not None:
        attempt.planned(plan, row.id)
    await change_appointment_entry(uow, company_id, row, msg, plan, change)
    return plan


async def run_booking(
    db: Database,
    company_id: str,
    response_type: type[R],
    work: Callable[[UnitOfWork, Attempt], Awaitable[R]],
    *,
    scope: str = "",
    request: Message | None = None,
    request_id: str = "",
) -> R:
    """Run a booking step in a unit of work: once per request_id when a request gives one
    (AIP-155, a twin racing it gets its result), and a database refusal of the blocks the step
    planned (see `Attempt`) answered like the conflict check."""
    if request is not None:
        v = Violations()
        validate_request_id(request_id, v)
        v.raise_if_any()
    attempt = Attempt()
    return await run_idempotent(
        db,
        company_id=company_id,
        scope=scope,
        request=request if request is not None else response_type(),
        request_id=request_id if request is not None else "",
        response_type=response_type,
        work=lambda uow: work(uow, attempt),
        source=SOURCE,
        refusal=conflict_refusal(db, company_id, attempt),
    )


# Fields of a Session / Appointment only the service sets: a create request's are ignored.
SESSION_OUTPUT_ONLY = (
    *("name", "start_time", "end_time", "booked_by", "booked_on", "on_hold", "cancelled"),
    *("reminder_emit_time", "create_time", "update_time", "time_zone", "booked_online"),
)
APPOINTMENT_OUTPUT_ONLY = ("name", "start_time", "end_time", "cancelled", "booked_by", "create_time", "update_time")


async def create_entry(
    db: Database, company_id: str, request: Any, given: pb.Session | pb.Appointment, scope: str
) -> Any:
    """Staff book a session or an appointment (`given`, from `request`: once per its
    request_id, conflicts checked unless it allows them): the entry without its output-only
    fields, planned as new (a session's client and participants checked), booked under a new id."""

    async def work(uow: UnitOfWork, attempt: Attempt) -> Any:
        entry = type(given).FromString(given.SerializeToString())
        for name in SESSION_OUTPUT_ONLY if isinstance(entry, pb.Session) else APPOINTMENT_OUTPUT_ONLY:
            entry.ClearField(name)  # type: ignore[arg-type]
        entry_id = str(uuid.uuid4())
        allow = bool(request.allow_conflicts)
        if isinstance(entry, pb.Session):
            plan = await planned_session(uow, company_id, entry, creating=True, participants=True)
            attempt.planned(plan, entry_id)
            await book_session(uow, company_id, entry, plan, session_id=entry_id, allow_conflicts=allow)
        else:
            plan = await planned_appointment(uow, company_id, entry, creating=True)
            attempt.planned(plan, entry_id)
            await book_appointment(uow, company_id, entry, plan, appointment_id=entry_id, allow_conflicts=allow)
        return entry

    return await run_booking(
        db, company_id, type(given), work, scope=scope, request=request, request_id=request.request_id
    )
