"""Online time slots at the API edge (issue 13's shape, see api/company_convert.py): a create's
wall-clock day and times and a generation's pattern rows, read from their request messages into
plain Python (domain/slot_requests.py); what is wrong with them named by their request fields
(`time_slot.start`, `rows[2].breaks[0].end`). The create and the generation run once per their
`request_id` here (`create_time_slot`, `generate_time_slots`) around the use cases' work
(application/online_slots.py). The use cases answer domain slots (domain/time_slots.py), made
messages here (api/slot_messages.py); UpdateTimeSlot's mask is applied here, to the slot as
stored (`slot_edit`); ListTimeSlots' and ListOpenSlots' requests are read here, the open slots
encoded by `encoded_slots.ENCODED`; the slot events are built in api/slot_events.py and passed
down (`SLOT_EVENTS`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.api.encoded_slots import ENCODED
from shutterbook_scheduling.api.proto_values import (
    apply_mask,
    from_ts,
    optional_references,
    read_breaks,
    read_date,
    read_date_range,
    read_time,
    read_weekdays,
    require_mask,
    run_once,
)
from shutterbook_scheduling.api.row_span_convert import read_span
from shutterbook_scheduling.api.slot_events import SLOT_EVENTS
from shutterbook_scheduling.api.slot_messages import conflict_message, time_slot_message
from shutterbook_scheduling.application import online_slots
from shutterbook_scheduling.domain.slot_requests import PatternRows, SlotTimes
from shutterbook_scheduling.domain.standing_patterns import SlotTemplate
from shutterbook_scheduling.domain.time_patterns import PatternRow
from shutterbook_scheduling.domain.time_slots import TIME_FIELDS, UPDATABLE, SlotEdit, TimeSlot, stored


def slot_times(msg: opb.TimeSlot, path: str) -> SlotTimes:
    """A slot message's `date`, `start` and `end` (violations `{path}.date`, ...)."""
    found = Violations()
    day = read_date(msg.date, f"{path}.date", found)
    start = read_time(msg.start, f"{path}.start", found)
    end = read_time(msg.end, f"{path}.end", found)
    return SlotTimes(day, start, end, found)


def pattern_rows(rows: Sequence[opb.TimeSlotPatternRow]) -> PatternRows:
    """A generation's rows (violations `rows`, `rows[i].field`)."""
    found = Violations()
    out: list[PatternRow] = []
    if not rows:
        found.add("rows", "at least one row is required")
    for i, row in enumerate(rows):
        at = f"rows[{i}]"
        span = read_span(row, at, found, times_required=False)
        breaks = read_breaks(row.breaks, f"{at}.breaks", found)
        weekdays = read_weekdays(row.excluded_weekdays, f"{at}.excluded_weekdays", found)
        if span is None or breaks is None:
            continue
        out.append(
            PatternRow(
                *span,
                slot_minutes=row.slot_minutes,
                gap_minutes=row.gap_minutes,
                excluded_weekdays=weekdays,
                breaks=breaks,
            )
        )
    return PatternRows(tuple(out), len(rows), found)


def slot_template(msg: opb.TimeSlot) -> SlotTemplate:
    """A create's or a generation's template fields, by reference as given."""
    return SlotTemplate(
        location=msg.location,
        session_type=msg.session_type,
        appointment_type=msg.appointment_type,
        schedules=tuple(msg.schedules),
        published=msg.published,
        minimum_notice_minutes=msg.minimum_notice_minutes,
        maximum_advance_days=msg.maximum_advance_days,
    )


def generated_message(generated: online_slots.GeneratedTimeSlots) -> opb.GenerateTimeSlotsResponse:
    out = opb.GenerateTimeSlotsResponse(skipped_nonexistent=generated.skipped_nonexistent)
    out.conflicts.extend(conflict_message(c) for c in generated.conflicts)
    for slot in generated.slots:
        out.time_slots.append(time_slot_message(slot))
        if generated.validate_only:  # AIP-163: the slot as it would be, nameless
            out.time_slots[-1].ClearField("name")
    return out


def _check_request_id(request_id: str) -> None:
    v = Violations()
    validate_request_id(request_id, v)
    v.raise_if_any()


async def create_time_slot(db: Database, company_id: str, request: opb.CreateTimeSlotRequest) -> opb.TimeSlot:
    _check_request_id(request.request_id)
    when = slot_times(request.time_slot, "time_slot")

    template = slot_template(request.time_slot)

    async def work(uow: UnitOfWork) -> opb.TimeSlot:
        return time_slot_message(await online_slots.add_time_slot(uow, company_id, template, when, SLOT_EVENTS))

    return await run_once(db, company_id, "CreateTimeSlot", request, opb.TimeSlot, work)


async def generate_time_slots(
    db: Database, company_id: str, request: opb.GenerateTimeSlotsRequest
) -> opb.GenerateTimeSlotsResponse:
    _check_request_id(request.request_id)
    rows = pattern_rows(request.rows)

    template = slot_template(request.template)

    async def work(uow: UnitOfWork) -> opb.GenerateTimeSlotsResponse:
        generated = await online_slots.generate_time_slots(
            uow, company_id, template, rows, SLOT_EVENTS, validate_only=request.validate_only
        )
        return generated_message(generated)

    if request.validate_only:
        async with UnitOfWork(db, readonly=True) as uow:
            return await work(uow)
    return await run_once(db, company_id, "GenerateTimeSlots", request, opb.GenerateTimeSlotsResponse, work)


async def get_time_slot(db: Database, company_id: str, name: str) -> opb.TimeSlot:
    return time_slot_message(await online_slots.get_time_slot(db, company_id, name))


def time_slot_filter(request: opb.ListTimeSlotsRequest) -> online_slots.TimeSlotFilter:
    # a session type and an appointment type are both the slot's type (one column, two names)
    refs = (("location", "locations", "location_id"), ("session_type", "sessionTypes", "type_id"))
    equal = optional_references(request, (*refs, ("appointment_type", "appointmentTypes", "type_id")))
    starts = (
        from_ts(request.start_time) if request.HasField("start_time") else None,
        from_ts(request.end_time) if request.HasField("end_time") else None,
    )
    return online_slots.TimeSlotFilter(equal, starts, request.page_size, request.page_token)


async def list_time_slots(
    db: Database, company_id: str, request: opb.ListTimeSlotsRequest
) -> opb.ListTimeSlotsResponse:
    found, token = await online_slots.list_time_slots(db, company_id, time_slot_filter(request))
    return opb.ListTimeSlotsResponse(time_slots=[time_slot_message(s) for s in found], next_page_token=token)


def slot_edit(request: opb.UpdateTimeSlotRequest) -> online_slots.Edit:
    """UpdateTimeSlot's mask applied to a slot as stored, as the use case finds it (the mask's
    problems are INVALID_ARGUMENT of `update_mask` then): the paths applied, the template as it
    would be, and the day and clock times when the slot moves (what could not be read of them
    kept as their violations, `time_slot.date`, ...)."""

    def apply(slot: TimeSlot) -> SlotEdit:
        msg = time_slot_message(stored(slot))
        paths = apply_mask(msg, request.time_slot, request.update_mask, field="time_slot", writable=set(UPDATABLE))
        when = slot_times(msg, "time_slot") if TIME_FIELDS.intersection(paths) else SlotTimes(None, None, None)
        return SlotEdit(tuple(paths), slot_template(msg), when)

    return apply


async def update_time_slot(db: Database, company_id: str, request: opb.UpdateTimeSlotRequest) -> opb.TimeSlot:
    parse_name(request.time_slot.name, "timeSlots", field="time_slot.name")
    require_mask(request.update_mask)
    edit = slot_edit(request)
    return time_slot_message(
        await online_slots.update_time_slot(db, company_id, request.time_slot.name, edit, SLOT_EVENTS)
    )


async def delete_time_slot(db: Database, company_id: str, name: str) -> None:
    await online_slots.delete_time_slot(db, company_id, name, SLOT_EVENTS)


def open_slots_wanted(request: opb.ListOpenSlotsRequest) -> online_slots.OpenSlotsWanted:
    """ListOpenSlots' request read (INVALID_ARGUMENT with every problem)."""
    v = Violations()
    type_id: str | None = None
    if bool(request.session_type) == bool(request.appointment_type):
        v.add("session_type", "give a session_type or an appointment_type (one of them)")
    elif request.session_type:
        type_id = parse_reference(request.session_type, "sessionTypes", field="session_type", violations=v)
    else:
        type_id = parse_reference(request.appointment_type, "appointmentTypes", field="appointment_type", violations=v)
    location_id = parse_reference(request.location, "locations", field="location", violations=v)
    first, last = read_date_range(request.start_date, request.end_date, v, max_days=online_slots.MAX_OPEN_RANGE_DAYS)
    v.raise_if_any()
    assert type_id
    assert location_id
    assert first
    assert last
    return online_slots.OpenSlotsWanted(
        type_id=type_id,
        type_ref=request.session_type or request.appointment_type,
        appointment=not request.session_type,
        location_id=location_id,
        location_ref=request.location,
        first=first,
        last=last,
        page_size=request.page_size,
        page_token=request.page_token,
    )


async def open_slots_answer(
    db: Database,
    company_id: str,
    request: opb.ListOpenSlotsRequest,
    *,
    now: datetime | None = None,
    with_changes: bool = False,
) -> online_slots.OpenSlotsAnswer:
    """ListOpenSlots' response as bytes (see `online_slots.open_slots_answer`)."""
    wanted = open_slots_wanted(request)
    return await online_slots.open_slots_answer(
        db, company_id, wanted, ENCODED.encode, now=now, with_changes=with_changes
    )


async def list_open_slots(
    db: Database, company_id: str, request: opb.ListOpenSlotsRequest, *, now: datetime | None = None
) -> opb.ListOpenSlotsResponse:
    """The type's open slots (`now`: the current instant, given only by tests of the rule)."""
    return opb.ListOpenSlotsResponse.FromString((await open_slots_answer(db, company_id, request, now=now)).encoded)
