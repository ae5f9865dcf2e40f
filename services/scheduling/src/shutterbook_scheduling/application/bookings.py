"""Use cases of sessions and appointments: booking, changes, conflicts, events.

Both occupy schedules through `calendar_blocks` (one row per block per schedule). A
booking that overlaps an occupying block on any involved schedule (the types' buffers
included) is refused with FAILED_PRECONDITION listing the conflicting entries, unless the
request sets `allow_conflicts`. The check runs in the write transaction: on SQLite that
transaction is BEGIN IMMEDIATE, so checks and inserts are serialized; on PostgreSQL an
exclusion constraint on `calendar_blocks` refuses the overlap even when two transactions
check at the same moment, and its violation is answered like the check's.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import AlreadyExists, FailedPrecondition, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.common import apply_mask, from_ts, id_of, read_date, read_time, to_date, ts
from shutterbook_scheduling.application.online_slots import release_booking
from shutterbook_scheduling.domain import rules, times
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    CalendarBlockRow,
    CompanyPreferencesRow,
    KnownClientRow,
    KnownFamilyMemberRow,
    SessionRow,
)

SOURCE = "scheduling"
SESSION = "session"
APPOINTMENT = "appointment"
R = TypeVar("R", bound=Message)


# --- errors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    entry: str
    schedule: str
    start: datetime
    end: datetime


@dataclass
class ScheduleConflict(FailedPrecondition):
    """FAILED_PRECONDITION with the conflicting entries: in ErrorInfo metadata (`conflicts`,
    comma-separated names) and as a PreconditionFailure violation per conflicting block."""

    conflicts: list[Conflict] = field(default_factory=list)
    reason: str = "SCHEDULE_CONFLICT"

    def details(self) -> list[any_pb2.Any]:
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type="SCHEDULE_CONFLICT",
                    subject=c.entry,
                    description=f"{c.schedule} is occupied {c.start.isoformat()} to {c.end.isoformat()}",
                )
                for c in self.conflicts
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(failure)
        return [*super().details(), packed]


def _conflict_error(conflicts: list[Conflict]) -> ScheduleConflict:
    entries = sorted({c.entry for c in conflicts})
    return ScheduleConflict(
        f"the booking conflicts with {', '.join(entries)}; set allow_conflicts to book anyway",
        metadata={"conflicts": ",".join(entries)},
        conflicts=conflicts,
    )


class _ExclusionHit(Exception):
    """PostgreSQL's exclusion constraint refused a block: a concurrent booking won."""


def _integrity_kind(exc: IntegrityError) -> str:
    text = str(exc.orig)
    if "ex_calendar_blocks_no_overlap" in text or "23P01" in text:
        return "overlap"
    if "uq_sessions_number" in text or "sessions.session_number" in text:
        return "number"
    return "other"


# --- planning: from a message to blocks ---------------------------------------------------


@dataclass(frozen=True)
class PlannedBlock:
    index: int
    location_id: str
    schedule_ids: list[str]
    start: datetime
    end: datetime
    local_date: date
    local_start: time
    local_end: time


@dataclass
class Plan:
    location: pb.Location
    type_msg: Any
    blocks: list[PlannedBlock]
    status: pb.SessionStatus | None = None
    client_id: str = ""

    @property
    def start(self) -> datetime:
        return min(b.start for b in self.blocks)

    @property
    def end(self) -> datetime:
        return max(b.end for b in self.blocks)


def _tod(value: time) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=value.hour, minutes=value.minute)


async def _plan_block(
    uow: UnitOfWork,
    company_id: str,
    *,
    path: str,
    day_msg: Any,
    start_msg: pb.TimeOfDay,
    end_msg: pb.TimeOfDay | None,
    duration_minutes: int,
    location: pb.Location,
    schedule_refs: list[tuple[str, str, int | None]],
    index: int,
    v: Violations,
    date_field: str,
) -> PlannedBlock | None:
    """One block: local date and wall-clock times read in the location's zone."""
    tz = times.zone(location.time_zone)
    day = read_date(day_msg, f"{path}{date_field}", v)
    start_clock = read_time(start_msg, f"{path}start", v)
    end_clock: time | None = None
    if end_msg is not None:
        end_clock = read_time(end_msg, f"{path}end", v)
    schedule_ids: list[str] = []
    location_id = location.name.removeprefix("locations/")
    for ref, ref_path, kind in schedule_refs:
        schedule_id = id_of(ref, "schedules", ref_path, v)
        if schedule_id is None:
            continue
        schedule = await setup.load_message(uow, setup.SCHEDULES, company_id, schedule_id)
        if schedule is None:
            v.add(ref_path, f"{ref} does not exist")
        elif schedule.location != location.name:
            v.add(ref_path, f"{ref} is a schedule of another location")
        elif kind is not None and schedule.kind != kind:
            wanted = "a staff" if kind == pb.SCHEDULE_KIND_STAFF else "a resource"
            v.add(ref_path, f"{ref} is not {wanted} schedule")
        elif schedule_id in schedule_ids:
            v.add(ref_path, f"{ref} is listed twice")
        else:
            schedule_ids.append(schedule_id)
    if day is None or start_clock is None or (end_msg is not None and end_clock is None):
        return None
    try:
        start = times.local_to_utc(day, start_clock, tz)
    except times.NonexistentLocalTime as exc:
        v.add(f"{path}start", str(exc))
        return None
    if end_clock is None:
        end = start + timedelta(minutes=duration_minutes)
        local_end = end.astimezone(tz)
        if local_end.date() != day:
            v.add(f"{path}end", "the default duration runs past midnight; give an end")
            return None
        end_clock = local_end.time().replace(tzinfo=None)
    else:
        if end_clock <= start_clock:
            v.add(f"{path}end", "must be after start")
            return None
        try:
            end = times.local_to_utc(day, end_clock, tz)
        except times.NonexistentLocalTime as exc:
            v.add(f"{path}end", str(exc))
            return None
        if end <= start:
            v.add(f"{path}end", "must be after start")
            return None
    return PlannedBlock(index, location_id, schedule_ids, start, end, day, start_clock, end_clock)


async def _location(uow: UnitOfWork, company_id: str, name: str, path: str, v: Violations) -> pb.Location | None:
    location_id = id_of(name, "locations", path, v)
    if location_id is None:
        return None
    found: pb.Location | None = await setup.load_message(uow, setup.LOCATIONS, company_id, location_id)
    if found is None:
        v.add(path, f"{name} does not exist")
    return found


async def _known_client(uow: UnitOfWork, company_id: str, name: str, path: str, v: Violations) -> str | None:
    client_id = id_of(name, "clients", path, v)
    if client_id is None:
        return None
    row = await uow.session.get(KnownClientRow, (company_id, client_id))
    if row is None or row.deleted or row.merged_into:
        v.add(path, f"{name} is not a known client of this company")
        return None
    return client_id


async def _check_participants(
    uow: UnitOfWork, company_id: str, client_id: str, participants: list[str], path: str, v: Violations
) -> None:
    for i, participant in enumerate(participants):
        parts = participant.split("/")
        ok = len(parts) == 4 and parts[0] == "clients" and parts[2] == "familyMembers" and parts[1] == client_id
        if ok:
            ok = await uow.session.get(KnownFamilyMemberRow, (company_id, client_id, parts[3])) is not None
        if not ok:
            v.add(f"{path}[{i}]", f"{participant} is not a family member of clients/{client_id}")
        elif participant in participants[:i]:
            v.add(f"{path}[{i}]", f"{participant} is listed twice")


async def plan_session(
    uow: UnitOfWork, company_id: str, msg: pb.Session, v: Violations, *, creating: bool, participants: bool
) -> Plan | None:
    """Resolve and validate a complete Session message; violations are named `session.*`.

    The client is checked when creating (it must be known, not deleted or merged away);
    participants when creating or when they change (a merge may have re-pointed the client).
    """
    p = "session"
    if creating:
        client_id = await _known_client(uow, company_id, msg.client, f"{p}.client", v)
    else:
        client_id = msg.client.removeprefix("clients/")
    type_msg: pb.SessionType | None = None
    type_id = id_of(msg.session_type, "sessionTypes", f"{p}.session_type", v)
    if type_id is not None:
        type_msg = await setup.load_message(uow, setup.SESSION_TYPES, company_id, type_id)
        if type_msg is None:
            v.add(f"{p}.session_type", f"{msg.session_type} does not exist")
    location = await _location(uow, company_id, msg.location, f"{p}.location", v)
    if client_id is not None and participants:
        await _check_participants(uow, company_id, client_id, list(msg.participants), f"{p}.participants", v)
    if msg.HasField("reminder_minutes") and not 0 <= msg.reminder_minutes <= rules.MAX_REMINDER_MINUTES:
        v.add(f"{p}.reminder_minutes", f"must be 0 to {rules.MAX_REMINDER_MINUTES} minutes")
    if len(msg.description) > 2000:
        v.add(f"{p}.description", "must be at most 2000 characters")
    if len(msg.file_number) > 100:
        v.add(f"{p}.file_number", "must be at most 100 characters")
    if msg.session_number and (
        len(msg.session_number) > rules.MAX_SESSION_NUMBER_LENGTH
        or not msg.session_number.isprintable()
        or msg.session_number != msg.session_number.strip()
    ):
        v.add(f"{p}.session_number", "must be 1 to 40 printable characters without surrounding spaces")
    if msg.camera_room and msg.camera_room_text:
        v.add(f"{p}.camera_room_text", "give a camera room schedule or free text, not both")
    status: pb.SessionStatus | None = None
    if msg.status:
        status_id = id_of(msg.status, "sessionStatuses", f"{p}.status", v)
        if status_id is not None:
            status = await setup.load_message(uow, setup.STATUSES, company_id, status_id)
            if status is None:
                v.add(f"{p}.status", f"{msg.status} does not exist")
    if msg.HasField("status_due_date"):
        read_date(msg.status_due_date, f"{p}.status_due_date", v, required=False)
    if location is None or type_msg is None:
        return None
    duration = type_msg.default_duration_minutes
    blocks: list[PlannedBlock] = []
    if msg.use_advanced_calendar:
        if not msg.time_blocks:
            v.add(f"{p}.time_blocks", "at least one block is required with advanced calendar options")
        for i, block in enumerate(msg.time_blocks):
            bp = f"{p}.time_blocks[{i}]."
            block_location: pb.Location | None = location
            if block.location and block.location != location.name:
                block_location = await _location(uow, company_id, block.location, f"{bp}location", v)
                if block_location is None:
                    continue
            assert block_location is not None
            planned = await _plan_block(
                uow,
                company_id,
                path=bp,
                day_msg=block.date,
                start_msg=block.start,
                end_msg=block.end if block.HasField("end") else None,
                duration_minutes=duration,
                location=block_location,
                schedule_refs=[(ref, f"{bp}schedules[{j}]", None) for j, ref in enumerate(block.schedules)],
                index=i,
                v=v,
                date_field="date",
            )
            if planned is not None:
                blocks.append(planned)
    else:
        if msg.time_blocks and not all(b.HasField("start_time") for b in msg.time_blocks):
            v.add(f"{p}.time_blocks", "are only given with use_advanced_calendar")
        refs: list[tuple[str, str, int | None]] = []
        if msg.photographer:
            refs.append((msg.photographer, f"{p}.photographer", pb.SCHEDULE_KIND_STAFF))
        if msg.assistant:
            refs.append((msg.assistant, f"{p}.assistant", pb.SCHEDULE_KIND_STAFF))
        if msg.camera_room:
            refs.append((msg.camera_room, f"{p}.camera_room", pb.SCHEDULE_KIND_RESOURCE))
        planned = await _plan_block(
            uow,
            company_id,
            path=f"{p}.",
            day_msg=msg.session_date,
            start_msg=msg.start,
            end_msg=msg.end if msg.HasField("end") else None,
            duration_minutes=duration,
            location=location,
            schedule_refs=refs,
            index=0,
            v=v,
            date_field="session_date",
        )
        if planned is not None:
            blocks.append(planned)
    if not blocks:
        return None
    return Plan(location=location, type_msg=type_msg, blocks=blocks, status=status, client_id=client_id or "")


def entry_name(kind: str, entry_id: str) -> str:
    """The resource a block belongs to: a session, an appointment, or (time off) its schedule."""
    return f"schedules/{entry_id}" if kind == setup.TIME_OFF else f"{kind}s/{entry_id}"


# --- conflicts and persistence --------------------------------------------------------------


async def find_conflicts(
    uow: UnitOfWork, company_id: str, plan: Plan, buffers: tuple[int, int], own_entry: str
) -> list[Conflict]:
    found: list[Conflict] = []
    for block in plan.blocks:
        if not block.schedule_ids:
            continue
        wanted = rules.Interval(block.start, block.end).widened(*buffers)
        rows = (
            await uow.session.scalars(
                select(CalendarBlockRow).where(
                    CalendarBlockRow.company_id == company_id,
                    CalendarBlockRow.schedule_id.in_(block.schedule_ids),
                    CalendarBlockRow.occupies,
                    CalendarBlockRow.occupied_start < wanted.end,
                    CalendarBlockRow.occupied_end > wanted.start,
                    CalendarBlockRow.entry_id != own_entry,
                )
            )
        ).all()
        found.extend(
            Conflict(entry_name(r.entry_kind, r.entry_id), f"schedules/{r.schedule_id}", r.start_at, r.end_at)
            for r in rows
        )
    return found


async def write_blocks(
    uow: UnitOfWork,
    company_id: str,
    *,
    kind: str,
    entry_id: str,
    plan: Plan,
    buffers: tuple[int, int],
    occupies: bool,
    allow_conflicts: bool,
) -> None:
    """Replace the entry's blocks; checks conflicts first when the entry occupies time."""
    if occupies and not allow_conflicts:
        conflicts = await find_conflicts(uow, company_id, plan, buffers, entry_id)
        if conflicts:
            raise _conflict_error(conflicts)
    await uow.session.execute(delete(CalendarBlockRow).where(CalendarBlockRow.entry_id == entry_id))
    for block in plan.blocks:
        occupied = rules.Interval(block.start, block.end).widened(*buffers)
        for schedule_id in block.schedule_ids:
            uow.session.add(
                CalendarBlockRow(
                    company_id=company_id,
                    schedule_id=schedule_id,
                    location_id=block.location_id,
                    entry_kind=kind,
                    entry_id=entry_id,
                    block_index=block.index,
                    start_at=block.start,
                    end_at=block.end,
                    occupied_start=occupied.start,
                    occupied_end=occupied.end,
                    occupies=occupies,
                    allow_conflict=allow_conflicts,
                )
            )


async def _flush(uow: UnitOfWork) -> None:
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        kind = _integrity_kind(exc)
        if kind == "overlap":
            raise _ExclusionHit() from exc
        if kind == "number":
            raise AlreadyExists(
                "the session number is already taken", metadata={"field": "session.session_number"}
            ) from None
        raise


async def _explain_exclusion(
    db: Database, company_id: str, plan: Plan | None, buffers: tuple[int, int], own: str
) -> ScheduleConflict:
    conflicts: list[Conflict] = []
    if plan is not None:
        async with UnitOfWork(db, readonly=True) as uow:
            conflicts = await find_conflicts(uow, company_id, plan, buffers, own)
    return _conflict_error(conflicts)


@dataclass
class _Attempt:
    """What a write attempt planned, so an exclusion hit can be explained afterwards."""

    plan: Plan | None = None
    buffers: tuple[int, int] = (0, 0)
    own: str = ""


async def _guarded(
    db: Database, company_id: str, attempt: _Attempt, run: Callable[[], Awaitable[R]], *, request_id: str = ""
) -> R:
    try:
        return await _once_more_if_twin(run, request_id)
    except _ExclusionHit:
        raise await _explain_exclusion(db, company_id, attempt.plan, attempt.buffers, attempt.own) from None
    except IntegrityError as exc:  # an exclusion hit at commit rather than at flush
        if _integrity_kind(exc) == "overlap":
            raise await _explain_exclusion(db, company_id, attempt.plan, attempt.buffers, attempt.own) from None
        raise


async def _once_more_if_twin(run: Callable[[], Awaitable[R]], request_id: str) -> R:
    """A retry racing its own first attempt (same request_id) conflicts with the booking that
    attempt just made; run once more, so the idempotency record, now committed, answers it
    with the first result. Without a twin the second run fails the same way."""
    try:
        return await run()
    except (ScheduleConflict, _ExclusionHit, AlreadyExists):
        if not request_id:
            raise
    except IntegrityError as exc:
        if not request_id or _integrity_kind(exc) == "other":
            raise
    return await run()


# --- session numbers -----------------------------------------------------------------------


async def _number_taken(uow: UnitOfWork, company_id: str, number: str, own_id: str) -> bool:
    found = await uow.session.scalar(
        select(SessionRow.id).where(
            SessionRow.company_id == company_id, SessionRow.session_number == number, SessionRow.id != own_id
        )
    )
    return found is not None


async def next_session_number(uow: UnitOfWork, company_id: str) -> str:
    """The next free number from the company's preference (prefix + next number), advancing it.

    The preferences row is locked (PostgreSQL: FOR UPDATE; SQLite: the write transaction), so
    concurrent bookings take consecutive numbers; numbers taken by hand are skipped."""
    dialect = postgresql if not uow.db.is_sqlite else sqlite
    await uow.session.execute(
        dialect.insert(CompanyPreferencesRow)
        .values(company_id=company_id, next_session_number=1000, session_number_prefix="")
        .on_conflict_do_nothing(index_elements=["company_id"])
    )
    prefs = await uow.session.scalar(
        select(CompanyPreferencesRow).where(CompanyPreferencesRow.company_id == company_id).with_for_update()
    )
    assert prefs is not None
    number = prefs.next_session_number
    for _ in range(10_000):
        candidate = rules.format_session_number(number, prefs.session_number_prefix)
        number += 1
        if not await _number_taken(uow, company_id, candidate, ""):
            prefs.next_session_number = number
            return candidate
    raise FailedPrecondition("no free session number near the next number; raise it in the preferences")


# --- snapshots and events --------------------------------------------------------------------


def session_snapshot(msg: pb.Session, type_msg: Any, status: pb.SessionStatus | None) -> ev.SessionSnapshot:
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


# --- sessions ---------------------------------------------------------------------------------


def _buffers(type_msg: Any) -> tuple[int, int]:
    return (type_msg.buffer_before_minutes, type_msg.buffer_after_minutes)


def _apply_plan_to_session(msg: pb.Session, plan: Plan) -> None:
    """Fill the output fields the plan decides: UTC times, the blocks, defaulted ends."""
    msg.time_zone = plan.location.time_zone
    msg.start_time.CopyFrom(ts(plan.start))
    msg.end_time.CopyFrom(ts(plan.end))
    if not msg.use_advanced_calendar:
        block = plan.blocks[0]
        msg.end.CopyFrom(_tod(block.local_end))
        del msg.time_blocks[:]
        msg.time_blocks.append(
            pb.TimeBlock(
                date=to_date(block.local_date),
                start=_tod(block.local_start),
                end=_tod(block.local_end),
                schedules=[f"schedules/{s}" for s in block.schedule_ids],
                location=msg.location,
                start_time=ts(block.start),
                end_time=ts(block.end),
            )
        )
    else:
        for block, out in zip(plan.blocks, msg.time_blocks, strict=True):
            out.end.CopyFrom(_tod(block.local_end))
            out.location = f"locations/{block.location_id}"
            out.start_time.CopyFrom(ts(block.start))
            out.end_time.CopyFrom(ts(block.end))
        msg.session_date.CopyFrom(to_date(plan.blocks[0].local_date))
        msg.start.CopyFrom(_tod(plan.blocks[0].local_start))
        msg.end.CopyFrom(_tod(plan.blocks[-1].local_end))


def _session_occupies(msg: pb.Session) -> bool:
    return not (msg.on_hold or msg.cancelled)


def _store_session(row: SessionRow, msg: pb.Session, plan: Plan) -> None:
    now = utcnow()
    msg.update_time.CopyFrom(ts(now))
    row.client_id = msg.client.removeprefix("clients/")
    row.session_number = msg.session_number
    row.type_id = msg.session_type.removeprefix("sessionTypes/")
    row.location_id = msg.location.removeprefix("locations/")
    row.status_id = msg.status.removeprefix("sessionStatuses/")
    row.start_at = plan.start
    row.end_at = plan.end
    row.on_hold = msg.on_hold
    row.cancelled = msg.cancelled
    # A new reminder instant (other minutes, another start) is a new reminder, emitted anew;
    # hold and cancel only keep it from being claimed (the claim skips them).
    reminder = rules.reminder_instant(plan.start, msg.reminder_minutes if msg.HasField("reminder_minutes") else None)
    if reminder != row.reminder_at:
        row.reminder_at = reminder
        row.reminder_emitted_at = None
        msg.ClearField("reminder_emit_time")
    row.data = msg.SerializeToString(deterministic=True)
    row.updated_at = now


async def _resolve_status(uow: UnitOfWork, company_id: str, msg: pb.Session, plan: Plan) -> pb.SessionStatus:
    if plan.status is not None:
        return plan.status
    if plan.type_msg.default_status:
        found = await setup.load_message(
            uow, setup.STATUSES, company_id, plan.type_msg.default_status.removeprefix("sessionStatuses/")
        )
        if found is not None:
            status: pb.SessionStatus = found
            return status
    row = await setup.ensure_default_status(uow, company_id)
    return pb.SessionStatus.FromString(row.data)


async def create_session(db: Database, company_id: str, request: pb.CreateSessionRequest) -> pb.Session:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()
    attempt = _Attempt()

    async def work(uow: UnitOfWork) -> pb.Session:
        msg = pb.Session()
        msg.CopyFrom(request.session)
        for output_only in ("name", "start_time", "end_time", "booked_by", "booked_on", "on_hold", "cancelled"):
            msg.ClearField(output_only)
        for output_only in ("reminder_emit_time", "create_time", "update_time", "time_zone", "booked_online"):
            msg.ClearField(output_only)  # type: ignore[arg-type]
        violations = Violations()
        plan = await plan_session(uow, company_id, msg, violations, creating=True, participants=True)
        violations.raise_if_any()
        assert plan is not None
        session_id = str(uuid.uuid4())
        attempt.plan, attempt.buffers, attempt.own = plan, _buffers(plan.type_msg), session_id
        status = await _resolve_status(uow, company_id, msg, plan)
        msg.status = status.name
        if not msg.HasField("status_due_date"):
            msg.status_due_date.CopyFrom(to_date(rules.status_due_date(plan.blocks[0].local_date, status.due_in_days)))
        now = utcnow()
        msg.name = f"sessions/{session_id}"
        msg.booked_by = tenancy.current().caller
        msg.booked_on.CopyFrom(ts(now))
        msg.create_time.CopyFrom(ts(now))
        _apply_plan_to_session(msg, plan)
        await write_blocks(
            uow,
            company_id,
            kind=SESSION,
            entry_id=session_id,
            plan=plan,
            buffers=_buffers(plan.type_msg),
            occupies=True,
            allow_conflicts=request.allow_conflicts,
        )
        if msg.session_number:
            if await _number_taken(uow, company_id, msg.session_number, session_id):
                raise AlreadyExists(
                    f"session number {msg.session_number} is already taken",
                    metadata={"field": "session.session_number"},
                )
        else:
            msg.session_number = await next_session_number(uow, company_id)
        row = SessionRow(id=session_id, company_id=company_id, created_at=now, reminder_at=None)
        _store_session(row, msg, plan)
        uow.session.add(row)
        await _flush(uow)
        uow.emit(
            "scheduling.session.booked",
            company_id,
            ev.SessionBookedEvent(session=session_snapshot(msg, plan.type_msg, status)),
        )
        return msg

    return await _guarded(
        db,
        company_id,
        attempt,
        lambda: run_idempotent(
            db,
            company_id=company_id,
            scope="CreateSession",
            request=request,
            request_id=request.request_id,
            response_type=pb.Session,
            work=work,
            source=SOURCE,
        ),
        request_id=request.request_id,
    )


async def _load_session(uow: UnitOfWork, company_id: str, name: str, *, lock: bool = False) -> SessionRow:
    session_id = parse_name(name, "sessions")
    query = select(SessionRow).where(SessionRow.id == session_id, SessionRow.company_id == company_id)
    if lock:
        query = query.with_for_update()
    row = await uow.session.scalar(query)
    if row is None:
        raise NotFound(f"{name} not found")
    return row


def _session_from_row(row: SessionRow) -> pb.Session:
    msg = pb.Session.FromString(row.data)
    if row.reminder_emitted_at is not None:
        msg.reminder_emit_time.CopyFrom(ts(row.reminder_emitted_at))
    return msg


async def get_session(db: Database, company_id: str, name: str) -> pb.Session:
    async with UnitOfWork(db, readonly=True) as uow:
        return _session_from_row(await _load_session(uow, company_id, name))


async def list_sessions(db: Database, company_id: str, request: pb.ListSessionsRequest) -> pb.ListSessionsResponse:
    v = Violations()
    client_id = id_of(request.client, "clients", "client", v, required=False)
    location_id = id_of(request.location, "locations", "location", v, required=False)
    v.raise_if_any()
    key = {
        "client": client_id,
        "location": location_id,
        "from": request.start_time.ToJsonString() if request.HasField("start_time") else "",
        "to": request.end_time.ToJsonString() if request.HasField("end_time") else "",
    }
    page = parse_page(request.page_size, request.page_token, key)
    query = select(SessionRow).where(SessionRow.company_id == company_id)
    if client_id:
        query = query.where(SessionRow.client_id == client_id)
    if location_id:
        query = query.where(SessionRow.location_id == location_id)
    if request.HasField("start_time"):
        query = query.where(SessionRow.start_at >= from_ts(request.start_time))
    if request.HasField("end_time"):
        query = query.where(SessionRow.start_at < from_ts(request.end_time))
    if page.cursor is not None:
        after = (datetime.fromisoformat(page.cursor["t"]), page.cursor["id"])
        query = query.where(tuple_(SessionRow.start_at, SessionRow.id) > after)
    query = query.order_by(SessionRow.start_at, SessionRow.id).limit(page.size + 1)
    async with UnitOfWork(db, readonly=True) as uow:
        rows = list((await uow.session.scalars(query)).all())
    more = len(rows) > page.size
    rows = rows[: page.size]
    cursor = {"t": rows[-1].start_at.isoformat(), "id": rows[-1].id} if more else None
    return pb.ListSessionsResponse(
        sessions=[_session_from_row(r) for r in rows], next_page_token=next_token(cursor, key)
    )


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
}
_REPLANS = {"session_type", "photographer", "assistant", "camera_room"}


async def _change_session(
    db: Database,
    company_id: str,
    name: str,
    change: Callable[[UnitOfWork, pb.Session], Awaitable[tuple[bool, bool]]],
    emit: Callable[[UnitOfWork, pb.Session, pb.Session, Plan, pb.SessionStatus], None],
    *,
    allow_conflicts: bool,
    request_id: str = "",
    request: Message | None = None,
    scope: str = "",
) -> pb.Session:
    """Load, change (returns: re-plan and re-check blocks?, changed at all?), store, emit."""
    attempt = _Attempt()

    async def work(uow: UnitOfWork) -> pb.Session:
        row = await _load_session(uow, company_id, name, lock=True)
        before = _session_from_row(row)
        msg = pb.Session()
        msg.CopyFrom(before)
        replan, changed = await change(uow, msg)
        if not changed:
            return before
        violations = Violations()
        participants = list(before.participants) != list(msg.participants)
        plan = await plan_session(uow, company_id, msg, violations, creating=False, participants=participants)
        violations.raise_if_any()
        assert plan is not None
        attempt.plan, attempt.buffers, attempt.own = plan, _buffers(plan.type_msg), row.id
        _apply_plan_to_session(msg, plan)
        if replan:
            await write_blocks(
                uow,
                company_id,
                kind=SESSION,
                entry_id=row.id,
                plan=plan,
                buffers=_buffers(plan.type_msg),
                occupies=_session_occupies(msg),
                allow_conflicts=allow_conflicts,
            )
        status = await _resolve_status(uow, company_id, msg, plan)
        _store_session(row, msg, plan)
        await _flush(uow)
        emit(uow, before, msg, plan, status)
        return msg

    async def run() -> pb.Session:
        if request is not None and request_id:
            return await run_idempotent(
                db,
                company_id=company_id,
                scope=scope,
                request=request,
                request_id=request_id,
                response_type=pb.Session,
                work=work,
                source=SOURCE,
            )
        async with UnitOfWork(db, source=SOURCE) as uow:
            result = await work(uow)
            await uow.commit()
            return result

    return await _guarded(db, company_id, attempt, run, request_id=request_id)


async def update_session(db: Database, company_id: str, request: pb.UpdateSessionRequest) -> pb.Session:
    v = Violations()
    if not request.update_mask.paths:
        v.add("update_mask", "name the fields to change")
    parse_name(request.session.name, "sessions", field="session.name")
    v.raise_if_any()
    paths: list[str] = []

    async def change(uow: UnitOfWork, msg: pb.Session) -> tuple[bool, bool]:
        paths.extend(apply_mask(msg, request.session, request.update_mask, field="session", writable=SESSION_UPDATABLE))
        if msg.use_advanced_calendar and {"photographer", "assistant", "camera_room"} & set(paths):
            bad = Violations()
            bad.add("update_mask", "an advanced session's schedules change with RescheduleSession time_blocks")
            bad.raise_if_any()
        if msg.session_number != "" and "session_number" in paths:
            own = msg.name.removeprefix("sessions/")
            if await _number_taken(uow, tenancy.current().company_id, msg.session_number, own):
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

    def emit(uow: UnitOfWork, before: pb.Session, after: pb.Session, plan: Plan, status: pb.SessionStatus) -> None:
        snap = session_snapshot(after, plan.type_msg, status)
        if before.status != after.status:
            previous = before.status
            uow.emit(
                "scheduling.session.status_changed",
                company_id,
                ev.SessionStatusChangedEvent(session=snap, previous_status=previous),
            )
        other = [p for p in paths if p != "status"]
        if other:
            uow.emit(
                "scheduling.session.updated",
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
        db, company_id, request.session.name, change_and_due, emit, allow_conflicts=request.allow_conflicts
    )


async def reschedule_session(db: Database, company_id: str, request: pb.RescheduleSessionRequest) -> pb.Session:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def change(uow: UnitOfWork, msg: pb.Session) -> tuple[bool, bool]:
        if msg.cancelled:
            raise FailedPrecondition(f"{msg.name} is cancelled", reason="SESSION_CANCELLED")
        if msg.booked_online:
            # Staff moving an online session off its slot: the slot is no longer booked, and the
            # slots its booking removed come back (with `scheduling.slot.restored`).
            await release_booking(uow, company_id, msg.name.removeprefix("sessions/"), msg.name)
        if msg.use_advanced_calendar:
            if not request.time_blocks:
                bad = Violations()
                bad.add("time_blocks", "an advanced session is rescheduled with new time_blocks")
                bad.raise_if_any()
            del msg.time_blocks[:]
            msg.time_blocks.extend(request.time_blocks)
        else:
            msg.session_date.CopyFrom(request.session_date)
            msg.start.CopyFrom(request.start)
            if request.HasField("end"):
                msg.end.CopyFrom(request.end)
            else:
                msg.ClearField("end")
        return True, True

    def emit(uow: UnitOfWork, before: pb.Session, after: pb.Session, plan: Plan, status: pb.SessionStatus) -> None:
        event = ev.SessionRescheduledEvent(session=session_snapshot(after, plan.type_msg, status))
        event.previous_start_time.CopyFrom(before.start_time)
        event.previous_end_time.CopyFrom(before.end_time)
        uow.emit("scheduling.session.rescheduled", company_id, event)

    return await _change_session(
        db,
        company_id,
        request.name,
        change,
        emit,
        allow_conflicts=request.allow_conflicts,
        request_id=request.request_id,
        request=request,
        scope="RescheduleSession",
    )


async def cancel_session(db: Database, company_id: str, request: pb.CancelSessionRequest) -> pb.Session:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def change(uow: UnitOfWork, msg: pb.Session) -> tuple[bool, bool]:
        if msg.cancelled:
            return False, False
        msg.cancelled = True
        if msg.booked_online:
            # A staff cancellation frees an online session's slot and restores what it removed.
            await release_booking(uow, company_id, msg.name.removeprefix("sessions/"), msg.name)
        return True, True

    def emit(uow: UnitOfWork, before: pb.Session, after: pb.Session, plan: Plan, status: pb.SessionStatus) -> None:
        uow.emit(
            "scheduling.session.cancelled",
            company_id,
            ev.SessionCancelledEvent(session=session_snapshot(after, plan.type_msg, status)),
        )

    return await _change_session(
        db,
        company_id,
        request.name,
        change,
        emit,
        allow_conflicts=True,
        request_id=request.request_id,
        request=request,
        scope="CancelSession",
    )


async def hold_session(db: Database, company_id: str, request: pb.HoldSessionRequest) -> pb.Session:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def change(uow: UnitOfWork, msg: pb.Session) -> tuple[bool, bool]:
        if msg.cancelled:
            raise FailedPrecondition(f"{msg.name} is cancelled", reason="SESSION_CANCELLED")
        if msg.on_hold == request.on_hold:
            return False, False
        msg.on_hold = request.on_hold
        return True, True

    def emit(uow: UnitOfWork, before: pb.Session, after: pb.Session, plan: Plan, status: pb.SessionStatus) -> None:
        uow.emit(
            "scheduling.session.updated",
            company_id,
            ev.SessionUpdatedEvent(
                session=session_snapshot(after, plan.type_msg, status), changed_paths=["on_hold"], on_hold=after.on_hold
            ),
        )

    return await _change_session(
        db,
        company_id,
        request.name,
        change,
        emit,
        allow_conflicts=request.allow_conflicts,
        request_id=request.request_id,
        request=request,
        scope="HoldSession",
    )


# --- appointments ---------------------------------------------------------------------------


async def plan_appointment(
    uow: UnitOfWork, company_id: str, msg: pb.Appointment, v: Violations, *, creating: bool
) -> Plan | None:
    p = "appointment"
    type_msg: pb.AppointmentType | None = None
    type_id = id_of(msg.appointment_type, "appointmentTypes", f"{p}.appointment_type", v)
    if type_id is not None:
        type_msg = await setup.load_message(uow, setup.APPOINTMENT_TYPES, company_id, type_id)
        if type_msg is None:
            v.add(f"{p}.appointment_type", f"{msg.appointment_type} does not exist")
    client_id = msg.client.removeprefix("clients/")
    if msg.session and creating:
        session_id = id_of(msg.session, "sessions", f"{p}.session", v)
        if session_id is not None:
            linked = await uow.session.scalar(
                select(SessionRow).where(SessionRow.id == session_id, SessionRow.company_id == company_id)
            )
            if linked is None:
                v.add(f"{p}.session", f"{msg.session} does not exist")
            elif msg.client and msg.client != f"clients/{linked.client_id}":
                v.add(f"{p}.session", f"{msg.session} is a session of another client")
            else:
                msg.client = f"clients/{linked.client_id}"
    if msg.client and creating:
        client_id = await _known_client(uow, company_id, msg.client, f"{p}.client", v) or ""
    elif not msg.client and type_msg is not None and type_msg.linked:
        v.add(f"{p}.client", "this appointment type is linked to a client")
    if msg.HasField("reminder_minutes") and not 0 <= msg.reminder_minutes <= rules.MAX_REMINDER_MINUTES:
        v.add(f"{p}.reminder_minutes", f"must be 0 to {rules.MAX_REMINDER_MINUTES} minutes")
    if len(msg.description) > 2000:
        v.add(f"{p}.description", "must be at most 2000 characters")
    location = await _location(uow, company_id, msg.location, f"{p}.location", v)
    if location is None or type_msg is None:
        return None
    planned = await _plan_block(
        uow,
        company_id,
        path=f"{p}.",
        day_msg=msg.appointment_date,
        start_msg=msg.start,
        end_msg=msg.end if msg.HasField("end") else None,
        duration_minutes=type_msg.default_duration_minutes,
        location=location,
        schedule_refs=[(ref, f"{p}.schedules[{i}]", None) for i, ref in enumerate(msg.schedules)],
        index=0,
        v=v,
        date_field="appointment_date",
    )
    if planned is None:
        return None
    return Plan(location=location, type_msg=type_msg, blocks=[planned], client_id=client_id)


def _apply_plan_to_appointment(msg: pb.Appointment, plan: Plan) -> None:
    block = plan.blocks[0]
    msg.time_zone = plan.location.time_zone
    msg.start_time.CopyFrom(ts(block.start))
    msg.end_time.CopyFrom(ts(block.end))
    msg.end.CopyFrom(_tod(block.local_end))


def _store_appointment(row: AppointmentRow, msg: pb.Appointment, plan: Plan) -> None:
    now = utcnow()
    msg.update_time.CopyFrom(ts(now))
    row.client_id = msg.client.removeprefix("clients/")
    row.session_id = msg.session.removeprefix("sessions/")
    row.type_id = msg.appointment_type.removeprefix("appointmentTypes/")
    row.location_id = msg.location.removeprefix("locations/")
    row.start_at = plan.start
    row.end_at = plan.end
    row.cancelled = msg.cancelled
    row.data = msg.SerializeToString(deterministic=True)
    row.updated_at = now


async def create_appointment(db: Database, company_id: str, request: pb.CreateAppointmentRequest) -> pb.Appointment:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()
    attempt = _Attempt()

    async def work(uow: UnitOfWork) -> pb.Appointment:
        msg = pb.Appointment()
        msg.CopyFrom(request.appointment)
        for output_only in ("name", "start_time", "end_time", "cancelled", "booked_by", "create_time"):
            msg.ClearField(output_only)
        msg.ClearField("update_time")
        violations = Violations()
        plan = await plan_appointment(uow, company_id, msg, violations, creating=True)
        violations.raise_if_any()
        assert plan is not None
        appointment_id = str(uuid.uuid4())
        attempt.plan, attempt.buffers, attempt.own = plan, _buffers(plan.type_msg), appointment_id
        now = utcnow()
        msg.name = f"appointments/{appointment_id}"
        msg.booked_by = tenancy.current().caller
        msg.create_time.CopyFrom(ts(now))
        _apply_plan_to_appointment(msg, plan)
        await write_blocks(
            uow,
            company_id,
            kind=APPOINTMENT,
            entry_id=appointment_id,
            plan=plan,
            buffers=_buffers(plan.type_msg),
            occupies=True,
            allow_conflicts=request.allow_conflicts,
        )
        row = AppointmentRow(id=appointment_id, company_id=company_id, created_at=now)
        _store_appointment(row, msg, plan)
        uow.session.add(row)
        await _flush(uow)
        uow.emit(
            "scheduling.appointment.booked",
            company_id,
            ev.AppointmentBookedEvent(appointment=appointment_snapshot(msg, plan.type_msg)),
        )
        return msg

    return await _guarded(
        db,
        company_id,
        attempt,
        lambda: run_idempotent(
            db,
            company_id=company_id,
            scope="CreateAppointment",
            request=request,
            request_id=request.request_id,
            response_type=pb.Appointment,
            work=work,
            source=SOURCE,
        ),
        request_id=request.request_id,
    )


async def _load_appointment(uow: UnitOfWork, company_id: str, name: str, *, lock: bool = False) -> AppointmentRow:
    appointment_id = parse_name(name, "appointments")
    query = select(AppointmentRow).where(AppointmentRow.id == appointment_id, AppointmentRow.company_id == company_id)
    if lock:
        query = query.with_for_update()
    row = await uow.session.scalar(query)
    if row is None:
        raise NotFound(f"{name} not found")
    return row


async def get_appointment(db: Database, company_id: str, name: str) -> pb.Appointment:
    async with UnitOfWork(db, readonly=True) as uow:
        return pb.Appointment.FromString((await _load_appointment(uow, company_id, name)).data)


async def list_appointments(
    db: Database, company_id: str, request: pb.ListAppointmentsRequest
) -> pb.ListAppointmentsResponse:
    v = Violations()
    client_id = id_of(request.client, "clients", "client", v, required=False)
    session_id = id_of(request.session, "sessions", "session", v, required=False)
    location_id = id_of(request.location, "locations", "location", v, required=False)
    v.raise_if_any()
    key = {"client": client_id, "session": session_id, "location": location_id}
    page = parse_page(request.page_size, request.page_token, key)
    query = select(AppointmentRow).where(AppointmentRow.company_id == company_id)
    if client_id:
        query = query.where(AppointmentRow.client_id == client_id)
    if session_id:
        query = query.where(AppointmentRow.session_id == session_id)
    if location_id:
        query = query.where(AppointmentRow.location_id == location_id)
    if page.cursor is not None:
        after = (datetime.fromisoformat(page.cursor["t"]), page.cursor["id"])
        query = query.where(tuple_(AppointmentRow.start_at, AppointmentRow.id) > after)
    query = query.order_by(AppointmentRow.start_at, AppointmentRow.id).limit(page.size + 1)
    async with UnitOfWork(db, readonly=True) as uow:
        rows = list((await uow.session.scalars(query)).all())
    more = len(rows) > page.size
    rows = rows[: page.size]
    cursor = {"t": rows[-1].start_at.isoformat(), "id": rows[-1].id} if more else None
    return pb.ListAppointmentsResponse(
        appointments=[pb.Appointment.FromString(r.data) for r in rows], next_page_token=next_token(cursor, key)
    )


APPOINTMENT_UPDATABLE = {"description", "confirmed", "reminder_minutes", "schedules"}


async def _change_appointment(
    db: Database,
    company_id: str,
    name: str,
    change: Callable[[pb.Appointment], tuple[bool, bool]],
    emit: Callable[[UnitOfWork, pb.Appointment, pb.Appointment, Plan], None],
    *,
    allow_conflicts: bool,
    release_slot: bool = False,
) -> pb.Appointment:
    """`release_slot`: the change takes the appointment off an online slot it was booked in
    (the slot is free again, the slots its booking removed come back)."""
    attempt = _Attempt()

    async def run() -> pb.Appointment:
        async with UnitOfWork(db, source=SOURCE) as uow:
            row = await _load_appointment(uow, company_id, name, lock=True)
            before = pb.Appointment.FromString(row.data)
            msg = pb.Appointment()
            msg.CopyFrom(before)
            replan, changed = change(msg)
            if not changed:
                return before
            violations = Violations()
            plan = await plan_appointment(uow, company_id, msg, violations, creating=False)
            violations.raise_if_any()
            assert plan is not None
            attempt.plan, attempt.buffers, attempt.own = plan, _buffers(plan.type_msg), row.id
            _apply_plan_to_appointment(msg, plan)
            if replan:
                await write_blocks(
                    uow,
                    company_id,
                    kind=APPOINTMENT,
                    entry_id=row.id,
                    plan=plan,
                    buffers=_buffers(plan.type_msg),
                    occupies=not msg.cancelled,
                    allow_conflicts=allow_conflicts,
                )
            _store_appointment(row, msg, plan)
            await _flush(uow)
            if release_slot:
                await release_booking(uow, company_id, row.id, msg.name)
            emit(uow, before, msg, plan)
            await uow.commit()
            return msg

    return await _guarded(db, company_id, attempt, run)


async def update_appointment(db: Database, company_id: str, request: pb.UpdateAppointmentRequest) -> pb.Appointment:
    v = Violations()
    if not request.update_mask.paths:
        v.add("update_mask", "name the fields to change")
    v.raise_if_any()
    paths: list[str] = []

    def change(msg: pb.Appointment) -> tuple[bool, bool]:
        paths.extend(
            apply_mask(
                msg, request.appointment, request.update_mask, field="appointment", writable=APPOINTMENT_UPDATABLE
            )
        )
        return "schedules" in paths, True

    def emit(uow: UnitOfWork, before: pb.Appointment, after: pb.Appointment, plan: Plan) -> None:
        uow.emit(
            "scheduling.appointment.updated",
            company_id,
            ev.AppointmentUpdatedEvent(appointment=appointment_snapshot(after, plan.type_msg), changed_paths=paths),
        )

    return await _change_appointment(
        db, company_id, request.appointment.name, change, emit, allow_conflicts=request.allow_conflicts
    )


async def reschedule_appointment(
    db: Database, company_id: str, request: pb.RescheduleAppointmentRequest
) -> pb.Appointment:
    def change(msg: pb.Appointment) -> tuple[bool, bool]:
        if msg.cancelled:
            raise FailedPrecondition(f"{msg.name} is cancelled", reason="APPOINTMENT_CANCELLED")
        msg.appointment_date.CopyFrom(request.appointment_date)
        msg.start.CopyFrom(request.start)
        if request.HasField("end"):
            msg.end.CopyFrom(request.end)
        else:
            msg.ClearField("end")
        return True, True

    def emit(uow: UnitOfWork, before: pb.Appointment, after: pb.Appointment, plan: Plan) -> None:
        event = ev.AppointmentRescheduledEvent(appointment=appointment_snapshot(after, plan.type_msg))
        event.previous_start_time.CopyFrom(before.start_time)
        event.previous_end_time.CopyFrom(before.end_time)
        uow.emit("scheduling.appointment.rescheduled", company_id, event)

    return await _change_appointment(
        db, company_id, request.name, change, emit, allow_conflicts=request.allow_conflicts, release_slot=True
    )


async def cancel_appointment(db: Database, company_id: str, request: pb.CancelAppointmentRequest) -> pb.Appointment:
    def change(msg: pb.Appointment) -> tuple[bool, bool]:
        if msg.cancelled:
            return False, False
        msg.cancelled = True
        return True, True

    def emit(uow: UnitOfWork, before: pb.Appointment, after: pb.Appointment, plan: Plan) -> None:
        uow.emit(
            "scheduling.appointment.cancelled",
            company_id,
            ev.AppointmentCancelledEvent(appointment=appointment_snapshot(after, plan.type_msg)),
        )

    return await _change_appointment(
        db, company_id, request.name, change, emit, allow_conflicts=True, release_slot=True
    )
