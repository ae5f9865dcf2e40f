"""Use cases of online time slots: create (one, or from pattern rows), read, list, update,
delete, and the open-slot decision shared by listing, holding and booking."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, or_, select, tuple_

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.common import apply_mask, from_ts, id_of, read_date, read_time, to_date, ts
from shutterbook_scheduling.domain import online_slots as rules
from shutterbook_scheduling.domain import time_patterns, times
from shutterbook_scheduling.storage.models import AppointmentRow, CalendarBlockRow, SessionRow
from shutterbook_scheduling.storage.online_models import (
    HoldBlockRow,
    SlotRemovalRow,
    TimeSlotRow,
    TimeSlotScheduleRow,
)

SOURCE = "scheduling"
MAX_OPEN_RANGE_DAYS = 92
MAX_NOTICE_MINUTES = 365 * 24 * 60
MAX_ADVANCE_DAYS = 3 * 366


# --- reading rows -------------------------------------------------------------------------


def slot_message(row: TimeSlotRow, *, removed: bool, booked: bool | None = None) -> opb.TimeSlot:
    msg = opb.TimeSlot.FromString(row.data)
    if booked is None:
        booked = bool(row.booked_session_id)
    # `booked_session_id` holds the booking's id: a session's, or an appointment's for a slot of
    # an appointment type (ids are UUIDs, so the two never collide).
    entry = row.booked_session_id if booked else ""
    msg.booked_session = f"sessions/{entry}" if entry and not msg.appointment_type else ""
    msg.booked_appointment = f"appointments/{entry}" if entry and msg.appointment_type else ""
    msg.removed = removed
    return msg


def is_appointment_slot(row: TimeSlotRow) -> bool:
    """True when the slot sells an appointment type (else a session type)."""
    return bool(opb.TimeSlot.FromString(row.data).appointment_type)


def booking_name(row: TimeSlotRow, entry_id: str) -> str:
    """The resource name of a booking (session or appointment) of this slot's kind."""
    return f"appointments/{entry_id}" if is_appointment_slot(row) else f"sessions/{entry_id}"


async def load_slot_type(uow: UnitOfWork, company_id: str, row: TimeSlotRow) -> Any:
    """The slot's SessionType or AppointmentType (None when it no longer exists)."""
    collection = setup.APPOINTMENT_TYPES if is_appointment_slot(row) else setup.SESSION_TYPES
    return await setup.load_message(uow, collection, company_id, row.type_id)


# A booking counts while its session (or appointment) is not cancelled: one cancelled by staff
# (the ordinary CancelSession / CancelAppointment) frees its slot and the slots it removed,
# like a cancel online. `booked_session_id` and `online_slot_removals.session_id` hold the
# booking's id, a session's or an appointment's.
def free_of_bookings() -> ColumnElement[bool]:
    """SQL: the slot is not taken by a live booking."""
    return or_(
        TimeSlotRow.booked_session_id == "",
        exists().where(SessionRow.id == TimeSlotRow.booked_session_id, SessionRow.cancelled),
        exists().where(AppointmentRow.id == TimeSlotRow.booked_session_id, AppointmentRow.cancelled),
    )


def live_removal() -> ColumnElement[bool]:
    """SQL: a live booking's auto-remove hides the slot."""
    return or_(
        exists().where(
            SlotRemovalRow.slot_id == TimeSlotRow.id, SessionRow.id == SlotRemovalRow.session_id, ~SessionRow.cancelled
        ),
        exists().where(
            SlotRemovalRow.slot_id == TimeSlotRow.id,
            AppointmentRow.id == SlotRemovalRow.session_id,
            ~AppointmentRow.cancelled,
        ),
    )


def _surely_busy(company_id: str) -> ColumnElement[bool]:
    """SQL: an occupying block overlaps the slot itself on one of its schedules. Only a
    pre-filter for listing: such a slot is busy by `why_not_open` too (buffers only widen the
    slot), which still decides every slot the filter lets through. Correlated on the slot id
    alone, so PostgreSQL plans it as an anti-join."""
    return (
        select(TimeSlotScheduleRow.slot_id)
        .join(
            CalendarBlockRow,
            (CalendarBlockRow.schedule_id == TimeSlotScheduleRow.schedule_id)
            & (CalendarBlockRow.occupied_start < TimeSlotScheduleRow.end_at)
            & (CalendarBlockRow.occupied_end > TimeSlotScheduleRow.start_at),
        )
        .where(
            TimeSlotScheduleRow.slot_id == TimeSlotRow.id,
            CalendarBlockRow.company_id == company_id,
            CalendarBlockRow.occupies,
        )
        .exists()
    )


async def removed_ids(uow: UnitOfWork, slot_ids: list[str]) -> set[str]:
    """The slots among these that a live booking removed."""
    if not slot_ids:
        return set()
    found = await uow.session.scalars(
        select(SlotRemovalRow.slot_id)
        .join(SessionRow, SessionRow.id == SlotRemovalRow.session_id)
        .where(SlotRemovalRow.slot_id.in_(slot_ids), ~SessionRow.cancelled)
    )
    by_appointment = await uow.session.scalars(
        select(SlotRemovalRow.slot_id)
        .join(AppointmentRow, AppointmentRow.id == SlotRemovalRow.session_id)
        .where(SlotRemovalRow.slot_id.in_(slot_ids), ~AppointmentRow.cancelled)
    )
    return set(found.all()) | set(by_appointment.all())


async def booked_ids(uow: UnitOfWork, slots: list[TimeSlotRow]) -> set[str]:
    """The slots among these that a live booking holds."""
    by_session = {s.booked_session_id: s.id for s in slots if s.booked_session_id}
    if not by_session:
        return set()
    live = await uow.session.scalars(
        select(SessionRow.id).where(SessionRow.id.in_(list(by_session)), ~SessionRow.cancelled)
    )
    live_appointments = await uow.session.scalars(
        select(AppointmentRow.id).where(AppointmentRow.id.in_(list(by_session)), ~AppointmentRow.cancelled)
    )
    return {by_session[entry_id] for entry_id in [*live.all(), *live_appointments.all()]}


async def load_slot(uow: UnitOfWork, company_id: str, name: str, *, field: str = "name") -> TimeSlotRow:
    slot_id = parse_name(name, "timeSlots", field=field)
    row = await uow.session.scalar(
        select(TimeSlotRow).where(TimeSlotRow.id == slot_id, TimeSlotRow.company_id == company_id)
    )
    if row is None:
        raise NotFound(f"{name} not found")
    return row


async def schedules_of(uow: UnitOfWork, slot_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {s: [] for s in slot_ids}
    if slot_ids:
        rows = await uow.session.execute(
            select(TimeSlotScheduleRow.slot_id, TimeSlotScheduleRow.schedule_id).where(
                TimeSlotScheduleRow.slot_id.in_(slot_ids)
            )
        )
        for slot_id, schedule_id in rows:
            out[slot_id].append(schedule_id)
    return out


def booking_ref(booking: str) -> dict[str, str]:
    """The event field naming a booking: `session` or `appointment`."""
    return {"appointment": booking} if booking.startswith("appointments/") else {"session": booking}


async def release_booking(uow: UnitOfWork, company_id: str, session_id: str, session_name: str = "") -> None:
    """Undo a booking's slots (cancelled or moved, online or by staff): its slot is free again,
    and the slots it removed come back unless another booking's removal still hides them.
    `session_id` is the booking's id; `session_name` its resource name (default
    `sessions/{session_id}`; `appointments/...` for an appointment)."""
    session_name = session_name or f"sessions/{session_id}"
    booked = (
        await uow.session.scalars(
            select(TimeSlotRow).where(TimeSlotRow.company_id == company_id, TimeSlotRow.booked_session_id == session_id)
        )
    ).all()
    removed_slot_ids = list(
        (await uow.session.scalars(select(SlotRemovalRow.slot_id).where(SlotRemovalRow.session_id == session_id))).all()
    )
    await uow.session.execute(delete(SlotRemovalRow).where(SlotRemovalRow.session_id == session_id))
    for row in booked:
        row.booked_session_id = ""
        row.updated_at = utcnow()
    await uow.session.flush()
    candidates = list(booked)
    if removed_slot_ids:
        candidates += (await uow.session.scalars(select(TimeSlotRow).where(TimeSlotRow.id.in_(removed_slot_ids)))).all()
    still_removed = await removed_ids(uow, [r.id for r in candidates])
    for row in sorted(candidates, key=lambda r: (r.start_at, r.id)):
        if row.id not in still_removed and not row.booked_session_id:
            uow.emit(
                "scheduling.slot.restored",
                company_id,
                opb.SlotRestoredEvent(time_slot=slot_message(row, removed=False), **booking_ref(session_name)),
            )


# --- the open-slot decision -----------------------------------------------------------------


async def why_not_open(
    uow: UnitOfWork,
    company_id: str,
    slots: list[TimeSlotRow],
    now: datetime,
    *,
    own_hold: str = "",
    own_entry: str = "",
) -> dict[str, str]:
    """For each slot id: "" when open now, else why not. `own_hold` (a hold being booked) and
    `own_entry` (a session being moved) do not count as busy."""
    if not slots:
        return {}
    ids = [s.id for s in slots]
    schedules = await schedules_of(uow, ids)
    removed = await removed_ids(uow, ids)
    booked = await booked_ids(uow, slots)
    types: dict[str, Any] = {}
    for slot in slots:
        if slot.type_id not in types:
            types[slot.type_id] = await load_slot_type(uow, company_id, slot)
    all_schedules = sorted({sid for group in schedules.values() for sid in group})
    widest = max((t.buffer_before_minutes + t.buffer_after_minutes for t in types.values() if t), default=0)
    lo = min(s.start_at for s in slots) - timedelta(minutes=widest)
    hi = max(s.end_at for s in slots) + timedelta(minutes=widest)
    busy_rows = await uow.session.execute(
        select(CalendarBlockRow.schedule_id, CalendarBlockRow.occupied_start, CalendarBlockRow.occupied_end).where(
            CalendarBlockRow.company_id == company_id,
            CalendarBlockRow.schedule_id.in_(all_schedules),
            CalendarBlockRow.occupies,
            CalendarBlockRow.occupied_start < hi,
            CalendarBlockRow.occupied_end > lo,
            CalendarBlockRow.entry_id != own_entry,
        )
    )
    held_rows = await uow.session.execute(
        select(HoldBlockRow.schedule_id, HoldBlockRow.occupied_start, HoldBlockRow.occupied_end).where(
            HoldBlockRow.company_id == company_id,
            HoldBlockRow.schedule_id.in_(all_schedules),
            HoldBlockRow.expires_at > now,  # an expired hold frees its slot by itself
            HoldBlockRow.occupied_start < hi,
            HoldBlockRow.occupied_end > lo,
            HoldBlockRow.hold_id != own_hold,
        )
    )
    busy = rules.BusyIndex.of((r[0], r[1], r[2]) for r in busy_rows)
    held = rules.BusyIndex.of((r[0], r[1], r[2]) for r in held_rows)
    out: dict[str, str] = {}
    for slot in slots:
        type_msg = types.get(slot.type_id)
        msg = opb.TimeSlot.FromString(slot.data)
        facts = rules.SlotFacts(
            start=slot.start_at,
            end=slot.end_at,
            schedule_ids=tuple(schedules[slot.id]),
            published=slot.published,
            booked=slot.id in booked,
            removed=slot.id in removed,
            available_online=bool(type_msg is not None and type_msg.online.available_online),
            buffers=(type_msg.buffer_before_minutes, type_msg.buffer_after_minutes) if type_msg else (0, 0),
            minimum_notice_minutes=msg.minimum_notice_minutes,
            maximum_advance_days=msg.maximum_advance_days,
        )
        out[slot.id] = rules.why_not_open(facts, now, busy, held)
    return out


def not_open_error(name: str, reason: str) -> FailedPrecondition:
    return FailedPrecondition(f"{name} is not open: {reason}", reason="SLOT_NOT_OPEN", metadata={"slot": name})


async def list_open_slots(
    db: Database, company_id: str, request: opb.ListOpenSlotsRequest
) -> opb.ListOpenSlotsResponse:
    v = Violations()
    type_id: str | None = None
    if bool(request.session_type) == bool(request.appointment_type):
        v.add("session_type", "give a session_type or an appointment_type (one of them)")
    elif request.session_type:
        type_id = id_of(request.session_type, "sessionTypes", "session_type", v)
    else:
        type_id = id_of(request.appointment_type, "appointmentTypes", "appointment_type", v)
    location_id = id_of(request.location, "locations", "location", v)
    first = read_date(request.start_date, "start_date", v)
    last = read_date(request.end_date, "end_date", v)
    if first is not None and last is not None:
        if last < first:
            v.add("end_date", "must not be before start_date")
        elif (last - first).days > MAX_OPEN_RANGE_DAYS:
            v.add("end_date", f"the range spans at most {MAX_OPEN_RANGE_DAYS} days")
    v.raise_if_any()
    assert type_id
    assert location_id
    assert first
    assert last
    # AIP-158 on top of the bounded range; page_size 0 without a token keeps the whole range in
    # one response (what callers of the unpaged API get).
    key = {"type": type_id, "location": location_id, "first": first.isoformat(), "last": last.isoformat()}
    page = parse_page(request.page_size, request.page_token, key)
    limit = page.size if request.page_size or request.page_token else None
    after = (datetime.fromisoformat(page.cursor["t"]), page.cursor["id"]) if page.cursor is not None else None
    async with UnitOfWork(db, readonly=True) as uow:
        location: pb.Location | None = await setup.load_message(uow, setup.LOCATIONS, company_id, location_id)
        collection, type_field = (
            (setup.SESSION_TYPES, "session_type")
            if request.session_type
            else (setup.APPOINTMENT_TYPES, "appointment_type")
        )
        type_msg = await setup.load_message(uow, collection, company_id, type_id)
        if location is None:
            v.add("location", f"{request.location} does not exist")
        if type_msg is None:
            v.add(type_field, f"{getattr(request, type_field)} does not exist")
        v.raise_if_any()
        assert location is not None
        tz = times.zone(location.time_zone)
        days = times.local_days(first, last, tz)
        now = utcnow()
        query = (
            select(TimeSlotRow)
            .where(
                TimeSlotRow.company_id == company_id,
                TimeSlotRow.location_id == location_id,
                TimeSlotRow.type_id == type_id,
                TimeSlotRow.start_at >= max(days[0].start, now),
                TimeSlotRow.start_at < days[-1].end,
                TimeSlotRow.published,
                free_of_bookings(),
                ~live_removal(),
                ~_surely_busy(company_id),
            )
            .order_by(TimeSlotRow.start_at, TimeSlotRow.id)
        )
        if limit is None:
            rows = list((await uow.session.scalars(query)).all())
            verdicts = await why_not_open(uow, company_id, rows, now)
            return opb.ListOpenSlotsResponse(
                time_slots=[slot_message(r, removed=False) for r in rows if verdicts[r.id] == ""]
            )
        # A page: candidate rows in batches until one more open slot than the page is found
        # (or the range ends); each batch advances by start time, so the loop ends.
        batch = max(limit + 1, 200)
        found: list[TimeSlotRow] = []
        while len(found) <= limit:
            chunk_query = query if after is None else query.where(tuple_(TimeSlotRow.start_at, TimeSlotRow.id) > after)
            rows = list((await uow.session.scalars(chunk_query.limit(batch))).all())
            if not rows:
                break
            verdicts = await why_not_open(uow, company_id, rows, now)
            found += [r for r in rows if verdicts[r.id] == ""]
            after = (rows[-1].start_at, rows[-1].id)
            if len(rows) < batch:
                break
    more = len(found) > limit
    found = found[:limit]
    cursor = {"t": found[-1].start_at.isoformat(), "id": found[-1].id} if more else None
    return opb.ListOpenSlotsResponse(
        time_slots=[slot_message(r, removed=False) for r in found], next_page_token=next_token(cursor, key)
    )


# --- creating -------------------------------------------------------------------------------


@dataclass
class Template:
    location: pb.Location
    location_id: str
    type_id: str
    schedule_ids: list[str]
    tz: Any
    appointment: bool = False  # the slot sells an appointment type (else a session type)


async def _template(uow: UnitOfWork, company_id: str, msg: opb.TimeSlot, path: str, v: Violations) -> Template | None:
    location: pb.Location | None = None
    location_id = id_of(msg.location, "locations", f"{path}.location", v)
    if location_id is not None:
        location = await setup.load_message(uow, setup.LOCATIONS, company_id, location_id)
        if location is None:
            v.add(f"{path}.location", f"{msg.location} does not exist")
    # A slot sells exactly one of a session type and an appointment type.
    type_id: str | None = None
    appointment = bool(msg.appointment_type) and not msg.session_type
    if bool(msg.session_type) == bool(msg.appointment_type):
        v.add(f"{path}.session_type", "give a session_type or an appointment_type (one of them)")
    elif msg.session_type:
        type_id = id_of(msg.session_type, "sessionTypes", f"{path}.session_type", v)
        if type_id is not None and await setup.load_message(uow, setup.SESSION_TYPES, company_id, type_id) is None:
            v.add(f"{path}.session_type", f"{msg.session_type} does not exist")
    else:
        type_id = id_of(msg.appointment_type, "appointmentTypes", f"{path}.appointment_type", v)
        if type_id is not None and await setup.load_message(uow, setup.APPOINTMENT_TYPES, company_id, type_id) is None:
            v.add(f"{path}.appointment_type", f"{msg.appointment_type} does not exist")
    if not msg.schedules:
        v.add(f"{path}.schedules", "at least one schedule is required")
    schedule_ids: list[str] = []
    for i, ref in enumerate(msg.schedules):
        at = f"{path}.schedules[{i}]"
        schedule_id = id_of(ref, "schedules", at, v)
        if schedule_id is None:
            continue
        schedule: pb.Schedule | None = await setup.load_message(uow, setup.SCHEDULES, company_id, schedule_id)
        if schedule is None:
            v.add(at, f"{ref} does not exist")
        elif location is not None and schedule.location != location.name:
            v.add(at, f"{ref} is a schedule of another location")
        elif schedule_id in schedule_ids:
            v.add(at, f"{ref} is listed twice")
        else:
            schedule_ids.append(schedule_id)
    if not 0 <= msg.minimum_notice_minutes <= MAX_NOTICE_MINUTES:
        v.add(f"{path}.minimum_notice_minutes", f"must be 0 to {MAX_NOTICE_MINUTES}")
    if not 0 <= msg.maximum_advance_days <= MAX_ADVANCE_DAYS:
        v.add(f"{path}.maximum_advance_days", f"must be 0 (no limit) to {MAX_ADVANCE_DAYS}")
    if location is None or location_id is None or type_id is None:
        return None
    return Template(location, location_id, type_id, schedule_ids, times.zone(location.time_zone), appointment)


def _new_row(company_id: str, template: Template, base: opb.TimeSlot, start: datetime, end: datetime) -> TimeSlotRow:
    now = utcnow()
    slot_id = str(uuid.uuid4())
    msg = opb.TimeSlot(
        name=f"timeSlots/{slot_id}",
        location=template.location.name,
        session_type="" if template.appointment else f"sessionTypes/{template.type_id}",
        appointment_type=f"appointmentTypes/{template.type_id}" if template.appointment else "",
        schedules=[f"schedules/{s}" for s in template.schedule_ids],
        time_zone=template.location.time_zone,
        published=base.published,
        minimum_notice_minutes=base.minimum_notice_minutes,
        maximum_advance_days=base.maximum_advance_days,
    )
    local_start, local_end = start.astimezone(template.tz), end.astimezone(template.tz)
    msg.date.CopyFrom(to_date(local_start.date()))
    msg.start.CopyFrom(pb.TimeOfDay(hours=local_start.hour, minutes=local_start.minute))
    msg.end.CopyFrom(pb.TimeOfDay(hours=local_end.hour, minutes=local_end.minute))
    msg.start_time.CopyFrom(ts(start))
    msg.end_time.CopyFrom(ts(end))
    msg.create_time.CopyFrom(ts(now))
    msg.update_time.CopyFrom(ts(now))
    return TimeSlotRow(
        id=slot_id,
        company_id=company_id,
        location_id=template.location_id,
        type_id=template.type_id,
        start_at=start,
        end_at=end,
        published=base.published,
        booked_session_id="",
        data=msg.SerializeToString(deterministic=True),
        created_at=now,
        updated_at=now,
    )


def _add_row(uow: UnitOfWork, row: TimeSlotRow, schedule_ids: list[str]) -> None:
    uow.session.add(row)
    for schedule_id in schedule_ids:
        uow.session.add(
            TimeSlotScheduleRow(
                slot_id=row.id,
                schedule_id=schedule_id,
                company_id=row.company_id,
                start_at=row.start_at,
                end_at=row.end_at,
            )
        )


async def create_time_slot(db: Database, company_id: str, request: opb.CreateTimeSlotRequest) -> opb.TimeSlot:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> opb.TimeSlot:
        p = "time_slot"
        msg = request.time_slot
        violations = Violations()
        template = await _template(uow, company_id, msg, p, violations)
        day = read_date(msg.date, f"{p}.date", violations)
        start_clock = read_time(msg.start, f"{p}.start", violations)
        end_clock = read_time(msg.end, f"{p}.end", violations)
        start = end = None
        if template is not None and day is not None and start_clock is not None and end_clock is not None:
            # An ambiguous local time (the repeated hour when clocks fall back) means its first occurrence.
            try:
                start = times.local_to_utc(day, start_clock, template.tz)
            except times.NonexistentLocalTime as exc:
                violations.add(f"{p}.start", str(exc))
            try:
                end = times.local_to_utc(day, end_clock, template.tz)
            except times.NonexistentLocalTime as exc:
                violations.add(f"{p}.end", str(exc))
            if start is not None and end is not None and end <= start:
                violations.add(f"{p}.end", "must be after start")
            elif start is not None and start <= utcnow():
                violations.add(f"{p}.start", "the slot is in the past")
        violations.raise_if_any()
        assert template is not None
        assert start is not None
        assert end is not None
        row = _new_row(company_id, template, msg, start, end)
        _add_row(uow, row, template.schedule_ids)
        return slot_message(row, removed=False)

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="CreateTimeSlot",
        request=request,
        request_id=request.request_id,
        response_type=opb.TimeSlot,
        work=work,
        source=SOURCE,
    )


NAMES = time_patterns.FieldNames()


def _pattern_rows(request: opb.GenerateTimeSlotsRequest, v: Violations) -> list[time_patterns.PatternRow]:
    rows: list[time_patterns.PatternRow] = []
    if not request.rows:
        v.add("rows", "at least one row is required")
    for i, row in enumerate(request.rows):
        at = f"rows[{i}]"
        first = read_date(row.start_date, f"{at}.start_date", v)
        last = read_date(row.end_date, f"{at}.end_date", v)
        start = read_time(row.start_time, f"{at}.start_time", v)
        end = read_time(row.end_time, f"{at}.end_time", v)
        breaks: list[time_patterns.Break] = []
        for j, b in enumerate(row.breaks):
            b_start = read_time(b.start, f"{at}.breaks[{j}].start", v)
            b_end = read_time(b.end, f"{at}.breaks[{j}].end", v)
            if b_start is not None and b_end is not None:
                breaks.append(time_patterns.Break(b_start, b_end))
        weekdays: set[int] = set()
        for j, d in enumerate(row.excluded_weekdays):
            if d == pb.DAY_OF_WEEK_UNSPECIFIED:
                v.add(f"{at}.excluded_weekdays[{j}]", "is not a weekday")
            else:
                weekdays.add(int(d) - 1)  # DAY_OF_WEEK_MONDAY is 1; date.weekday() Monday is 0
        if first is None or last is None or start is None or end is None:
            continue
        rows.append(
            time_patterns.PatternRow(
                start_date=first,
                end_date=last,
                start_time=start,
                end_time=end,
                slot_minutes=row.slot_minutes,
                gap_minutes=row.gap_minutes,
                excluded_weekdays=frozenset(weekdays),
                breaks=tuple(breaks),
            )
        )
    return rows


async def generate_time_slots(
    db: Database, company_id: str, request: opb.GenerateTimeSlotsRequest
) -> opb.GenerateTimeSlotsResponse:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> opb.GenerateTimeSlotsResponse:
        violations = Violations()
        template = await _template(uow, company_id, request.template, "template", violations)
        rows = _pattern_rows(request, violations)
        if rows and len(rows) == len(request.rows):
            time_patterns.validate_rows(rows, NAMES, violations)
        if template is not None and rows:
            today = utcnow().astimezone(template.tz).date()
            for i, row in enumerate(rows):
                if row.start_date < today:
                    violations.add(f"rows[{i}].start_date", "the pattern starts in the past")
        violations.raise_if_any()
        assert template is not None
        expansion = time_patterns.expand(rows, template.tz, NAMES)
        out = opb.GenerateTimeSlotsResponse(skipped_nonexistent=expansion.skipped_nonexistent)
        for slot in expansion.slots:
            new = _new_row(company_id, template, request.template, slot.start, slot.end)
            _add_row(uow, new, template.schedule_ids)
            out.time_slots.append(slot_message(new, removed=False))
        return out

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="GenerateTimeSlots",
        request=request,
        request_id=request.request_id,
        response_type=opb.GenerateTimeSlotsResponse,
        work=work,
        source=SOURCE,
    )


# --- reading, changing, deleting ---------------------------------------------------------------


async def get_time_slot(db: Database, company_id: str, name: str) -> opb.TimeSlot:
    async with UnitOfWork(db, readonly=True) as uow:
        row = await load_slot(uow, company_id, name)
        removed = bool(await removed_ids(uow, [row.id]))
        return slot_message(row, removed=removed, booked=bool(await booked_ids(uow, [row])))


async def list_time_slots(
    db: Database, company_id: str, request: opb.ListTimeSlotsRequest
) -> opb.ListTimeSlotsResponse:
    v = Violations()
    location_id = id_of(request.location, "locations", "location", v, required=False)
    type_id = id_of(request.session_type, "sessionTypes", "session_type", v, required=False)
    appointment_type_id = id_of(request.appointment_type, "appointmentTypes", "appointment_type", v, required=False)
    v.raise_if_any()
    key = {
        "location": location_id,
        "type": type_id,
        "appointment_type": appointment_type_id,
        "from": request.start_time.ToJsonString() if request.HasField("start_time") else "",
        "to": request.end_time.ToJsonString() if request.HasField("end_time") else "",
    }
    page = parse_page(request.page_size, request.page_token, key)
    query = select(TimeSlotRow).where(TimeSlotRow.company_id == company_id)
    if location_id:
        query = query.where(TimeSlotRow.location_id == location_id)
    if type_id:
        query = query.where(TimeSlotRow.type_id == type_id)
    if appointment_type_id:
        query = query.where(TimeSlotRow.type_id == appointment_type_id)
    if request.HasField("start_time"):
        query = query.where(TimeSlotRow.start_at >= from_ts(request.start_time))
    if request.HasField("end_time"):
        query = query.where(TimeSlotRow.start_at < from_ts(request.end_time))
    if page.cursor is not None:
        after = (datetime.fromisoformat(page.cursor["t"]), page.cursor["id"])
        query = query.where(tuple_(TimeSlotRow.start_at, TimeSlotRow.id) > after)
    query = query.order_by(TimeSlotRow.start_at, TimeSlotRow.id).limit(page.size + 1)
    async with UnitOfWork(db, readonly=True) as uow:
        rows = list((await uow.session.scalars(query)).all())
        more = len(rows) > page.size
        rows = rows[: page.size]
        removed = await removed_ids(uow, [r.id for r in rows])
        booked = await booked_ids(uow, rows)
    cursor = {"t": rows[-1].start_at.isoformat(), "id": rows[-1].id} if more else None
    return opb.ListTimeSlotsResponse(
        time_slots=[slot_message(r, removed=r.id in removed, booked=r.id in booked) for r in rows],
        next_page_token=next_token(cursor, key),
    )


UPDATABLE = {"schedules", "published", "minimum_notice_minutes", "maximum_advance_days"}


async def update_time_slot(db: Database, company_id: str, request: opb.UpdateTimeSlotRequest) -> opb.TimeSlot:
    v = Violations()
    if not request.update_mask.paths:
        v.add("update_mask", "name the fields to change")
    parse_name(request.time_slot.name, "timeSlots", field="time_slot.name")
    v.raise_if_any()
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_slot(uow, company_id, request.time_slot.name, field="time_slot.name")
        msg = opb.TimeSlot.FromString(row.data)
        paths = apply_mask(msg, request.time_slot, request.update_mask, field="time_slot", writable=UPDATABLE)
        if "schedules" in paths and row.booked_session_id:
            raise FailedPrecondition(f"{msg.name} is booked: its schedules are the session's", reason="SLOT_BOOKED")
        violations = Violations()
        template = await _template(uow, company_id, msg, "time_slot", violations)
        violations.raise_if_any()
        assert template is not None
        now = utcnow()
        msg.schedules[:] = [f"schedules/{s}" for s in template.schedule_ids]
        msg.update_time.CopyFrom(ts(now))
        row.published = msg.published
        row.data = msg.SerializeToString(deterministic=True)
        row.updated_at = now
        if "schedules" in paths:
            await uow.session.execute(delete(TimeSlotScheduleRow).where(TimeSlotScheduleRow.slot_id == row.id))
            await uow.session.flush()
            for schedule_id in template.schedule_ids:
                uow.session.add(
                    TimeSlotScheduleRow(
                        slot_id=row.id,
                        schedule_id=schedule_id,
                        company_id=company_id,
                        start_at=row.start_at,
                        end_at=row.end_at,
                    )
                )
        removed = bool(await removed_ids(uow, [row.id]))
        booked = bool(await booked_ids(uow, [row]))
        await uow.commit()
        return slot_message(row, removed=removed, booked=booked)


async def delete_time_slot(db: Database, company_id: str, name: str) -> None:
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_slot(uow, company_id, name)
        if await booked_ids(uow, [row]):
            raise FailedPrecondition(f"{name} is booked; cancel the booking first", reason="SLOT_BOOKED")
        await uow.session.execute(delete(TimeSlotScheduleRow).where(TimeSlotScheduleRow.slot_id == row.id))
        await uow.session.execute(delete(SlotRemovalRow).where(SlotRemovalRow.slot_id == row.id))
        await uow.session.delete(row)
        await uow.commit()
