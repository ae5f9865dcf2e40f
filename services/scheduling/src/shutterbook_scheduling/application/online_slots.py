"""Use cases of online time slots: list the open ones, create (one, or from pattern rows), read,
list, update, delete. What state a slot is in: see `slot_state`.

A create's day and times and a generation's rows come read by the API edge (api/slot_convert.py,
domain/slot_requests.py), which also runs their work (`add_time_slot`, `generate_time_slots`)
once per the request's `request_id`; the slots are still answered as messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, Violations
from shutterbook_kit.pagination import read_keyset
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import announcements, setup, slot_preview
from shutterbook_scheduling.application.common import (
    SOURCE,
    apply_mask,
    from_ts,
    optional_references,
    read_date_range,
    require_mask,
    to_date,
    ts,
)
from shutterbook_scheduling.application.encoded_slots import EncodedSlots
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.application.slot_state import (
    booked_ids,
    load_slot,
    lock_slot_schedules,
    removed_ids,
    slot_message,
)
from shutterbook_scheduling.domain import time_patterns, times
from shutterbook_scheduling.domain.setup import Location, Schedule
from shutterbook_scheduling.domain.slot_requests import PatternRows, SlotTimes
from shutterbook_scheduling.storage import lists, open_slots, records, time_slots
from shutterbook_scheduling.storage.online_models import (
    TimeSlotRow,
)

MAX_OPEN_RANGE_DAYS = 92


MAX_NOTICE_MINUTES = 365 * 24 * 60


MAX_ADVANCE_DAYS = 3 * 366


@dataclass(frozen=True)
class OpenSlotsAnswer:
    """A ListOpenSlots response, encoded, and the earliest instant at which time alone (no
    write) may change it (None: not asked for, or nothing in it depends on the clock)."""

    encoded: bytes
    changes_at: datetime | None = None


async def list_open_slots(
    db: Database, company_id: str, request: opb.ListOpenSlotsRequest, *, now: datetime | None = None
) -> opb.ListOpenSlotsResponse:
    """The type's open slots (`now`: the current instant, given only by tests of the rule)."""
    return opb.ListOpenSlotsResponse.FromString((await open_slots_answer(db, company_id, request, now=now)).encoded)


async def open_slots_answer(
    db: Database,
    company_id: str,
    request: opb.ListOpenSlotsRequest,
    *,
    now: datetime | None = None,
    with_changes: bool = False,
) -> OpenSlotsAnswer:
    """ListOpenSlots' response as bytes; `with_changes`: with the instant time may change it
    (`OpenSlotsAnswer.changes_at`, one more statement in the same transaction), for a read model
    that keeps the bytes."""
    v = Violations()
    type_id: str | None = None
    if bool(request.session_type) == bool(request.appointment_type):
        v.add("session_type", "give a session_type or an appointment_type (one of them)")
    elif request.session_type:
        type_id = parse_reference(request.session_type, "sessionTypes", field="session_type", violations=v)
    else:
        type_id = parse_reference(request.appointment_type, "appointmentTypes", field="appointment_type", violations=v)
    location_id = parse_reference(request.location, "locations", field="location", violations=v)
    first, last = read_date_range(request.start_date, request.end_date, v, max_days=MAX_OPEN_RANGE_DAYS)
    v.raise_if_any()
    assert type_id
    assert location_id
    assert first
    assert last
    # AIP-158 on top of the bounded range; page_size 0 without a token keeps the whole range in
    # one response (what callers of the unpaged API get).
    # The statement limits its inner select of slots (then joins their schedules), so it is run
    # here by its owner and the kit reads and writes its tokens (`read_keyset`).
    key = {"company": company_id, "type": type_id, "location": location_id, "first": first, "last": last}
    page = read_keyset(request.page_size, request.page_token, open_slots.OPEN_SLOT_ORDER, key)
    limit = page.size if request.page_size or request.page_token else None
    async with UnitOfWork(db, readonly=True) as uow:
        type_field = "session_type" if request.session_type else "appointment_type"
        setting = await open_slots.listing_setting(
            uow.session, company_id, location_id, type_id, "session" if request.session_type else "appointment"
        )
        if setting.time_zone is None:
            v.add("location", f"{request.location} does not exist")
        if setting.buffers is None:
            v.add(type_field, f"{getattr(request, type_field)} does not exist")
        v.raise_if_any()
        assert setting.time_zone is not None
        assert setting.buffers is not None
        days = times.local_days(first, last, times.zone(setting.time_zone))
        if not setting.available_online:
            return OpenSlotsAnswer(b"")
        # One statement decides (storage.open_slots); limit + 1 tells whether a page follows.
        query = open_slots.OpenSlotQuery(
            company_id=company_id,
            location_id=location_id,
            type_id=type_id,
            first=days[0].start,
            last=days[-1].end,
            now=now or utcnow(),
            buffers=setting.buffers,
            after=None if page.after is None else (page.after[0], page.after[1]),
            limit=None if limit is None else limit + 1,
        )
        found = await open_slots.candidate_open_slots(uow.session, query, sqlite=db.is_sqlite)
        changes_at = None
        if with_changes:
            # a listed slot (the one after the page too) closes by time at its minimum notice;
            # a hold's expiry or a slot's maximum advance opens one (`open_slots.next_opening`)
            closing = [values.start_at - timedelta(minutes=values.minimum_notice_minutes) for values in found]
            opening = await open_slots.next_opening(uow.session, query, sqlite=db.is_sqlite)
            changes_at = min([*closing, *([opening] if opening is not None else [])], default=None)
    if limit is None:
        return OpenSlotsAnswer(ENCODED.encode(found), changes_at)
    more = len(found) > limit
    found = found[:limit]
    return OpenSlotsAnswer(
        ENCODED.encode(found, page.token((found[-1].start_at, found[-1].id)) if more else ""), changes_at
    )


def open_slot_message(values: open_slots.SlotValues) -> opb.TimeSlot:
    """An open slot as listed (not removed; `booked_*` still names a cancelled booking)."""
    return slot_message(values, removed=False, schedule_ids=values.schedule_ids)


ENCODED = EncodedSlots(open_slot_message)  # this process's listed slots, encoded once per version


class TemplateFields(Protocol):
    """What a slot template gives: a `TimeSlot` message, or a standing pattern's
    `SlotTemplate` (domain/standing_patterns.py)."""

    @property
    def location(self) -> str: ...
    @property
    def session_type(self) -> str: ...
    @property
    def appointment_type(self) -> str: ...
    @property
    def schedules(self) -> Sequence[str]: ...
    @property
    def published(self) -> bool: ...
    @property
    def minimum_notice_minutes(self) -> int: ...
    @property
    def maximum_advance_days(self) -> int: ...


@dataclass
class Template:
    location: Location
    location_id: str
    type_id: str
    schedule_ids: list[str]
    tz: Any
    appointment: bool = False  # the slot sells an appointment type (else a session type)


async def read_template(
    uow: UnitOfWork, company_id: str, msg: TemplateFields, path: str, v: Violations
) -> Template | None:
    location: Location | None = await setup.load_reference(
        uow, setup.LOCATIONS, company_id, msg.location, f"{path}.location", v
    )
    # A slot sells exactly one of a session type and an appointment type.
    type_id: str | None = None
    appointment = bool(msg.appointment_type) and not msg.session_type
    if bool(msg.session_type) == bool(msg.appointment_type):
        v.add(f"{path}.session_type", "give a session_type or an appointment_type (one of them)")
    else:
        field = "session_type" if msg.session_type else "appointment_type"
        spec: setup.DocSpec[Any] = setup.SESSION_TYPES if msg.session_type else setup.APPOINTMENT_TYPES
        found = await setup.load_reference(uow, spec, company_id, getattr(msg, field), f"{path}.{field}", v)
        type_id = found.name.split("/", 1)[1] if found is not None else None
    if not msg.schedules:
        v.add(f"{path}.schedules", "at least one schedule is required")
    schedule_ids: list[str] = []
    for i, ref in enumerate(msg.schedules):
        at = f"{path}.schedules[{i}]"
        schedule_id = parse_reference(ref, "schedules", field=at, violations=v)
        if schedule_id is None:
            continue
        schedule: Schedule | None = await setup.load_message(uow, setup.SCHEDULES, company_id, schedule_id)
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
    if location is None or type_id is None:
        return None
    return Template(
        location,
        location.name.removeprefix("locations/"),
        type_id,
        schedule_ids,
        times.zone(location.time_zone),
        appointment,
    )


def new_slot_row(
    company_id: str, template: Template, base: TemplateFields, start: datetime, end: datetime
) -> TimeSlotRow:
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
    row = TimeSlotRow(
        id=slot_id,
        company_id=company_id,
        start_at=start,
        end_at=end,
        booked_session_id="",
        created_at=now,
        updated_at=now,
    )
    records.write_slot(row, msg)
    return row


def add_slot_row(uow: UnitOfWork, row: TimeSlotRow, schedule_ids: list[str]) -> None:
    time_slots.add_slot(uow, row, schedule_ids)


async def add_time_slot(uow: UnitOfWork, company_id: str, msg: TemplateFields, when: SlotTimes) -> opb.TimeSlot:
    """CreateTimeSlot's work, in `uow` (the edge runs it once per the request's `request_id`):
    the slot of template `msg` at `when`, the location's wall-clock day and times."""
    p = "time_slot"
    violations = Violations()
    template = await read_template(uow, company_id, msg, p, violations)
    violations.items.extend(when.found.items)
    start = end = None
    if template is not None and when.day is not None and when.start is not None and when.end is not None:
        # An ambiguous local time (the repeated hour when clocks fall back) means its first occurrence.
        try:
            start = times.local_to_utc(when.day, when.start, template.tz)
        except times.NonexistentLocalTime as exc:
            violations.add(f"{p}.start", str(exc))
        try:
            end = times.local_to_utc(when.day, when.end, template.tz)
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
    row = new_slot_row(company_id, template, msg, start, end)
    add_slot_row(uow, row, template.schedule_ids)
    created = slot_message(row, removed=False)
    uow.audit(company_id, created.name, "created", after=created)
    announcements.time_slot_changed(uow, events.TIME_SLOT_CREATED, company_id, created)
    return created


NAMES = time_patterns.FieldNames()


async def generate_time_slots(
    uow: UnitOfWork, company_id: str, base: TemplateFields, read: PatternRows, *, validate_only: bool
) -> opb.GenerateTimeSlotsResponse:
    """GenerateTimeSlots' work, in `uow` (the edge runs it once per the request's `request_id`,
    or in a read-only unit of work when it only validates): the slots of template `base` the
    rows give, with the conflicts they would have."""
    violations = Violations()
    template = await read_template(uow, company_id, base, "template", violations)
    violations.items.extend(read.found.items)
    rows = list(read.rows)
    if read.complete:
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
    out.conflicts.extend(
        await slot_preview.conflicts(
            uow,
            company_id,
            type_id=template.type_id,
            appointment=template.appointment,
            schedule_ids=template.schedule_ids,
            spans=[(slot.start, slot.end) for slot in expansion.slots],
        )
    )
    for slot in expansion.slots:
        new = new_slot_row(company_id, template, base, slot.start, slot.end)
        if validate_only:  # AIP-163: the slot as it would be, nameless, never added
            new.schedules = records.slot_schedules(new, template.schedule_ids)
            out.time_slots.append(slot_message(new, removed=False))
            out.time_slots[-1].ClearField("name")
            continue
        add_slot_row(uow, new, template.schedule_ids)
        out.time_slots.append(slot_message(new, removed=False))
        uow.audit(company_id, out.time_slots[-1].name, "created", after=out.time_slots[-1])
    if not validate_only:
        announcements.time_slots_generated(uow, company_id, out.time_slots)
    return out


async def get_time_slot(db: Database, company_id: str, name: str) -> opb.TimeSlot:
    async with UnitOfWork(db, readonly=True) as uow:
        row = await load_slot(uow, company_id, name)
        removed = bool(await removed_ids(uow, [row.id]))
        found = slot_message(row, removed=removed, booked=bool(await booked_ids(uow, [row])))
        found.held = bool(await slot_preview.held_ids(uow, [row.id]))
        return found


async def list_time_slots(
    db: Database, company_id: str, request: opb.ListTimeSlotsRequest
) -> opb.ListTimeSlotsResponse:
    # a session type and an appointment type are both the slot's type (one column, two names)
    refs = (("location", "locations", "location_id"), ("session_type", "sessionTypes", "type_id"))
    equal = optional_references(request, (*refs, ("appointment_type", "appointmentTypes", "type_id")))
    starts = (
        from_ts(request.start_time) if request.HasField("start_time") else None,
        from_ts(request.end_time) if request.HasField("end_time") else None,
    )
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.time_slots_page(
            uow.session, company_id, equal, request.page_size, request.page_token, caller_scope(), starts
        )
        rows = page.items
        removed = await removed_ids(uow, [r.id for r in rows])
        booked = await booked_ids(uow, rows)
        held = await slot_preview.held_ids(uow, [r.id for r in rows])
    out = opb.ListTimeSlotsResponse(
        time_slots=[slot_message(r, removed=r.id in removed, booked=r.id in booked) for r in rows],
        next_page_token=page.next_page_token,
    )
    for msg, r in zip(out.time_slots, rows, strict=True):
        msg.held = r.id in held
    return out


UPDATABLE = {"schedules", "published", "minimum_notice_minutes", "maximum_advance_days", *slot_preview.TIME_FIELDS}


async def update_time_slot(db: Database, company_id: str, request: opb.UpdateTimeSlotRequest) -> opb.TimeSlot:
    parse_name(request.time_slot.name, "timeSlots", field="time_slot.name")
    require_mask(request.update_mask)
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_slot(uow, company_id, request.time_slot.name, field="time_slot.name")
        await lock_slot_schedules(uow, company_id, row)  # a hold or booking of it waits, or went first
        before, msg = records.slot_base_message(row), records.slot_base_message(row)
        paths = apply_mask(msg, request.time_slot, request.update_mask, field="time_slot", writable=UPDATABLE)
        if "schedules" in paths and row.booked_session_id:
            raise FailedPrecondition(f"{msg.name} is booked: its schedules are the session's", reason="SLOT_BOOKED")
        violations = Violations()
        template = await read_template(uow, company_id, msg, "time_slot", violations)
        violations.raise_if_any()
        assert template is not None
        if slot_preview.TIME_FIELDS.intersection(paths):
            await slot_preview.move_slot(uow, row, msg)
        now = utcnow()
        msg.schedules[:] = [f"schedules/{s}" for s in template.schedule_ids]
        msg.update_time.CopyFrom(ts(now))
        records.write_slot(row, msg)
        row.updated_at = now
        if "schedules" in paths:
            await time_slots.replace_schedules(uow, row, list(template.schedule_ids))
        removed = bool(await removed_ids(uow, [row.id]))
        booked = bool(await booked_ids(uow, [row]))
        uow.audit(company_id, msg.name, "updated", before=before, after=msg)
        updated = slot_message(row, removed=removed, booked=booked)
        announcements.time_slot_changed(uow, events.TIME_SLOT_UPDATED, company_id, updated, sorted(paths))
        await uow.commit()
        return updated


async def delete_time_slot(db: Database, company_id: str, name: str) -> None:
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_slot(uow, company_id, name)
        if await booked_ids(uow, [row]):
            raise FailedPrecondition(f"{name} is booked; cancel the booking first", reason="SLOT_BOOKED")
        before = records.slot_base_message(row)
        uow.audit(company_id, name, "deleted", before=before)
        announcements.time_slot_changed(uow, events.TIME_SLOT_DELETED, company_id, before)
        await time_slots.delete_slot(uow, row)
        await uow.commit()
