"""Online time slots in the console, managers and owners only: choose a type and a location,
see its slots from today on (open, unpublished, booked, removed by a nearby booking; a page at
a time), create one, delete one that is not booked; and its standing patterns ("Tuesdays
9-12, 30 minutes", kept generated weeks ahead by scheduling): create and delete."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.api.type_pages import TOKEN, manager_session, refused, upstreams_of
from shutterbook_console.application import time_slots
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.domain.slot_form import WEEKDAYS, pattern_form, slot_field, slot_form
from shutterbook_console.upstreams import UpstreamError

NAME = re.compile(r"^(sessionTypes|appointmentTypes|locations)/[0-9A-Za-z-]{1,64}$")
ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
TITLE = "Online time slots"
DONE = {
    "slot": "Time slot created.",
    "slot_deleted": "Time slot deleted.",
    "slot_changed": "Time slot changed.",
    "published": "Time slot published: it is offered online.",
    "unpublished": "Time slot unpublished: it is no longer offered online.",
    "pattern": "Standing pattern created; its first weeks of slots are generated.",
    "pattern_deleted": "Standing pattern deleted (the slots it made stay).",
}


def _picked(values: Any) -> tuple[str, str]:
    type_name, location = str(values.get("type", "")), str(values.get("location", ""))
    return (type_name if NAME.match(type_name) else ""), (location if NAME.match(location) else "")


def _back(type_name: str, location: str, done: str) -> Redirect:
    return Redirect(
        "/time-slots?" + urlencode({"type": type_name, "location": location, "done": done}), headers=NO_STORE
    )


async def _page(
    request: Request[Any, Any, State],
    session: CurrentSession,
    type_name: str,
    location: str,
    status: int = 200,
    **context: Any,
) -> Template:
    up, caller = upstreams_of(request), session.staff.caller()
    page_token = str(request.query_params.get("page", ""))
    page_token = page_token if TOKEN.match(page_token) else ""
    context.setdefault("v", {"p_slot_minutes": "30", "p_gap_minutes": "0", "p_weeks_ahead": "4", "published": "on"})
    context.setdefault("errors", {})
    try:
        c = await time_slots.choices(up, caller, location)
        rows: list[time_slots.SlotRow] = []
        patterns: list[time_slots.PatternRow] = []
        next_page = ""
        if type_name and location:
            names = dict(c.schedules)
            rows, next_page = await time_slots.slots(up, caller, type_name, location, names, page_token)
            patterns = await time_slots.patterns(up, caller, type_name, location)
    except UpstreamError as exc:
        code, message = refused(exc)
        return staff_page("time_slots.html", session, code, title=TITLE, c=None, error=message)
    return staff_page(
        "time_slots.html",
        session,
        status,
        title=TITLE,
        c=c,
        type_name=type_name,
        location=location,
        rows=rows,
        next_page=next_page,
        page_token=page_token,
        patterns=patterns,
        weekdays=WEEKDAYS,
        request_id=str(uuid.uuid4()),
        **context,
    )


@get("/time-slots", include_in_schema=False)
async def time_slots_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    type_name, location = _picked(request.query_params)
    notice = DONE.get(str(request.query_params.get("done", "")), "")
    count = str(request.query_params.get("count", ""))
    if request.query_params.get("done") == "generated" and count.isdigit():
        notice = f"{count} time slot{'' if count == '1' else 's'} created."
    return await _page(request, session, type_name, location, notice=notice)


async def _refusal(
    request: Request[Any, Any, State],
    session: CurrentSession,
    exc: UpstreamError,
    type_name: str,
    location: str,
    form: dict[str, Any],
    prefix: str,
) -> Template:
    errors: dict[str, str] = {}
    for violation in exc.violations:
        name = prefix + slot_field(violation.field)
        errors.setdefault(name, violation.description[:1].upper() + violation.description[1:] + ".")
    if not exc.violations:
        status, message = refused(exc)
        return await _page(request, session, type_name, location, status, error=message)
    return await _page(
        request, session, type_name, location, 422, v=form, errors=errors, error="Not saved: see the marked fields."
    )


@post("/time-slots", include_in_schema=False)
async def time_slot_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    raw = await request.form()
    form: dict[str, Any] = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    type_name, location = _picked(form)
    if not (type_name and location):
        return await _page(request, session, type_name, location, 422, error="Choose a type and a location first.")
    up, caller = upstreams_of(request), session.staff.caller()
    c = await time_slots.choices(up, caller, location)
    known = [name for name, _ in c.schedules]
    schedules = [str(x) for x in raw.getall("schedules", [])]
    form["schedules"] = schedules
    request_id = form.get("request_id", "")
    request_id = request_id if 8 <= len(request_id) <= 100 else str(uuid.uuid4())
    if form.get("what") == "pattern":
        days = [str(x) for x in raw.getall("weekdays", [])]
        form["weekdays"] = days
        typed_pattern = pattern_form(type_name, location, form, days, schedules, known)
        errors = {f"p_{k}": v for k, v in typed_pattern.errors.items()}
        if not errors:
            try:
                await time_slots.create_pattern(up, caller, typed_pattern.pattern, request_id)
                return _back(type_name, location, "pattern")
            except UpstreamError as exc:
                return await _refusal(request, session, exc, type_name, location, _prefixed(form, "p_"), "p_")
        return await _page(
            request,
            session,
            type_name,
            location,
            422,
            v=_prefixed(form, "p_"),
            errors=errors,
            error="Not saved: see the marked fields.",
        )
    typed = slot_form(type_name, location, form, schedules, known)
    if not typed.errors:
        try:
            await time_slots.create_slot(up, caller, typed.slot, request_id)
            return _back(type_name, location, "slot")
        except UpstreamError as exc:
            return await _refusal(request, session, exc, type_name, location, form, "")
    return await _page(
        request,
        session,
        type_name,
        location,
        422,
        v=form,
        errors=typed.errors,
        error="Not saved: see the marked fields.",
    )


def _prefixed(form: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The pattern form's values under its own names (both forms are on one page)."""
    return {f"{prefix}{k}": v for k, v in form.items()}


@post("/time-slots/{kind:str}/{item_id:str}/delete", include_in_schema=False)
async def time_slot_delete(
    request: Request[Any, Any, State], kind: FromPath[str], item_id: FromPath[str]
) -> Template | Redirect:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    form = await request.form()
    type_name, location = _picked(form)
    if kind not in ("slots", "patterns") or not ID.match(item_id):
        return await _page(request, session, type_name, location, 404, error="There is no such time slot.")
    up, caller = upstreams_of(request), session.staff.caller()
    try:
        if kind == "slots":
            await time_slots.delete_slot(up, caller, item_id)
        else:
            await time_slots.delete_pattern(up, caller, item_id)
    except UpstreamError as exc:
        status, message = refused(exc)
        if exc.code.name == "FAILED_PRECONDITION":
            status, message = 409, exc.message[:1].upper() + exc.message[1:] + "."
        return await _page(request, session, type_name, location, status, error=message)
    return _back(type_name, location, "slot_deleted" if kind == "slots" else "pattern_deleted")


TIME_SLOT_HANDLERS = [time_slots_page, time_slot_submit, time_slot_delete]
