"""Use cases of online booking: hold a slot, release a hold, book (from a hold or directly),
cancel online and reschedule online; for slots of session types (a session) and of
appointment types (a linked appointment: BookAppointmentOnline and its cancel/reschedule).
A booking's id (session or appointment) is stored in `online_time_slots.booked_session_id`,
`online_slot_removals.session_id` and `online_holds.session_id`; ids are UUIDs, so the two
kinds never collide, and "live" means the session or appointment is not cancelled.

Concurrency (DESIGN.md invariant: an online slot is never booked twice, and no schedule holds
two overlapping online bookings):
- holding writes hold blocks on the slot's schedules; PostgreSQL's exclusion constraint on
  `online_hold_blocks` refuses a second overlapping hold, SQLite's BEGIN IMMEDIATE serializes
  the check; booking directly takes such a hold inside its own transaction first, so both
  paths meet on the same blocks;
- the session's calendar blocks are written by the existing path (`write_blocks`, conflicts
  not allowed), so the calendar exclusion constraint refuses overlapping bookings too;
- the slot is taken with a conditional UPDATE (no live booking holds it), so at most once.
Expired holds need no sweeper: every read ignores them (expires_at <= now), and every write
that holds deletes the expired hold blocks of its schedules first (marking those holds expired
and emitting `scheduling.slot.released`).

A client holds at most SHUTTERBOOK_SCHEDULING_MAX_HOLDS_PER_CLIENT live holds (held, not
expired): HoldSlot locks the client's known-client row before counting them (PostgreSQL; a
plain count is racy under READ COMMITTED), SQLite's BEGIN IMMEDIATE serializes the count.

A booking's id may be given by the caller (`session_id`, `appointment_id`, AIP-133), so that
it can be named, e.g. invoiced, before the booking is confirmed. It must not be the id of any
session or appointment (of any company: the ids are the tables' keys, and the two kinds share
the columns above); on PostgreSQL a transaction-scoped advisory lock on the id serializes two
bookings claiming it, SQLite's BEGIN IMMEDIATE already does.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from google.protobuf.message import Message
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Violations,
)
from shutterbook_kit.idempotency import request_fingerprint, run_idempotent, stored_response, validate_request_id
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import bookings, setup
from shutterbook_scheduling.application.bookings import (  # the session use cases' own steps
    _apply_plan_to_appointment,
    _apply_plan_to_session,
    _buffers,
    _ExclusionHit,
    _flush,
    _load_appointment,
    _load_session,
    _session_from_row,
    _store_appointment,
    _store_session,
)
from shutterbook_scheduling.application.common import id_of, to_date, ts
from shutterbook_scheduling.application.online_slots import (
    booking_ref,
    free_of_bookings,
    is_appointment_slot,
    load_slot,
    load_slot_type,
    not_open_error,
    release_booking,
    removed_ids,
    schedules_of,
    slot_message,
    why_not_open,
)
from shutterbook_scheduling.domain import rules, times
from shutterbook_scheduling.domain.rules import Interval
from shutterbook_scheduling.storage.models import AppointmentRow, KnownClientRow, ScheduleRow, SessionRow
from shutterbook_scheduling.storage.online_models import (
    HoldBlockRow,
    SlotHoldRow,
    SlotRemovalRow,
    TimeSlotRow,
    TimeSlotScheduleRow,
)

SOURCE = "scheduling"
HOLD_MINUTES_ENV = "SHUTTERBOOK_SCHEDULING_HOLD_MINUTES"
DEFAULT_HOLD_MINUTES = 10.0
MAX_HOLDS_ENV = "SHUTTERBOOK_SCHEDULING_MAX_HOLDS_PER_CLIENT"
DEFAULT_MAX_HOLDS = 3
R = TypeVar("R", bound=Message)
# Refusals a retry racing its own first attempt (same request_id) meets: run once more.
RETRYABLE = frozenset({"SLOT_NOT_OPEN", "SCHEDULE_CONFLICT"})


def hold_minutes() -> float:
    """How long a hold lasts: SHUTTERBOOK_SCHEDULING_HOLD_MINUTES (default 10; a value that is
    not a positive number of minutes, at most a day, falls back to the default)."""
    try:
        minutes = float(os.environ.get(HOLD_MINUTES_ENV, str(DEFAULT_HOLD_MINUTES)))
    except ValueError:
        return DEFAULT_HOLD_MINUTES
    return minutes if 0 < minutes <= 24 * 60 else DEFAULT_HOLD_MINUTES


def max_holds_per_client() -> int:
    """How many live holds one client may have: SHUTTERBOOK_SCHEDULING_MAX_HOLDS_PER_CLIENT
    (default 3; a value that is not a whole number from 1 to 1000 falls back to the default)."""
    try:
        limit = int(os.environ.get(MAX_HOLDS_ENV, str(DEFAULT_MAX_HOLDS)))
    except ValueError:
        return DEFAULT_MAX_HOLDS
    return limit if 1 <= limit <= 1000 else DEFAULT_MAX_HOLDS


class SlotTaken(FailedPrecondition):
    """A concurrent hold or booking won the slot (or a slot sharing a schedule)."""


def _taken(name: str) -> SlotTaken:
    return SlotTaken(
        f"{name} is not open: another booking or hold took it (or a slot sharing its schedules)",
        reason="SLOT_NOT_OPEN",
        metadata={"slot": name},
    )


def _is_hold_overlap(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "ex_online_hold_blocks_no_overlap" in text or "ex_calendar_blocks_no_overlap" in text or "23P01" in text


async def _idempotent(
    db: Database,
    company_id: str,
    scope: str,
    request: Message,
    request_id: str,
    response_type: type[R],
    work: Callable[[UnitOfWork], Awaitable[R]],
    slot_name: Callable[[], str],
) -> R:
    """run_idempotent, with the database's overlap refusals answered as SLOT_NOT_OPEN."""

    try:
        return await run_idempotent(
            db,
            company_id=company_id,
            scope=scope,
            request=request,
            request_id=request_id,
            response_type=response_type,
            work=work,
            source=SOURCE,
        )
    except _ExclusionHit:
        failure: Exception = _taken(slot_name())
    except IntegrityError as exc:
        if not _is_hold_overlap(exc):
            raise
        failure = _taken(slot_name())
    except DBAPIError as exc:
        if "deadlock" not in str(exc.orig).lower():
            raise
        failure = Aborted("a concurrent booking collided with this one; retry", reason="CONCURRENT_BOOKING")
    except FailedPrecondition as exc:
        if exc.reason not in RETRYABLE:
            raise
        failure = exc
    # A retry racing its own first attempt (same request_id) is refused by the hold that attempt
    # took; once that attempt has committed, its idempotency record answers instead.
    if request_id:
        replay = await stored_response(db, company_id, scope, request_id, request_fingerprint(request), response_type)
        if replay is not None:
            return replay
    raise failure


# --- holds -----------------------------------------------------------------------------------


def hold_message(row: SlotHoldRow, now: datetime, *, appointment: bool = False) -> opb.SlotHold:
    """`appointment`: the held slot sells an appointment type (its booking is an appointment)."""
    state = row.state
    if state == opb.SLOT_HOLD_STATE_HELD and row.expires_at <= now:
        state = opb.SLOT_HOLD_STATE_EXPIRED
    msg = opb.SlotHold(
        name=f"slotHolds/{row.id}",
        time_slot=f"timeSlots/{row.slot_id}",
        client=f"clients/{row.client_id}",
        state=opb.SlotHoldState.ValueType(state),
        session=f"sessions/{row.session_id}" if row.session_id and not appointment else "",
        appointment=f"appointments/{row.session_id}" if row.session_id and appointment else "",
    )
    msg.expire_time.CopyFrom(ts(row.expires_at))
    msg.create_time.CopyFrom(ts(row.created_at))
    return msg


async def _clean_expired(uow: UnitOfWork, company_id: str, schedule_ids: list[str], now: datetime) -> None:
    """Delete the expired hold blocks of these schedules; their holds end as expired."""
    if not schedule_ids:
        return
    hold_ids = set(
        (
            await uow.session.scalars(
                select(HoldBlockRow.hold_id).where(
                    HoldBlockRow.company_id == company_id,
                    HoldBlockRow.schedule_id.in_(schedule_ids),
                    HoldBlockRow.expires_at <= now,
                )
            )
        ).all()
    )
    if not hold_ids:
        return
    await uow.session.execute(delete(HoldBlockRow).where(HoldBlockRow.hold_id.in_(hold_ids)))
    holds = (
        await uow.session.scalars(
            select(SlotHoldRow).where(SlotHoldRow.id.in_(hold_ids), SlotHoldRow.state == opb.SLOT_HOLD_STATE_HELD)
        )
    ).all()
    for hold in holds:
        hold.state = opb.SLOT_HOLD_STATE_EXPIRED
        uow.emit("scheduling.slot.released", company_id, opb.SlotReleasedEvent(hold=hold_message(hold, now)))


async def _type_of(uow: UnitOfWork, company_id: str, slot: TimeSlotRow) -> Any:
    """The slot's SessionType, or AppointmentType for a slot of an appointment type."""
    type_msg = await load_slot_type(uow, company_id, slot)
    if type_msg is None:
        raise FailedPrecondition(
            f"timeSlots/{slot.id} has no session or appointment type any more", reason="SLOT_NOT_OPEN"
        )
    return type_msg


async def _take_hold(
    uow: UnitOfWork,
    company_id: str,
    slot: TimeSlotRow,
    client_id: str,
    now: datetime,
    *,
    state: int = opb.SLOT_HOLD_STATE_HELD,
    own_entry: str = "",
) -> SlotHoldRow:
    """Hold blocks first (so a concurrent holder on PostgreSQL waits here and then sees the
    winner's blocks), then the open-slot decision."""
    name = f"timeSlots/{slot.id}"
    schedule_ids = sorted((await schedules_of(uow, [slot.id]))[slot.id])
    # Online writers of a schedule queue on its row (PostgreSQL; in id order, so never in a
    # cycle): concurrent inserts of overlapping blocks under an exclusion constraint can
    # otherwise deadlock. SQLite's BEGIN IMMEDIATE already serializes writers.
    await uow.session.execute(
        select(ScheduleRow.id)
        .where(ScheduleRow.company_id == company_id, ScheduleRow.id.in_(schedule_ids))
        .order_by(ScheduleRow.id)
        .with_for_update()
    )
    await _clean_expired(uow, company_id, schedule_ids, now)
    type_msg = await _type_of(uow, company_id, slot)
    expires = now + timedelta(minutes=hold_minutes())
    hold = SlotHoldRow(
        id=str(uuid.uuid4()),
        company_id=company_id,
        slot_id=slot.id,
        client_id=client_id,
        state=state,
        expires_at=expires,
        session_id="",
        created_at=now,
    )
    occupied = Interval(slot.start_at, slot.end_at).widened(*_buffers(type_msg))
    for schedule_id in schedule_ids:
        uow.session.add(
            HoldBlockRow(
                hold_id=hold.id,
                company_id=company_id,
                schedule_id=schedule_id,
                occupied_start=occupied.start,
                occupied_end=occupied.end,
                expires_at=expires,
            )
        )
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        if _is_hold_overlap(exc):
            raise _taken(name) from None
        raise
    reason = (await why_not_open(uow, company_id, [slot], now, own_hold=hold.id, own_entry=own_entry))[slot.id]
    if reason:
        raise not_open_error(name, reason)
    uow.session.add(hold)
    return hold


async def _known_client(uow: UnitOfWork, company_id: str, name: str, path: str) -> str:
    v = Violations()
    client_id = await bookings._known_client(uow, company_id, name, path, v)
    v.raise_if_any()
    assert client_id is not None
    return client_id


def _require_request_id(request_id: str, v: Violations) -> None:
    if not request_id:
        v.add("request_id", "is required")
    validate_request_id(request_id, v)


async def _check_hold_limit(uow: UnitOfWork, company_id: str, client_id: str, now: datetime) -> None:
    """Refuse a hold beyond the client's limit of live holds. The client's row is locked first
    (PostgreSQL), so concurrent holders of one client count one after another."""
    await uow.session.execute(
        select(KnownClientRow.client_id)
        .where(KnownClientRow.company_id == company_id, KnownClientRow.client_id == client_id)
        .with_for_update()
    )
    live = await uow.session.scalar(
        select(func.count())
        .select_from(SlotHoldRow)
        .where(
            SlotHoldRow.company_id == company_id,
            SlotHoldRow.client_id == client_id,
            SlotHoldRow.state == opb.SLOT_HOLD_STATE_HELD,
            SlotHoldRow.expires_at > now,
        )
    )
    limit = max_holds_per_client()
    if (live or 0) >= limit:
        raise FailedPrecondition(
            f"clients/{client_id} already holds {live} slots, the most a client may hold at once;"
            " book or release one first",
            reason="TOO_MANY_HOLDS",
            metadata={"client": f"clients/{client_id}", "limit": str(limit)},
        )


async def hold_slot(db: Database, company_id: str, request: opb.HoldSlotRequest) -> opb.SlotHold:
    v = Violations()
    _require_request_id(request.request_id, v)
    id_of(request.time_slot, "timeSlots", "time_slot", v)
    id_of(request.client, "clients", "client", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> opb.SlotHold:
        now = utcnow()
        client_id = await _known_client(uow, company_id, request.client, "client")
        await _check_hold_limit(uow, company_id, client_id, now)
        slot = await load_slot(uow, company_id, request.time_slot, field="time_slot")
        hold = await _take_hold(uow, company_id, slot, client_id, now)
        msg = hold_message(hold, now)
        uow.emit("scheduling.slot.held", company_id, opb.SlotHeldEvent(hold=msg))
        return msg

    return await _idempotent(
        db, company_id, "HoldSlot", request, request.request_id, opb.SlotHold, work, lambda: request.time_slot
    )


async def _load_hold(uow: UnitOfWork, company_id: str, name: str, field: str) -> SlotHoldRow:
    hold_id = parse_name(name, "slotHolds", field=field)
    row = await uow.session.scalar(
        select(SlotHoldRow).where(SlotHoldRow.id == hold_id, SlotHoldRow.company_id == company_id).with_for_update()
    )
    if row is None:
        raise NotFound(f"{name} not found")
    return row


async def release_hold(db: Database, company_id: str, request: opb.ReleaseHoldRequest) -> opb.SlotHold:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> opb.SlotHold:
        now = utcnow()
        hold = await _load_hold(uow, company_id, request.name, "name")
        if hold.state != opb.SLOT_HOLD_STATE_HELD or hold.expires_at <= now:
            slot = await uow.session.get(TimeSlotRow, hold.slot_id)
            return hold_message(hold, now, appointment=slot is not None and is_appointment_slot(slot))
        hold.state = opb.SLOT_HOLD_STATE_RELEASED
        await uow.session.execute(delete(HoldBlockRow).where(HoldBlockRow.hold_id == hold.id))
        msg = hold_message(hold, now)
        uow.emit("scheduling.slot.released", company_id, opb.SlotReleasedEvent(hold=msg))
        return msg

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="ReleaseHold",
        request=request,
        request_id=request.request_id,
        response_type=opb.SlotHold,
        work=work,
        source=SOURCE,
    )


# --- booking ---------------------------------------------------------------------------------


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


async def _status(uow: UnitOfWork, company_id: str, name: str) -> pb.SessionStatus | None:
    if not name:
        return None
    found: pb.SessionStatus | None = await setup.load_message(
        uow, setup.STATUSES, company_id, name.removeprefix("sessionStatuses/")
    )
    return found


def _rename_violations(err: InvalidArgument) -> InvalidArgument:
    """The session's violations in this API's field names (`session.participants[0]` -> `participants[0]`)."""
    err.violations = [FieldViolation(v.field.removeprefix("session."), v.description) for v in err.violations]
    return err


async def _take_slot(uow: UnitOfWork, slot: TimeSlotRow, session_id: str) -> None:
    """The conditional UPDATE that books a slot at most once."""
    result = await uow.session.execute(
        update(TimeSlotRow)
        .where(TimeSlotRow.id == slot.id, free_of_bookings())
        .values(booked_session_id=session_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _taken(f"timeSlots/{slot.id}")
    slot.booked_session_id = session_id


async def _auto_remove(uow: UnitOfWork, company_id: str, slot: TimeSlotRow, type_msg: Any, session_name: str) -> None:
    """ "Auto-Remove conflicting time slots upon booking": every slot (not booked) overlapping
    the booking on a shared schedule is removed, recorded against the booking (a session or an
    appointment, `session_name` is its resource name; slots of both kinds are removed)."""
    if not type_msg.online.auto_remove_conflicting_slots:
        return
    session_id = session_name.split("/", 1)[1]
    schedule_ids = (await schedules_of(uow, [slot.id]))[slot.id]
    occupied = Interval(slot.start_at, slot.end_at).widened(*_buffers(type_msg))
    overlapping = (
        await uow.session.scalars(
            select(TimeSlotRow)
            .join(TimeSlotScheduleRow, TimeSlotScheduleRow.slot_id == TimeSlotRow.id)
            .where(
                TimeSlotScheduleRow.company_id == company_id,
                TimeSlotScheduleRow.schedule_id.in_(schedule_ids),
                TimeSlotScheduleRow.start_at < occupied.end,
                TimeSlotScheduleRow.end_at > occupied.start,
                TimeSlotRow.id != slot.id,
                free_of_bookings(),
            )
            .distinct()
            .order_by(TimeSlotRow.start_at, TimeSlotRow.id)
        )
    ).all()
    already = await removed_ids(uow, [r.id for r in overlapping])
    for row in overlapping:
        uow.session.add(SlotRemovalRow(session_id=session_id, slot_id=row.id, company_id=company_id))
        if row.id not in already:
            uow.emit(
                "scheduling.slot.removed",
                company_id,
                opb.SlotRemovedEvent(time_slot=slot_message(row, removed=True), **booking_ref(session_name)),
            )


async def _book(
    uow: UnitOfWork,
    company_id: str,
    slot: TimeSlotRow,
    hold: SlotHoldRow,
    client_id: str,
    request: opb.BookOnlineRequest,
    now: datetime,
) -> pb.Session:
    type_msg = await _type_of(uow, company_id, slot)
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
    )
    await _apply_slot(uow, company_id, msg, slot, location)
    violations = Violations()
    plan = await bookings.plan_session(uow, company_id, msg, violations, creating=True, participants=True)
    try:
        violations.raise_if_any()
    except InvalidArgument as err:
        raise _rename_violations(err) from None
    assert plan is not None
    if plan.start != slot.start_at or plan.end != slot.end_at:
        raise FailedPrecondition(f"timeSlots/{slot.id} cannot be expressed in local time", reason="SLOT_NOT_OPEN")
    session_id = request.session_id or str(uuid.uuid4())
    status = await bookings._resolve_status(uow, company_id, msg, plan)
    msg.status = status.name
    msg.status_due_date.CopyFrom(to_date(rules.status_due_date(plan.blocks[0].local_date, status.due_in_days)))
    msg.name = f"sessions/{session_id}"
    msg.booked_by = tenancy.current().caller
    msg.booked_on.CopyFrom(ts(now))
    msg.create_time.CopyFrom(ts(now))
    msg.booked_online = True
    _apply_plan_to_session(msg, plan)
    await bookings.write_blocks(
        uow,
        company_id,
        kind=bookings.SESSION,
        entry_id=session_id,
        plan=plan,
        buffers=_buffers(type_msg),
        occupies=True,
        allow_conflicts=False,
    )
    msg.session_number = await bookings.next_session_number(uow, company_id)
    row = SessionRow(id=session_id, company_id=company_id, created_at=now, reminder_at=None)
    _store_session(row, msg, plan)
    uow.session.add(row)
    await _flush(uow)
    await _take_slot(uow, slot, session_id)
    await uow.session.execute(delete(HoldBlockRow).where(HoldBlockRow.hold_id == hold.id))
    hold.state = opb.SLOT_HOLD_STATE_BOOKED
    hold.session_id = session_id
    await _auto_remove(uow, company_id, slot, type_msg, msg.name)
    uow.emit(
        "scheduling.session.booked",
        company_id,
        ev.SessionBookedEvent(session=bookings.session_snapshot(msg, type_msg, status)),
    )
    uow.emit(
        "scheduling.slot.booked",
        company_id,
        opb.SlotBookedEvent(time_slot=slot_message(slot, removed=False), session=msg.name),
    )
    return msg


def _check_book_request(
    hold: str, time_slot: str, client: str, request_id: str, new_id: str, new_id_field: str
) -> None:
    v = Violations()
    _require_request_id(request_id, v)
    if new_id and not _is_canonical_uuid(new_id):
        v.add(new_id_field, "must be a UUID in canonical form (lowercase, hyphenated), or empty")
    if bool(hold) == bool(time_slot):
        v.add("hold", "give a hold or a time_slot (one of them)")
    elif hold:
        id_of(hold, "slotHolds", "hold", v)
    else:
        id_of(time_slot, "timeSlots", "time_slot", v)
    id_of(client, "clients", "client", v)
    v.raise_if_any()


def _is_canonical_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


async def _claim_new_id(uow: UnitOfWork, entry_id: str, field: str) -> None:
    """A caller-given id for a new session or appointment: ALREADY_EXISTS when any session or
    appointment (of any company) has it. On PostgreSQL an advisory lock on the id, held to the
    end of the transaction, makes a concurrent claim of the same id wait and then see ours."""
    if not entry_id:
        return
    if not uow.db.is_sqlite:
        await uow.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"scheduling.booking_id:{entry_id}"},
        )
    used = await uow.session.scalar(select(SessionRow.id).where(SessionRow.id == entry_id))
    if used is None:
        used = await uow.session.scalar(select(AppointmentRow.id).where(AppointmentRow.id == entry_id))
    if used is not None:
        raise AlreadyExists(f"{field} {entry_id} is already used by another booking", metadata={"field": field})


def _check_kind(slot: TimeSlotRow, *, appointment: bool, field: str, name: str) -> None:
    """Sessions are booked in slots of session types, appointments in slots of appointment types."""
    if is_appointment_slot(slot) != appointment:
        bad = Violations()
        if appointment:
            bad.add(field, f"{name} sells a session type: book it with BookOnline")
        else:
            bad.add(field, f"{name} sells an appointment type: book it with BookAppointmentOnline")
        bad.raise_if_any()


async def _slot_to_book(
    uow: UnitOfWork,
    company_id: str,
    hold_name: str,
    slot_name: str,
    client_id: str,
    now: datetime,
    names: dict[str, str],
    *,
    appointment: bool,
) -> tuple[TimeSlotRow, SlotHoldRow]:
    """The slot being booked and the hold booking it: the given hold (still held, for this
    client), or a hold taken now on the given open slot."""
    if hold_name:
        hold = await _load_hold(uow, company_id, hold_name, "hold")
        if hold.client_id != client_id:
            bad = Violations()
            bad.add("client", f"{hold_name} is held for another client")
            bad.raise_if_any()
        if hold.state != opb.SLOT_HOLD_STATE_HELD or hold.expires_at <= now:
            state = opb.SlotHoldState.Name(hold_message(hold, now).state)
            raise FailedPrecondition(
                f"{hold_name} is no longer held ({state})", reason="HOLD_NOT_HELD", metadata={"state": state}
            )
        slot = await load_slot(uow, company_id, f"timeSlots/{hold.slot_id}")
        names["slot"] = f"timeSlots/{slot.id}"
        _check_kind(slot, appointment=appointment, field="hold", name=hold_name)
        reason = (await why_not_open(uow, company_id, [slot], now, own_hold=hold.id))[slot.id]
        if reason:
            raise not_open_error(names["slot"], reason)
        return slot, hold
    slot = await load_slot(uow, company_id, slot_name, field="time_slot")
    _check_kind(slot, appointment=appointment, field="time_slot", name=slot_name)
    hold = await _take_hold(uow, company_id, slot, client_id, now, state=opb.SLOT_HOLD_STATE_BOOKED)
    return slot, hold


async def book_online(db: Database, company_id: str, request: opb.BookOnlineRequest) -> pb.Session:
    _check_book_request(
        request.hold, request.time_slot, request.client, request.request_id, request.session_id, "session_id"
    )
    names = {"slot": request.time_slot or request.hold}

    async def work(uow: UnitOfWork) -> pb.Session:
        now = utcnow()
        await _claim_new_id(uow, request.session_id, "session_id")
        client_id = await _known_client(uow, company_id, request.client, "client")
        slot, hold = await _slot_to_book(
            uow, company_id, request.hold, request.time_slot, client_id, now, names, appointment=False
        )
        return await _book(uow, company_id, slot, hold, client_id, request, now)

    return await _idempotent(
        db, company_id, "BookOnline", request, request.request_id, pb.Session, work, lambda: names["slot"]
    )


def _appointment_at(msg: pb.Appointment, slot: TimeSlotRow, location: pb.Location, schedule_ids: list[str]) -> None:
    """Put the slot's local date, times and schedules on the appointment."""
    tz = times.zone(location.time_zone)
    local_start, local_end = slot.start_at.astimezone(tz), slot.end_at.astimezone(tz)
    msg.appointment_date.CopyFrom(to_date(local_start.date()))
    msg.start.CopyFrom(pb.TimeOfDay(hours=local_start.hour, minutes=local_start.minute))
    msg.end.CopyFrom(pb.TimeOfDay(hours=local_end.hour, minutes=local_end.minute))
    msg.location = location.name
    msg.schedules[:] = [f"schedules/{s}" for s in schedule_ids]


async def _plan_appointment_in_slot(
    uow: UnitOfWork, company_id: str, msg: pb.Appointment, slot: TimeSlotRow, *, creating: bool
) -> bookings.Plan:
    location: pb.Location | None = await setup.load_message(uow, setup.LOCATIONS, company_id, slot.location_id)
    if location is None:
        raise FailedPrecondition(f"timeSlots/{slot.id} has no location any more", reason="SLOT_NOT_OPEN")
    _appointment_at(msg, slot, location, sorted((await schedules_of(uow, [slot.id]))[slot.id]))
    violations = Violations()
    plan = await bookings.plan_appointment(uow, company_id, msg, violations, creating=creating)
    try:
        violations.raise_if_any()
    except InvalidArgument as err:
        err.violations = [FieldViolation(v.field.removeprefix("appointment."), v.description) for v in err.violations]
        raise err from None
    assert plan is not None
    if plan.start != slot.start_at or plan.end != slot.end_at:
        raise FailedPrecondition(f"timeSlots/{slot.id} cannot be expressed in local time", reason="SLOT_NOT_OPEN")
    _apply_plan_to_appointment(msg, plan)
    return plan


async def _book_appointment(
    uow: UnitOfWork,
    company_id: str,
    slot: TimeSlotRow,
    hold: SlotHoldRow,
    client_id: str,
    request: opb.BookAppointmentOnlineRequest,
    now: datetime,
) -> pb.Appointment:
    """Create the appointment of an appointment-type slot for the client. An appointment has no
    status: its online booking is recorded by the slot (and the hold) naming it."""
    type_msg = await _type_of(uow, company_id, slot)
    msg = pb.Appointment(
        appointment_type=f"appointmentTypes/{slot.type_id}",
        client=f"clients/{client_id}",
        description=request.description,
    )
    plan = await _plan_appointment_in_slot(uow, company_id, msg, slot, creating=True)
    appointment_id = request.appointment_id or str(uuid.uuid4())
    msg.name = f"appointments/{appointment_id}"
    msg.booked_by = tenancy.current().caller
    msg.create_time.CopyFrom(ts(now))
    await bookings.write_blocks(
        uow,
        company_id,
        kind=bookings.APPOINTMENT,
        entry_id=appointment_id,
        plan=plan,
        buffers=_buffers(type_msg),
        occupies=True,
        allow_conflicts=False,
    )
    row = AppointmentRow(id=appointment_id, company_id=company_id, created_at=now)
    _store_appointment(row, msg, plan)
    uow.session.add(row)
    await _flush(uow)
    await _take_slot(uow, slot, appointment_id)
    await uow.session.execute(delete(HoldBlockRow).where(HoldBlockRow.hold_id == hold.id))
    hold.state = opb.SLOT_HOLD_STATE_BOOKED
    hold.session_id = appointment_id
    await _auto_remove(uow, company_id, slot, type_msg, msg.name)
    uow.emit(
        "scheduling.appointment.booked",
        company_id,
        ev.AppointmentBookedEvent(appointment=bookings.appointment_snapshot(msg, type_msg)),
    )
    uow.emit(
        "scheduling.slot.booked",
        company_id,
        opb.SlotBookedEvent(time_slot=slot_message(slot, removed=False), appointment=msg.name),
    )
    return msg


async def book_appointment_online(
    db: Database, company_id: str, request: opb.BookAppointmentOnlineRequest
) -> pb.Appointment:
    _check_book_request(
        request.hold, request.time_slot, request.client, request.request_id, request.appointment_id, "appointment_id"
    )
    names = {"slot": request.time_slot or request.hold}

    async def work(uow: UnitOfWork) -> pb.Appointment:
        now = utcnow()
        await _claim_new_id(uow, request.appointment_id, "appointment_id")
        client_id = await _known_client(uow, company_id, request.client, "client")
        slot, hold = await _slot_to_book(
            uow, company_id, request.hold, request.time_slot, client_id, now, names, appointment=True
        )
        return await _book_appointment(uow, company_id, slot, hold, client_id, request, now)

    return await _idempotent(
        db,
        company_id,
        "BookAppointmentOnline",
        request,
        request.request_id,
        pb.Appointment,
        work,
        lambda: names["slot"],
    )


async def _online_appointment(uow: UnitOfWork, company_id: str, name: str) -> tuple[AppointmentRow, pb.Appointment]:
    """The appointment, locked; booked online when a hold of a slot became it."""
    try:
        row = await _load_appointment(uow, company_id, name, lock=True)
    except InvalidArgument as err:
        err.violations = [FieldViolation("appointment", v.description) for v in err.violations]
        raise
    booked = await uow.session.scalar(
        select(SlotHoldRow.id).where(
            SlotHoldRow.company_id == company_id,
            SlotHoldRow.session_id == row.id,
            SlotHoldRow.state == opb.SLOT_HOLD_STATE_BOOKED,
        )
    )
    if booked is None:
        raise FailedPrecondition(f"{name} was not booked online", reason="NOT_BOOKED_ONLINE")
    return row, pb.Appointment.FromString(row.data)


async def cancel_online_appointment(
    db: Database, company_id: str, request: opb.CancelOnlineAppointmentRequest
) -> pb.Appointment:
    v = Violations()
    _require_request_id(request.request_id, v)
    id_of(request.appointment, "appointments", "appointment", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> pb.Appointment:
        row, msg = await _online_appointment(uow, company_id, request.appointment)
        if msg.cancelled:
            return msg
        msg.cancelled = True
        violations = Violations()
        plan = await bookings.plan_appointment(uow, company_id, msg, violations, creating=False)
        violations.raise_if_any()
        assert plan is not None
        _apply_plan_to_appointment(msg, plan)
        await bookings.write_blocks(
            uow,
            company_id,
            kind=bookings.APPOINTMENT,
            entry_id=row.id,
            plan=plan,
            buffers=_buffers(plan.type_msg),
            occupies=False,
            allow_conflicts=True,
        )
        _store_appointment(row, msg, plan)
        await _flush(uow)
        await release_booking(uow, company_id, row.id, msg.name)
        uow.emit(
            "scheduling.appointment.cancelled",
            company_id,
            ev.AppointmentCancelledEvent(appointment=bookings.appointment_snapshot(msg, plan.type_msg)),
        )
        return msg

    return await _idempotent(
        db,
        company_id,
        "CancelOnlineAppointment",
        request,
        request.request_id,
        pb.Appointment,
        work,
        lambda: request.appointment,
    )


async def reschedule_online_appointment(
    db: Database, company_id: str, request: opb.RescheduleOnlineAppointmentRequest
) -> pb.Appointment:
    v = Violations()
    _require_request_id(request.request_id, v)
    id_of(request.appointment, "appointments", "appointment", v)
    id_of(request.time_slot, "timeSlots", "time_slot", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> pb.Appointment:
        now = utcnow()
        row, msg = await _online_appointment(uow, company_id, request.appointment)
        if msg.cancelled:
            raise FailedPrecondition(f"{request.appointment} is cancelled", reason="APPOINTMENT_CANCELLED")
        before = pb.Appointment()
        before.CopyFrom(msg)
        slot = await load_slot(uow, company_id, request.time_slot, field="time_slot")
        if slot.booked_session_id == row.id:
            return msg
        if not is_appointment_slot(slot) or slot.type_id != row.type_id:
            bad = Violations()
            bad.add("time_slot", f"{request.time_slot} sells another type")
            bad.raise_if_any()
        # As for sessions: free the old slot first, the appointment's own blocks do not make the
        # new slot busy, and the hold serializes with concurrent holders.
        await release_booking(uow, company_id, row.id, msg.name)
        hold = await _take_hold(
            uow, company_id, slot, row.client_id, now, state=opb.SLOT_HOLD_STATE_BOOKED, own_entry=row.id
        )
        plan = await _plan_appointment_in_slot(uow, company_id, msg, slot, creating=False)
        await bookings.write_blocks(
            uow,
            company_id,
            kind=bookings.APPOINTMENT,
            entry_id=row.id,
            plan=plan,
            buffers=_buffers(plan.type_msg),
            occupies=True,
            allow_conflicts=False,
        )
        _store_appointment(row, msg, plan)
        await _flush(uow)
        await _take_slot(uow, slot, row.id)
        await uow.session.execute(delete(HoldBlockRow).where(HoldBlockRow.hold_id == hold.id))
        hold.session_id = row.id
        await _auto_remove(uow, company_id, slot, plan.type_msg, msg.name)
        event = ev.AppointmentRescheduledEvent(appointment=bookings.appointment_snapshot(msg, plan.type_msg))
        event.previous_start_time.CopyFrom(before.start_time)
        event.previous_end_time.CopyFrom(before.end_time)
        uow.emit("scheduling.appointment.rescheduled", company_id, event)
        uow.emit(
            "scheduling.slot.booked",
            company_id,
            opb.SlotBookedEvent(time_slot=slot_message(slot, removed=False), appointment=msg.name),
        )
        return msg

    return await _idempotent(
        db,
        company_id,
        "RescheduleOnlineAppointment",
        request,
        request.request_id,
        pb.Appointment,
        work,
        lambda: request.time_slot,
    )


async def _online_session(uow: UnitOfWork, company_id: str, name: str) -> tuple[SessionRow, pb.Session]:
    row = await _load_session(uow, company_id, name, lock=True)
    msg = _session_from_row(row)
    if not msg.booked_online:
        raise FailedPrecondition(f"{name} was not booked online", reason="NOT_BOOKED_ONLINE")
    return row, msg


async def _store_change(
    uow: UnitOfWork, company_id: str, row: SessionRow, msg: pb.Session, status_name: str, *, occupies: bool
) -> tuple[pb.SessionStatus, Any]:
    if status_name:
        msg.status = status_name
    violations = Violations()
    plan = await bookings.plan_session(uow, company_id, msg, violations, creating=False, participants=False)
    violations.raise_if_any()
    assert plan is not None
    status = await bookings._resolve_status(uow, company_id, msg, plan)
    msg.status = status.name
    msg.status_due_date.CopyFrom(to_date(rules.status_due_date(plan.blocks[0].local_date, status.due_in_days)))
    _apply_plan_to_session(msg, plan)
    await bookings.write_blocks(
        uow,
        company_id,
        kind=bookings.SESSION,
        entry_id=row.id,
        plan=plan,
        buffers=_buffers(plan.type_msg),
        occupies=occupies,
        allow_conflicts=not occupies,
    )
    _store_session(row, msg, plan)
    await _flush(uow)
    return status, plan.type_msg


async def cancel_online_booking(db: Database, company_id: str, request: opb.CancelOnlineBookingRequest) -> pb.Session:
    v = Violations()
    _require_request_id(request.request_id, v)
    id_of(request.session, "sessions", "session", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> pb.Session:
        row, msg = await _online_session(uow, company_id, request.session)
        if msg.cancelled:
            return msg
        type_msg = await setup.load_message(uow, setup.SESSION_TYPES, company_id, row.type_id)
        msg.cancelled = True
        status_name = type_msg.online.cancelled_online_status if type_msg is not None else ""
        status, type_used = await _store_change(uow, company_id, row, msg, status_name, occupies=False)
        await release_booking(uow, company_id, row.id)
        uow.emit(
            "scheduling.session.cancelled",
            company_id,
            ev.SessionCancelledEvent(session=bookings.session_snapshot(msg, type_used, status)),
        )
        return msg

    return await _idempotent(
        db, company_id, "CancelOnlineBooking", request, request.request_id, pb.Session, work, lambda: request.session
    )


async def reschedule_online_booking(
    db: Database, company_id: str, request: opb.RescheduleOnlineBookingRequest
) -> pb.Session:
    v = Violations()
    _require_request_id(request.request_id, v)
    id_of(request.session, "sessions", "session", v)
    id_of(request.time_slot, "timeSlots", "time_slot", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> pb.Session:
        now = utcnow()
        row, msg = await _online_session(uow, company_id, request.session)
        if msg.cancelled:
            raise FailedPrecondition(f"{request.session} is cancelled", reason="SESSION_CANCELLED")
        before = pb.Session()
        before.CopyFrom(msg)
        slot = await load_slot(uow, company_id, request.time_slot, field="time_slot")
        if slot.booked_session_id == row.id:
            return msg
        if slot.type_id != row.type_id:
            bad = Violations()
            bad.add("time_slot", f"{request.time_slot} sells another session type")
            bad.raise_if_any()
        # Free the old slot and what it removed first (the new slot may be one of them); the
        # session's own blocks do not make the new slot busy; the hold serializes with others.
        await release_booking(uow, company_id, row.id)
        hold = await _take_hold(
            uow, company_id, slot, row.client_id, now, state=opb.SLOT_HOLD_STATE_BOOKED, own_entry=row.id
        )
        location: pb.Location | None = await setup.load_message(uow, setup.LOCATIONS, company_id, slot.location_id)
        assert location is not None
        await _apply_slot(uow, company_id, msg, slot, location)
        msg.location = location.name
        type_msg = await _type_of(uow, company_id, slot)
        status, type_used = await _store_change(
            uow, company_id, row, msg, type_msg.online.rescheduled_online_status, occupies=True
        )
        await _take_slot(uow, slot, row.id)
        await uow.session.execute(delete(HoldBlockRow).where(HoldBlockRow.hold_id == hold.id))
        hold.session_id = row.id
        await _auto_remove(uow, company_id, slot, type_msg, msg.name)
        event = ev.SessionRescheduledEvent(session=bookings.session_snapshot(msg, type_used, status))
        event.previous_start_time.CopyFrom(before.start_time)
        event.previous_end_time.CopyFrom(before.end_time)
        uow.emit("scheduling.session.rescheduled", company_id, event)
        uow.emit(
            "scheduling.slot.booked",
            company_id,
            opb.SlotBookedEvent(time_slot=slot_message(slot, removed=False), session=msg.name),
        )
        return msg

    return await _idempotent(
        db,
        company_id,
        "RescheduleOnlineBooking",
        request,
        request.request_id,
        pb.Session,
        work,
        lambda: request.time_slot,
    )
