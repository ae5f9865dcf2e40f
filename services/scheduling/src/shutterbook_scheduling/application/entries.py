"""The steps every booking path shares (staff, online and bulk; sessions and appointments): book
an entry, change an entry, and what they are made of (conflicts, blocks, numbers, the audit
records and events). Entries are domain objects (domain/entries.py); rows are made of them and
read into them by storage/entry_records.py; the events are built at the API edge from the
domain events the steps pass to `announce` (api/entry_convert.announce_entry), and a staff use
case's work is run once per its request by the edge's `Once` (api/entry_convert.entry_once).

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

import copy
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Aborted, AlreadyExists, FailedPrecondition, NotFound
from shutterbook_kit.idempotency import Refusal
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.conflicts import (
    conflict_error,
    explain_exclusion,
    find_conflicts,
    integrity_kind,
)
from shutterbook_scheduling.application.planning import (
    APPOINTMENT,
    SESSION,
    AppointmentPlan,
    Plan,
    SessionPlan,
    planned_appointment,
    planned_session,
)
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.domain import entries, rules
from shutterbook_scheduling.domain.entries import (
    Appointment,
    AppointmentEvent,
    EntryEvent,
    Session,
    SessionEvent,
    SessionShown,
)
from shutterbook_scheduling.domain.setup import BookingType, SessionStatus
from shutterbook_scheduling.storage import entry_records
from shutterbook_scheduling.storage.company_repository import CompanyRepository
from shutterbook_scheduling.storage.entry_repository import EntryRepository
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    SessionRow,
)

A = TypeVar("A")
E = TypeVar("E")

# Emits an entry's event (built at the API edge, api/entry_convert.py) for the company, in the
# unit of work given.
Announce = Callable[[UnitOfWork, str, EntryEvent], None]
# A booking step's work, in the unit of work and attempt the edge's `Once` runs it in (once per
# the request's request_id when it gives one; the answer: the edge's message of the entry).
Work = Callable[[UnitOfWork, "Attempt"], Awaitable[E]]
Once = Callable[[Work[E]], Awaitable[A]]


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
    pads = buffers(plan.booking_type)
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


# set on a unit of work's session once it gave a session its number (`next_session_number`)
_AUTO_NUMBER = "shutterbook.auto_session_number"


async def flush(uow: UnitOfWork) -> None:
    try:
        await EntryRepository(uow).flush()
    except IntegrityError as exc:
        kind = integrity_kind(exc)
        if kind == "number" and uow.session.info.get(_AUTO_NUMBER):
            # a number this unit of work gave (`next_session_number`) given by hand meanwhile
            raise Aborted("another session took this session's number at the same moment; try again") from None
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
        self.plan, self.buffers, self.own = plan, buffers(plan.booking_type), own


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
    statement, so concurrent bookings take consecutive numbers, and says whether the number is
    used already; numbers taken by hand are skipped (the counter then set past them)."""
    repo = CompanyRepository(uow)
    numbering, used = await repo.take_session_number(company_id)
    uow.session.info[_AUTO_NUMBER] = True
    if not used:
        return rules.format_session_number(numbering.next_session_number, numbering.session_number_prefix)
    for number, candidate in rules.session_number_candidates(
        numbering.next_session_number + 1, numbering.session_number_prefix
    ):
        if not await number_taken(uow, company_id, candidate, ""):
            await repo.continue_session_numbers(company_id, number + 1)
            return candidate
    raise FailedPrecondition("no free session number near the next number; raise it in the preferences")


def buffers(booking_type: BookingType) -> tuple[int, int]:
    return (booking_type.buffer_before_minutes, booking_type.buffer_after_minutes)


def apply_plan_to_session(session: Session, plan: Plan) -> None:
    """Fill the output fields the plan decides: UTC times, the blocks, defaulted ends."""
    entries.place_session(session, plan.location.time_zone, plan.blocks)


def store_session(row: SessionRow, session: Session, plan: Plan) -> None:
    now = utcnow()
    session.update_time = now
    entry_records.write_session(row, session)
    row.start_at = plan.start
    row.end_at = plan.end
    # A new reminder instant (other minutes, another start) is a new reminder, emitted anew;
    # hold and cancel only keep it from being claimed (the claim skips them).
    reminder = entries.reminder_at(plan.start, session)
    if reminder != row.reminder_at:
        row.reminder_at = reminder
        row.reminder_emitted_at = None
        session.reminder_emit_time = None
    row.updated_at = now


async def resolve_status(uow: UnitOfWork, company_id: str, session: Session, plan: SessionPlan) -> SessionStatus:
    """The session's status: the one it names (planned), its type's default, or the company's."""
    if plan.status is not None:
        return plan.status
    if plan.booking_type.default_status:
        found = await setup.load_resource(
            uow, setup.STATUSES, company_id, plan.booking_type.default_status.removeprefix("sessionStatuses/")
        )
        if found is not None:
            return found
    return await setup.ensure_default_status(uow, company_id)


async def load_session(uow: UnitOfWork, company_id: str, name: str, *, lock: bool = False) -> SessionRow:
    """A session of the company by name, within the caller's locations (locked when `lock`)."""
    row = await EntryRepository(uow).session(company_id, parse_name(name, "sessions"), caller_scope(), lock=lock)
    if row is None:
        raise NotFound(f"{name} not found")
    return row


def session_from_row(row: SessionRow) -> Session:
    return entry_records.session_of(row)


def appointment_from_row(row: AppointmentRow) -> Appointment:
    return entry_records.appointment_of(row)


def apply_plan_to_appointment(appointment: Appointment, plan: Plan) -> None:
    entries.place_appointment(appointment, plan.location.time_zone, plan.blocks[0])


def store_appointment(row: AppointmentRow, appointment: Appointment, plan: Plan) -> None:
    now = utcnow()
    appointment.update_time = now
    entry_records.write_appointment(row, appointment)
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


def shown(session: Session, plan: Plan, status: SessionStatus | None, *, location: bool = False) -> SessionShown:
    """The session as its events show it (a copy: the event is the session as it is now)."""
    return SessionShown(copy.deepcopy(session), plan.booking_type, status, plan.location if location else None)


def previous_times(before: Session | Appointment) -> tuple[datetime | None, datetime | None]:
    """A rescheduled event's times before the move."""
    return (before.start_time, before.end_time)


async def book_session(
    uow: UnitOfWork,
    company_id: str,
    session: Session,
    plan: SessionPlan,
    announce: Announce,
    *,
    session_id: str,
    allow_conflicts: bool,
) -> SessionStatus:
    """Book a planned session: its status and due date, who and when, its blocks (conflicts
    checked unless allowed), its number (given and free, or the next one), the row, the event
    (`announce`d). Returns its status."""
    now = utcnow()
    status = await resolve_status(uow, company_id, session, plan)
    session.status = status.name
    if session.status_due_date is None:
        session.status_due_date = entries.due_date(plan.blocks[0].local_date, status.due_in_days)
    session.name = f"sessions/{session_id}"
    session.booked_by = tenancy.current().caller
    session.booked_on = now
    session.create_time = now
    apply_plan_to_session(session, plan)
    booked = EntryChange("booked", occupies=True, allow_conflicts=allow_conflicts, new=True)
    await write_blocks(uow, company_id, SESSION, session_id, plan, booked)
    if session.session_number:
        if await number_taken(uow, company_id, session.session_number, session_id):
            raise AlreadyExists(
                f"session number {session.session_number} is already taken",
                metadata={"field": "session.session_number"},
            )
    else:
        session.session_number = await next_session_number(uow, company_id)
    row = SessionRow(id=session_id, company_id=company_id, created_at=now, reminder_at=None)
    store_session(row, session, plan)
    EntryRepository(uow).add(row)
    await flush(uow)
    uow.audit(company_id, session.name, "booked", after=entries.session_record(session))
    announce(uow, company_id, SessionEvent("booked", shown(session, plan, status, location=True)))
    return status


async def change_session_entry(
    uow: UnitOfWork, company_id: str, row: SessionRow, session: Session, plan: SessionPlan, change: EntryChange
) -> SessionStatus:
    """Store a changed session as `change` says: the plan's times, its blocks, its status, its
    audit entry from the row as it was. Returns its status."""
    before = entry_records.session_of(row)
    status = await resolve_status(uow, company_id, session, plan)
    if change.restatus:
        session.status = status.name
        session.status_due_date = entries.due_date(plan.blocks[0].local_date, status.due_in_days)
    apply_plan_to_session(session, plan)
    if change.blocks:
        await write_blocks(uow, company_id, SESSION, row.id, plan, change)
    store_session(row, session, plan)
    await flush(uow)
    uow.audit(
        company_id,
        session.name,
        change.action,
        before=entries.session_record(before),
        after=entries.session_record(session),
    )
    return status


async def replan_session(
    uow: UnitOfWork,
    company_id: str,
    row: SessionRow,
    session: Session,
    change: EntryChange,
    *,
    participants: bool = False,
    attempt: Attempt | None = None,
) -> tuple[SessionPlan, SessionStatus]:
    """The one step storing a changed session (staff, online and picture day alike): planned
    anew (its participants checked when `participants`), the plan told to `attempt`, stored.
    Returns the plan and the session's status."""
    plan = await planned_session(uow, company_id, session, creating=False, participants=participants)
    if attempt is not None:
        attempt.planned(plan, row.id)
    return plan, await change_session_entry(uow, company_id, row, session, plan, change)


async def book_appointment(
    uow: UnitOfWork,
    company_id: str,
    appointment: Appointment,
    plan: Plan,
    announce: Announce,
    *,
    appointment_id: str,
    allow_conflicts: bool,
) -> None:
    """Book a planned appointment: who and when, its blocks (conflicts checked unless
    allowed), the row, the event (`announce`d)."""
    now = utcnow()
    appointment.name = f"appointments/{appointment_id}"
    appointment.booked_by = tenancy.current().caller
    appointment.create_time = now
    row = AppointmentRow(id=appointment_id, company_id=company_id, created_at=now)
    booked = EntryChange("booked", occupies=True, allow_conflicts=allow_conflicts, new=True)
    await change_appointment_entry(uow, company_id, row, appointment, plan, booked)
    announce(uow, company_id, AppointmentEvent("booked", copy.deepcopy(appointment), plan.booking_type))


async def change_appointment_entry(
    uow: UnitOfWork, company_id: str, row: AppointmentRow, appointment: Appointment, plan: Plan, change: EntryChange
) -> None:
    """Store an appointment as `change` says (action "booked": a row to add): the plan's
    times, its blocks, its audit entry."""
    new = change.action == "booked"
    before = None if new else entries.appointment_record(entry_records.appointment_of(row))
    apply_plan_to_appointment(appointment, plan)
    if change.blocks:
        await write_blocks(uow, company_id, APPOINTMENT, row.id, plan, change)
    store_appointment(row, appointment, plan)
    if new:
        EntryRepository(uow).add(row)
    await flush(uow)
    uow.audit(company_id, appointment.name, change.action, before=before, after=entries.appointment_record(appointment))


async def replan_appointment(
    uow: UnitOfWork,
    company_id: str,
    row: AppointmentRow,
    appointment: Appointment,
    change: EntryChange,
    *,
    attempt: Attempt | None = None,
) -> AppointmentPlan:
    """The one step storing a changed appointment: planned anew, the plan told to `attempt`,
    stored."""
    plan = await planned_appointment(uow, company_id, appointment, creating=False)
    if attempt is not None:
        attempt.planned(plan, row.id)
    await change_appointment_entry(uow, company_id, row, appointment, plan, change)
    return plan


async def create_session(
    company_id: str, session: Session, allow_conflicts: bool, announce: Announce, once: Once[Session, A]
) -> A:
    """Staff book a session (its output-only fields already left out at the edge; once per the
    request's request_id, conflicts checked unless allowed): planned as new (its client and
    participants checked), booked under a new id."""

    async def work(uow: UnitOfWork, attempt: Attempt) -> Session:
        entry = copy.deepcopy(session)
        entry_id = str(uuid.uuid4())
        plan = await planned_session(uow, company_id, entry, creating=True, participants=True)
        attempt.planned(plan, entry_id)
        await book_session(uow, company_id, entry, plan, announce, session_id=entry_id, allow_conflicts=allow_conflicts)
        return entry

    return await once(work)


async def create_appointment(
    company_id: str, appointment: Appointment, allow_conflicts: bool, announce: Announce, once: Once[Appointment, A]
) -> A:
    """Staff book an appointment (as `create_session`): planned as new, booked under a new id."""

    async def work(uow: UnitOfWork, attempt: Attempt) -> Appointment:
        entry = copy.deepcopy(appointment)
        entry_id = str(uuid.uuid4())
        plan = await planned_appointment(uow, company_id, entry, creating=True)
        attempt.planned(plan, entry_id)
        await book_appointment(
            uow, company_id, entry, plan, announce, appointment_id=entry_id, allow_conflicts=allow_conflicts
        )
        return entry

    return await once(work)
