"""Online time slots, continued (managers and owners): generate slots from pattern rows with a
preview first (scheduling's GenerateTimeSlots with `validate_only`: the slots that would be
created, conflicts marked; nothing written until "Create these slots"), move a slot to another
date, time or length, and publish or unpublish it (UpdateTimeSlot)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.api.type_pages import manager_session, refused, upstreams_of
from shutterbook_console.application import time_slots
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.domain.slot_form import clock, clock_text, slot_field
from shutterbook_console.domain.slot_rows import MAX_ROWS, blank_row, row_count, row_field, rows_form
from shutterbook_console.upstreams import UpstreamError

NAME = re.compile(r"^(sessionTypes|appointmentTypes|locations)/[0-9A-Za-z-]{1,64}$")
ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
NOT_SAVED = "Not saved: see the marked fields."


def _picked(values: Any) -> tuple[str, str]:
    type_name, location = str(values.get("type", "")), str(values.get("location", ""))
    return (type_name if NAME.match(type_name) else ""), (location if NAME.match(location) else "")


def _back(type_name: str, location: str, done: str, **extra: str) -> Redirect:
    query = {"type": type_name, "location": location, "done": done, **extra}
    return Redirect("/time-slots?" + urlencode(query), headers=NO_STORE)


def _message(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


async def _generate_page(
    request: Request[Any, Any, State],
    session: CurrentSession,
    type_name: str,
    location: str,
    v: dict[str, Any],
    status: int = 200,
    **context: Any,
) -> Template:
    up, caller = upstreams_of(request), session.staff.caller()
    try:
        c = await time_slots.choices(up, caller, location)
    except UpstreamError as exc:
        code, message = refused(exc)
        return staff_page("time_slot_generate.html", session, code, title="Generate time slots", c=None, error=message)
    labels = dict(c.types + c.locations)
    return staff_page(
        "time_slot_generate.html",
        session,
        status,
        title="Generate time slots",
        c=c,
        type_name=type_name,
        location=location,
        type_label=labels.get(type_name, type_name),
        location_label=labels.get(location, location),
        v=v,
        row_total=row_count(v),
        max_rows=MAX_ROWS,
        **context,
    )


@get("/time-slots/generate", include_in_schema=False)
async def generate_form(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    type_name, location = _picked(request.query_params)
    if not (type_name and location):
        return Redirect("/time-slots", headers=NO_STORE)
    v: dict[str, Any] = {"rows": "1", "published": "on", "request_id": str(uuid.uuid4()), "schedules": []}
    v.update(blank_row(0, datetime.now(UTC).date()))
    return await _generate_page(request, session, type_name, location, v)


@post("/time-slots/generate", include_in_schema=False)
async def generate_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    raw = await request.form()
    v: dict[str, Any] = {k: str(x) for k, x in raw.items() if isinstance(x, str)}
    type_name, location = _picked(v)
    if not (type_name and location):
        return Redirect("/time-slots", headers=NO_STORE)
    v["schedules"] = [str(x) for x in raw.getall("schedules", [])]
    if not 8 <= len(v.get("request_id", "")) <= 100:
        v["request_id"] = str(uuid.uuid4())
    action = v.get("action", "preview")
    if action == "add_row":
        count = row_count(v)
        if count < MAX_ROWS:
            v.update(blank_row(count, datetime.now(UTC).date()))
            v["rows"] = str(count + 1)
        return await _generate_page(request, session, type_name, location, v)
    up, caller = upstreams_of(request), session.staff.caller()
    typed = rows_form(v)
    errors = dict(typed.errors)
    try:
        c = await time_slots.choices(up, caller, location)
    except UpstreamError as exc:
        status, message = refused(exc)
        return await _generate_page(request, session, type_name, location, v, status, error=message)
    known = {name for name, _ in c.schedules}
    if not v["schedules"] or not set(v["schedules"]) <= known:
        errors["schedules"] = "Choose who or what the slots occupy (a photographer, a room)."
    if errors:
        return await _generate_page(request, session, type_name, location, v, 422, errors=errors, error=NOT_SAVED)
    template = opb.TimeSlot(location=location, schedules=v["schedules"], published=v.get("published") == "on")
    if type_name.startswith("appointmentTypes/"):
        template.appointment_type = type_name
    else:
        template.session_type = type_name
    save = action == "save"
    try:
        found = await time_slots.generate(up, caller, template, typed.rows, v["request_id"], validate_only=not save)
    except UpstreamError as exc:
        if not exc.violations:
            status, message = refused(exc)
            return await _generate_page(request, session, type_name, location, v, status, error=message)
        for violation in exc.violations:
            errors.setdefault(row_field(violation.field), _message(violation.description))
        return await _generate_page(request, session, type_name, location, v, 422, errors=errors, error=NOT_SAVED)
    if save:
        return _back(type_name, location, "generated", count=str(len(found.time_slots)))
    preview = time_slots.preview_rows(found, dict(c.schedules))
    return await _generate_page(
        request,
        session,
        type_name,
        location,
        v,
        preview=preview,
        clashing=sum(1 for p in preview if p.conflict),
        skipped=found.skipped_nonexistent,
    )


def _slot_values(slot: opb.TimeSlot) -> dict[str, str]:
    minutes = (slot.end.hours * 60 + slot.end.minutes) - (slot.start.hours * 60 + slot.start.minutes)
    return {
        "date": f"{slot.date.year:04d}-{slot.date.month:02d}-{slot.date.day:02d}",
        "start": clock_text(slot.start),
        "minutes": str(minutes),
    }


async def _edit_page(
    request: Request[Any, Any, State], session: CurrentSession, slot_id: str, status: int = 200, **context: Any
) -> Template:
    type_name, location = _picked(request.query_params)
    context.setdefault("type_name", type_name)
    context.setdefault("location", location)
    return staff_page("time_slot_edit.html", session, status, title="Change a time slot", slot_id=slot_id, **context)


@get("/time-slots/{kind:str}/{slot_id:str}/edit", include_in_schema=False)
async def edit_form(
    request: Request[Any, Any, State], kind: FromPath[str], slot_id: FromPath[str]
) -> Template | Redirect:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    if kind != "slots" or not ID.match(slot_id):  # one path shape with the delete route's
        return await _edit_page(request, session, slot_id, 404, error="There is no such time slot.")
    try:
        slot = await time_slots.get_slot(upstreams_of(request), session.staff.caller(), slot_id)
    except UpstreamError as exc:
        status, message = refused(exc)
        return await _edit_page(request, session, slot_id, status, error=message)
    return await _edit_page(request, session, slot_id, v=_slot_values(slot), slot=slot)


def _edited(slot_id: str, v: dict[str, str], errors: dict[str, str]) -> opb.TimeSlot:
    slot = opb.TimeSlot(name=f"timeSlots/{slot_id}")
    try:
        day = datetime.strptime(v.get("date", "").strip(), "%Y-%m-%d").date()
        slot.date.CopyFrom(date_pb2.Date(year=day.year, month=day.month, day=day.day))
    except ValueError:
        errors["date"] = "Enter the date of the slot."
    start = clock(v.get("start", ""))
    length = v.get("minutes", "").strip()
    if start is None:
        errors["start"] = "Enter a start time such as 09:00."
    if not (length.isdigit() and len(length) <= 4 and 1 <= int(length) <= 1440):
        errors["minutes"] = "Enter the length in minutes, 1 to 1440."
    elif start is not None:
        end = start.hours * 60 + start.minutes + int(length)
        if end > 23 * 60 + 59:
            errors["minutes"] = "The slot must end before midnight."
        else:
            slot.start.CopyFrom(start)
            slot.end.CopyFrom(pb.TimeOfDay(hours=end // 60, minutes=end % 60))
    return slot


@post("/time-slots/{kind:str}/{slot_id:str}/edit", include_in_schema=False)
async def edit_submit(
    request: Request[Any, Any, State], kind: FromPath[str], slot_id: FromPath[str]
) -> Template | Redirect:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    raw = await request.form()
    v = {k: str(x) for k, x in raw.items() if isinstance(x, str)}
    type_name, location = _picked(v)
    where = {"type_name": type_name, "location": location}
    if kind != "slots" or not ID.match(slot_id):  # one path shape with the delete route's
        return await _edit_page(request, session, slot_id, 404, error="There is no such time slot.", **where)
    errors: dict[str, str] = {}
    slot = _edited(slot_id, v, errors)
    if not errors:
        try:
            await time_slots.update_slot(upstreams_of(request), session.staff.caller(), slot, ["date", "start", "end"])
            return _back(type_name, location, "slot_changed")
        except UpstreamError as exc:
            if not exc.violations:
                status, message = refused(exc)
                if exc.code.name == "FAILED_PRECONDITION":
                    status, message = 409, _message(exc.message)
                return await _edit_page(request, session, slot_id, status, v=v, error=message, **where)
            for violation in exc.violations:
                name = slot_field(violation.field)
                errors.setdefault("minutes" if name == "end" else name, _message(violation.description))
    return await _edit_page(request, session, slot_id, 422, v=v, errors=errors, error=NOT_SAVED, **where)


@post("/time-slots/{kind:str}/{slot_id:str}/publish", include_in_schema=False)
async def publish_submit(
    request: Request[Any, Any, State], kind: FromPath[str], slot_id: FromPath[str]
) -> Template | Redirect:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    raw = await request.form()
    type_name, location = _picked(raw)
    published = str(raw.get("published", "")) == "on"
    if kind != "slots" or not ID.match(slot_id):  # one path shape with the delete route's
        return await _edit_page(request, session, slot_id, 404, error="There is no such time slot.")
    slot = opb.TimeSlot(name=f"timeSlots/{slot_id}", published=published)
    try:
        await time_slots.update_slot(upstreams_of(request), session.staff.caller(), slot, ["published"])
    except UpstreamError as exc:
        status, message = refused(exc)
        return await _edit_page(
            request, session, slot_id, status, error=message, type_name=type_name, location=location
        )
    return _back(type_name, location, "published" if published else "unpublished")


SLOT_GENERATE_HANDLERS = [generate_form, generate_submit, edit_form, edit_submit, publish_submit]
