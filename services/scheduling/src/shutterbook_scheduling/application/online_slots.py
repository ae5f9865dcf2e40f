"""Use cases of online time slots: list the open ones, create (one, or from pattern rows), read,
list, update, delete. What state a slot is in: see `slot_state`.

The shape of issue 13: the use cases take and hand back domain slots (domain/time_slots.py) and
keep no protobuf and no SQL. The API edge (api/slot_convert.py) reads the requests (a create's
day and times, a generation's rows, an update's mask applied to the slot, a listing's filters),
runs a create's and a generation's work once per `request_id`, makes the messages, and passes
the slot events down (`slot_state.SlotEvents`, api/slot_events.py). The open-slot listing
answers bytes: the edge's encoder (`Encode`, api/encoded_slots.py) is passed down too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, Violations
from shutterbook_kit.pagination import read_keyset
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup, slot_preview
from shutterbook_scheduling.application.common import SOURCE
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.application.slot_state import (
    SlotEvents,
    booked_ids,
    load_slot,
    lock_slot_schedules,
    removed_ids,
)
from shutterbook_scheduling.domain import time_patterns, times
from shutterbook_scheduling.domain.setup import Location
from shutterbook_scheduling.domain.slot_requests import PatternRows, SlotTimes
from shutterbook_scheduling.domain.time_slots import (
    SlotConflict,
    SlotEdit,
    TimeSlot,
    edited,
    placed,
    schedules_locked,
    slot_snapshot,
)
from shutterbook_scheduling.storage import lists, open_slots, time_slots
from shutterbook_scheduling.storage.online_models import TimeSlotRow
from shutterbook_scheduling.storage.slot_rows import new_row, slot_of, write_slot

MAX_OPEN_RANGE_DAYS = 92


MAX_NOTICE_MINUTES = 365 * 24 * 60


MAX_ADVANCE_DAYS = 3 * 366


@dataclass(frozen=True)
class OpenSlotsAnswer:
    """A ListOpenSlots response, encoded, and the earliest instant at which time alone (no
    write) may change it (None: not asked for, or nothing in it depends on the clock)."""

    encoded: bytes
    changes_at: datetime | None = None


# The edge's encoder of a listing: the listed slots' stored values and the next page's token
# to the response's bytes (api/encoded_slots.py).
Encode = Callable[[Sequence[open_slots.SlotValues], str], bytes]


@dataclass(frozen=True)
class OpenSlotsWanted:
    """A ListOpenSlots request as read at the edge: the type (by id; `appointment` when it is an
    appointment type) and location as given by reference, the local days, the page asked for."""

    type_id: str
    type_ref: str
    appointment: bool
    location_id: str
    location_ref: str
    first: date
    last: date
    page_size: int = 0
    page_token: str = ""


async def open_slots_answer(
    db: Database,
    company_id: str,
    wanted: OpenSlotsWanted,
    encode: Encode,
    *,
    now: datetime | None = None,
    with_changes: bool = False,
) -> OpenSlotsAnswer:
    """ListOpenSlots' response as bytes (`now`: the current instant, given only by tests of the
    rule); `with_changes`: with the instant time may change it (`OpenSlotsAnswer.changes_at`, one
    more statement in the same transaction), for a read model that keeps the bytes."""
    type_id, location_id, first, last = wanted.type_id, wanted.location_id, wanted.first, wanted.last
    # AIP-158 on top of the bounded range; page_size 0 without a token keeps the whole range in
    # one response (what callers of the unpaged API get).
    # The statement limits its inner select of slots (then joins their schedules), so it is run
    # here by its owner and the kit reads and writes its tokens (`read_keyset`).
    key = {"company": company_id, "type": type_id, "location": location_id, "first": first, "last": last}
    page = read_keyset(wanted.page_size, wanted.page_token, open_slots.OPEN_SLOT_ORDER, key)
    limit = page.size if wanted.page_size or wanted.page_token else None
    v = Violations()
    async with UnitOfWork(db, readonly=True) as uow:
        type_field = "appointment_type" if wanted.appointment else "session_type"
        setting = await open_slots.listing_setting(
            uow.session, company_id, location_id, type_id, "appointment" if wanted.appointment else "session"
        )
        if setting.time_zone is None:
            v.add("location", f"{wanted.location_ref} does not exist")
        if setting.buffers is None:
            v.add(type_field, f"{wanted.type_ref} does not exist")
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
        return OpenSlotsAnswer(encode(found, ""), changes_at)
    more = len(found) > limit
    found = found[:limit]
    return OpenSlotsAnswer(encode(found, page.token((found[-1].start_at, found[-1].id)) if more else ""), changes_at)


def open_slot(values: open_slots.SlotValues) -> TimeSlot:
    """An open slot as listed (not removed; its booking still names a cancelled booking)."""
    return slot_of(values, values.schedule_ids)


class TemplateFields(Protocol):
    """What a slot template gives: a standing pattern's or a request's `SlotTemplate`
    (domain/standing_patterns.py), or a slot's (`TimeSlot.template`)."""

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
    tz: ZoneInfo
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
        found = await setup.schedule_reference(uow, company_id, ref, at, v, location=location, taken=schedule_ids)
        if found is not None:
            schedule_ids.append(found)
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


def new_slot(template: Template, base: TemplateFields, start: datetime, end: datetime) -> TimeSlot:
    """A new slot of the template at these instants (its day and clock times in the location's zone)."""
    now = utcnow()
    local_start, local_end = start.astimezone(template.tz), end.astimezone(template.tz)
    return TimeSlot(
        slot_id=str(uuid.uuid4()),
        location_id=template.location_id,
        type_id=template.type_id,
        appointment=template.appointment,
        time_zone=template.location.time_zone,
        local_date=local_start.date(),
        start_minute=local_start.hour * 60 + local_start.minute,
        end_minute=local_end.hour * 60 + local_end.minute,
        start_at=start,
        end_at=end,
        published=base.published,
        minimum_notice_minutes=base.minimum_notice_minutes,
        maximum_advance_days=base.maximum_advance_days,
        schedule_ids=tuple(template.schedule_ids),
        created_at=now,
        updated_at=now,
    )


def new_slot_row(
    company_id: str, template: Template, base: TemplateFields, start: datetime, end: datetime
) -> TimeSlotRow:
    return new_row(company_id, new_slot(template, base, start, end))


def add_slot_row(uow: UnitOfWork, row: TimeSlotRow, schedule_ids: list[str]) -> None:
    time_slots.add_slot(uow, row, schedule_ids)


async def add_time_slot(
    uow: UnitOfWork, company_id: str, msg: TemplateFields, when: SlotTimes, announce: SlotEvents
) -> TimeSlot:
    """CreateTimeSlot's work, in `uow` (the edge runs it once per the request's `request_id`):
    the slot of template `msg` at `when`, the location's wall-clock day and times."""
    p = "time_slot"
    violations = Violations()
    template = await read_template(uow, company_id, msg, p, violations)
    violations.items.extend(when.found.items)
    span = None
    if template is not None and when.day is not None and when.start is not None and when.end is not None:
        span = placed(when.day, when.start, when.end, template.tz, utcnow(), p, violations)
    violations.raise_if_any()
    assert template is not None
    assert span is not None
    start, end = span
    row = new_slot_row(company_id, template, msg, start, end)
    add_slot_row(uow, row, template.schedule_ids)
    created = slot_of(row)
    uow.audit(company_id, created.name, "created", after=slot_snapshot(created))
    announce.created(uow, company_id, created)
    return created


NAMES = time_patterns.FieldNames()


@dataclass(frozen=True)
class GeneratedTimeSlots:
    """A generation's answer: its slots (not added, and to be shown nameless, when it only
    validated), the conflicts they have, and how many local times did not exist."""

    slots: list[TimeSlot]
    conflicts: list[SlotConflict]
    skipped_nonexistent: int
    validate_only: bool


async def generate_time_slots(
    uow: UnitOfWork,
    company_id: str,
    base: TemplateFields,
    read: PatternRows,
    announce: SlotEvents,
    *,
    validate_only: bool,
) -> GeneratedTimeSlots:
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
    conflicts = await slot_preview.conflicts(
        uow,
        company_id,
        type_id=template.type_id,
        appointment=template.appointment,
        schedule_ids=template.schedule_ids,
        spans=[(slot.start, slot.end) for slot in expansion.slots],
    )
    out: list[TimeSlot] = []
    for slot in expansion.slots:
        new = new_slot(template, base, slot.start, slot.end)
        out.append(new)
        if validate_only:  # AIP-163: the slot as it would be, never added
            continue
        add_slot_row(uow, new_row(company_id, new), template.schedule_ids)
        uow.audit(company_id, new.name, "created", after=slot_snapshot(new))
    if not validate_only:
        announce.generated(uow, company_id, out)
    return GeneratedTimeSlots(out, conflicts, expansion.skipped_nonexistent, validate_only)


async def get_time_slot(db: Database, company_id: str, name: str) -> TimeSlot:
    async with UnitOfWork(db, readonly=True) as uow:
        row = await load_slot(uow, company_id, name)
        removed, held = await slot_preview.removed_and_held_ids(uow, [row.id])
        booked = bool(await booked_ids(uow, [row]))
        return slot_of(row, removed=bool(removed), booked=booked, held=bool(held))


@dataclass(frozen=True)
class TimeSlotFilter:
    """ListTimeSlots' filters as read at the edge: (column, id) equalities, the range of starts
    (either end None: open), and the page asked for."""

    equal: list[tuple[str, str]]
    starts: tuple[datetime | None, datetime | None]
    page_size: int = 0
    page_token: str = ""


async def list_time_slots(db: Database, company_id: str, wanted: TimeSlotFilter) -> tuple[list[TimeSlot], str]:
    """The slots the filter chooses, and the next page's token ("" on the last page)."""
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.time_slots_page(
            uow.session, company_id, wanted.equal, wanted.page_size, wanted.page_token, caller_scope(), wanted.starts
        )
        rows = page.items
        removed, held = await slot_preview.removed_and_held_ids(uow, [r.id for r in rows])
        booked = await booked_ids(uow, rows)
    found = [slot_of(r, removed=r.id in removed, booked=r.id in booked, held=r.id in held) for r in rows]
    return found, page.next_page_token


# An UpdateTimeSlot's mask applied to the slot as stored (at the edge: the mask's problems are
# raised there, after the slot was found).
Edit = Callable[[TimeSlot], SlotEdit]


async def update_time_slot(db: Database, company_id: str, name: str, edit: Edit, announce: SlotEvents) -> TimeSlot:
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_slot(uow, company_id, name, field="time_slot.name")
        await lock_slot_schedules(uow, company_id, row)  # a hold or booking of it waits, or went first
        before = slot_of(row, booked=False)
        change = edit(before)
        if schedules_locked(bool(row.booked_session_id), change):
            raise FailedPrecondition(f"{before.name} is booked: its schedules are the session's", reason="SLOT_BOOKED")
        violations = Violations()
        template = await read_template(uow, company_id, change.template, "time_slot", violations)
        violations.raise_if_any()
        assert template is not None
        if change.moves:
            await slot_preview.move_slot(uow, row, change.times)
        now = utcnow()
        after = replace(edited(before, change, template.schedule_ids, now), start_at=row.start_at, end_at=row.end_at)
        write_slot(row, after)
        row.updated_at = now
        if change.changes_schedules:
            await time_slots.replace_schedules(uow, row, list(template.schedule_ids))
        removed = bool(await removed_ids(uow, [row.id]))
        booked = bool(await booked_ids(uow, [row]))
        # the trail keeps the slot's instants as they were (its day and clock times are the new ones)
        audited = replace(after, start_at=before.start_at, end_at=before.end_at)
        uow.audit(company_id, before.name, "updated", before=slot_snapshot(before), after=slot_snapshot(audited))
        updated = slot_of(row, removed=removed, booked=booked)
        announce.updated(uow, company_id, updated, sorted(change.paths))
        await uow.commit()
        return updated


async def delete_time_slot(db: Database, company_id: str, name: str, announce: SlotEvents) -> None:
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await load_slot(uow, company_id, name)
        if await booked_ids(uow, [row]):
            raise FailedPrecondition(f"{name} is booked; cancel the booking first", reason="SLOT_BOOKED")
        before = slot_of(row, booked=False)
        uow.audit(company_id, name, "deleted", before=slot_snapshot(before))
        announce.deleted(uow, company_id, before)
        await time_slots.delete_slot(uow, row)
        await uow.commit()
