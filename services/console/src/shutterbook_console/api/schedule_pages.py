"""Studio setup, staff schedules (issue 17): the photographers' and assistants' schedules of a
location, listed with their working hours; a new one (name, staff member); and one schedule's
name, staff member, working hours (rows of day + from + to) and time off (rows of start + end
in the location's zone, each removable). Managers and owners only; the form is shown back
with each refusal beside its input and what was typed kept."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.api.setup_pages import (
    RECORD_ID,
    beside_setup_fields,
    form_texts,
    new_request_id,
    request_id_of,
    setup_session,
)
from shutterbook_console.api.type_pages import not_saved, refused, upstreams_of
from shutterbook_console.application import staff_schedules
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.domain.schedule_form import (
    DAY_LABELS,
    hours_rows_of,
    schedule_form,
    time_off_rows_of,
    with_blanks,
)
from shutterbook_console.upstreams import UpstreamError

TITLE = "Studio setup: staff schedules"
FORBIDDEN = "Staff schedules are set up by managers and owners."
DONE = {"created": "Schedule created: now set its working hours.", "saved": "Saved."}


def _create_field(path: str) -> str:
    name = path.removeprefix("schedule.")
    return name if name in ("display_name", "staff_member", "location") else ""


async def _list(
    request: Request[Any, Any, State], session: CurrentSession, location: str, status: int = 200, **context: Any
) -> Template:
    up, caller = upstreams_of(request), session.staff.caller()
    try:
        c = await staff_schedules.choices(up, caller)
        names = [x.name for x in c.locations]
        location = location if location in names else (names[0] if names else "")
        rows = await staff_schedules.rows(up, caller, location, c.staff) if location else []
    except UpstreamError as exc:
        code, message = refused(exc)
        return staff_page("schedules.html", session, code, title=TITLE, error=message, refused=True)
    context.setdefault("v", {"request_id": new_request_id()})
    return staff_page(
        "schedules.html",
        session,
        status,
        title=TITLE,
        locations=c.locations,
        location=location,
        staff_members=c.staff,
        rows=rows,
        **context,
    )


@get("/setup/schedules", include_in_schema=False)
async def schedules_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "schedules.html", TITLE, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    return await _list(request, session, request.query_params.get("location", ""))


@post("/setup/schedules", include_in_schema=False)
async def schedule_create(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "schedules.html", TITLE, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    form, _ = await form_texts(request)
    up, caller = upstreams_of(request), session.staff.caller()
    location = form.get("location", "")
    v = {
        "display_name": form.get("display_name", "").strip(),
        "staff_member": form.get("staff_member", ""),
        "request_id": request_id_of(form),
    }
    errors: dict[str, str] = {}
    status, error = 422, ""
    try:
        c = await staff_schedules.choices(up, caller)
        if location not in {x.name for x in c.locations}:
            errors["location"] = "Choose the location."
        typed = schedule_form({**v, "hours_rows": "0", "off_rows": "0"}, "UTC", c.staff)
        errors.update(typed.errors)
        if not errors:
            typed.schedule.location = location
            created = await staff_schedules.create(up, caller, typed.schedule, v["request_id"])
            schedule_id = created.name.removeprefix("schedules/")
            return Redirect(f"/setup/schedules/{schedule_id}?done=created", headers=NO_STORE)
    except UpstreamError as exc:
        status, error = beside_setup_fields(exc, _create_field, errors)
    return await _list(request, session, location, status, v=v, errors=errors, error=not_saved(errors) or error)


async def _edit(
    request: Request[Any, Any, State], session: CurrentSession, schedule_id: str
) -> tuple[pb.Schedule, pb.Location, dict[str, str]] | Template:
    up, caller = upstreams_of(request), session.staff.caller()
    try:
        if not RECORD_ID.match(schedule_id):
            raise LookupError
        schedule = await staff_schedules.get(up, caller, schedule_id)
        if schedule.kind != pb.SCHEDULE_KIND_STAFF:
            raise LookupError
        location = await staff_schedules.location(up, caller, schedule.location)
        c = await staff_schedules.choices(up, caller)
    except LookupError:
        return staff_page(
            "schedule.html", session, 404, title=TITLE, error="There is no such staff schedule.", refused=True
        )
    except UpstreamError as exc:
        code, message = refused(exc)
        return staff_page("schedule.html", session, code, title=TITLE, error=message, refused=True)
    return schedule, location, c.staff


def _schedule_page(
    session: CurrentSession,
    status: int,
    schedule: pb.Schedule,
    location: pb.Location,
    staff: dict[str, str],
    **context: Any,
) -> Template:
    zone = location.time_zone or "UTC"
    context.setdefault("v", {"display_name": schedule.display_name, "staff_member": schedule.staff_member})
    context.setdefault("hours", hours_rows_of(schedule.working_hours))
    context.setdefault("time_off", time_off_rows_of(schedule.time_off, zone))
    return staff_page(
        "schedule.html",
        session,
        status,
        title=f"Staff schedule: {schedule.display_name}",
        schedule=schedule,
        schedule_id=schedule.name.removeprefix("schedules/"),
        location=location,
        zone=zone,
        staff_members=staff,
        days=DAY_LABELS,
        **context,
    )


@get("/setup/schedules/{schedule_id:str}", include_in_schema=False)
async def schedule_page(request: Request[Any, Any, State], schedule_id: FromPath[str]) -> Template | Redirect:
    session = await setup_session(request, "schedule.html", TITLE, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    found = await _edit(request, session, schedule_id)
    if isinstance(found, Template):
        return found
    notice = DONE.get(request.query_params.get("done", ""), "")
    return _schedule_page(session, 200, *found, notice=notice)


@post("/setup/schedules/{schedule_id:str}", include_in_schema=False)
async def schedule_submit(request: Request[Any, Any, State], schedule_id: FromPath[str]) -> Template | Redirect:
    session = await setup_session(request, "schedule.html", TITLE, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    found = await _edit(request, session, schedule_id)
    if isinstance(found, Template):
        return found
    schedule, location, staff = found
    form, _ = await form_texts(request)
    typed = schedule_form(form, location.time_zone or "UTC", staff)
    errors = dict(typed.errors)
    status, error = 422, ""
    if not errors:
        typed.schedule.name = schedule.name
        try:
            await staff_schedules.update(upstreams_of(request), session.staff.caller(), typed.schedule)
            return Redirect(f"/setup/schedules/{schedule_id}?done=saved", headers=NO_STORE)
        except UpstreamError as exc:
            status, error = beside_setup_fields(exc, typed.to_field, errors)
    hours, time_off = with_blanks(typed.hours, typed.time_off)
    return _schedule_page(
        session,
        status,
        schedule,
        location,
        staff,
        v=typed.typed,
        hours=hours,
        time_off=time_off,
        errors=errors,
        error=not_saved(errors) or error,
    )


SCHEDULE_HANDLERS = [schedules_page, schedule_create, schedule_page, schedule_submit]
