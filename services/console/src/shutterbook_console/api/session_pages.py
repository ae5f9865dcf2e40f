"""The session pages: "New session" (prefilled from a double-click on the calendar) and the
session record (page 02). Server-rendered forms; a refused save shows the form again with
what was typed and each error beside its field."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import grpc
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.api.client_pages import billing_view
from shutterbook_console.api.deps import current_session
from shutterbook_console.api.problems import status_of
from shutterbook_console.application.calendar import visible_locations
from shutterbook_console.application.cancellation import settle_cancelled
from shutterbook_console.application.session_edits import editable
from shutterbook_console.application.session_records import book, choices, load_record, new_session, save
from shutterbook_console.application.session_tabs import session_tabs
from shutterbook_console.notifications_client import LoggedMessage, NotificationsClient
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import DomainError

NO_STORE = {"Cache-Control": "no-store"}


def _up(request: Request[Any, Any, State]) -> Upstreams:
    up: Upstreams = request.app.state.upstreams
    return up


def _field_errors(exc: DomainError) -> dict[str, str]:
    """Field violations by the form's field names (`session.start` is the `start` field)."""
    return {
        v.field.removeprefix("session.").split(".")[0]: v.description[:1].upper() + v.description[1:]
        for v in getattr(exc, "violations", [])
    }


def _summary(exc: DomainError, errors: dict[str, str]) -> str:
    if exc.reason == "PERMISSION_DENIED" or (isinstance(exc, UpstreamError) and exc.code.name == "PERMISSION_DENIED"):
        return "Not saved: you may only change your own sessions (ask the front desk or a manager)."
    if isinstance(exc, UpstreamError) and exc.conflicts:
        return (
            "Not saved: the new time or people conflict with another booking (marked below); nothing was changed."
            ' Choose another time or person, or tick "Book anyway" to keep both.'
        )
    if errors:
        return (
            "Not saved: please correct the field marked below."
            if len(errors) == 1
            else (f"Not saved: please correct the {len(errors)} fields marked below.")
        )
    return f"Not saved: {exc.message}"


async def _form(request: Request[Any, Any, State]) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    for key in {k for k in form if k.endswith("-schedules")}:  # a block's ticked schedules
        values[key] = ",".join(str(x) for x in form.getall(key))
    participants = [str(v) for v in form.getall("participants")] if "participants" in form else []
    return values, participants


async def _new_page(
    request: Request[Any, Any, State], values: dict[str, str], schedule: str = "", **context: Any
) -> Template:
    current = await current_session(request)
    assert current is not None
    caller = current.staff.caller()
    up = _up(request)
    locations = await visible_locations(up, caller)
    ids = [loc.name.removeprefix("locations/") for loc in locations]
    wanted = values.get("location", "")
    location = wanted if wanted in ids else (ids[0] if ids else "")
    values["location"] = location
    offered = await choices(up, caller, f"locations/{location}", with_clients=True) if location else None
    if offered is not None and schedule:  # the column double-clicked on the calendar
        if any(r.name == schedule for r in offered.rooms):
            values["camera_room"] = schedule
        elif any(x.name == schedule for x in offered.staff):
            values["photographer"] = schedule
    return Template(
        "session_new.html",
        context={
            "title": "New session",
            "body_class": "app",
            "staff": current.staff,
            "locations": [{"id": i, "name": loc.display_name} for i, loc in zip(ids, locations, strict=True)],
            "choices": offered,
            "v": values,
            "errors": context.pop("errors", {}),
            **context,
        },
        status_code=context.pop("status", 200),
        headers=NO_STORE,
    )


@get("/sessions/new", include_in_schema=False)
async def new_session_page(request: Request[Any, Any, State]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    q = request.query_params
    values = {"location": q.get("location", ""), "session_date": "", "start": "", "end": ""}
    try:
        start = datetime.strptime(q.get("start", ""), "%Y-%m-%dT%H:%M:%S")
        values["session_date"], values["start"] = start.date().isoformat(), start.strftime("%H:%M")
    except ValueError:
        pass
    return await _new_page(request, values, q.get("schedule", ""))


@post("/sessions/new", include_in_schema=False)
async def new_session_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    values, _ = await _form(request)
    values.pop("_csrf_token", None)
    try:
        session = new_session(values, f"locations/{values.get('location', '')}")
        booked = await book(
            _up(request), current.staff.caller(), session, book_anyway=values.get("book_anyway") == "on"
        )
    except DomainError as exc:
        errors = _field_errors(exc)
        conflicts = exc.conflicts if isinstance(exc, UpstreamError) else []
        return await _new_page(
            request, values, errors=errors, error=_summary(exc, errors), conflicts=conflicts, status=status_of(exc)
        )
    return Redirect(f"/{booked.name}?saved=booked", headers=NO_STORE)


def _record_page(record: Any, staff: Any, values: dict[str, str] | None = None, **context: Any) -> Template:
    allowed = editable(staff.caller(), record.session)
    return Template(
        "session.html",
        context={
            "title": f"Session {record.session.session_number}".strip(),
            "body_class": "app",
            "staff": staff,
            "r": record,
            "s": record.session,
            "v": values,
            "pb": pb,
            "may": {
                "all": allowed is None and not record.session.cancelled,
                "any": allowed is None or bool(allowed),
                "photo_day": allowed is None or bool(allowed),
                "book": allowed is None,
            },
            "errors": context.pop("errors", {}),
            **billing_view(),
            **context,
        },
        status_code=context.pop("status", 200),
        headers=NO_STORE,
    )


@get("/sessions/{session_id:uuid}", include_in_schema=False)
async def session_page(request: Request[Any, Any, State], session_id: FromPath[uuid.UUID]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    try:
        record = await load_record(_up(request), current.staff.caller(), f"sessions/{session_id}")
        tabs = await session_tabs(_up(request), current.staff.caller(), record.session.name)
    except DomainError as exc:
        return Template(
            "message.html",
            context={
                "title": "Session",
                "message": exc.message.capitalize(),
                "link": "/calendar",
                "link_label": "Calendar",
            },
            status_code=status_of(exc),
        )
    saved = {"1": "Saved.", "booked": "Booked."}.get(request.query_params.get("saved", ""), "")
    messages, comm_error = await _communication(request, current.staff.caller(), f"sessions/{session_id}")
    return _record_page(record, current.staff, notice=saved, tabs=tabs, messages=messages, comm_error=comm_error)


async def _communication(
    request: Request[Any, Any, State], caller: Any, session: str
) -> tuple[list[LoggedMessage], str]:
    """The session's Communication tab: what notifications sent for it (or why it cannot say)."""
    client: NotificationsClient | None = getattr(request.app.state, "notifications", None)
    if client is None:
        return [], "The communication log is not available (no notifications service is configured)."
    try:
        return await client.session_messages(caller, session), ""
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.PERMISSION_DENIED:
            return [], "Your role may not read the communication log."
        return [], "The communication log is not available right now (the notifications service did not answer)."


@post("/sessions/{session_id:uuid}", include_in_schema=False)
async def session_submit(request: Request[Any, Any, State], session_id: FromPath[uuid.UUID]) -> Template | Redirect:
    current = await current_session(request)
    if current is None:
        return Redirect("/login")
    caller = current.staff.caller()
    up = _up(request)
    name = f"sessions/{session_id}"
    values, participants = await _form(request)
    try:
        record = await load_record(up, caller, name)
    except DomainError as exc:
        return Template(
            "message.html",
            context={
                "title": "Session",
                "message": exc.message.capitalize(),
                "link": "/calendar",
                "link_label": "Calendar",
            },
            status_code=status_of(exc),
        )
    try:
        await save(up, caller, record, values, participants)
    except DomainError as exc:
        errors = _field_errors(exc)
        values["participants"] = ",".join(participants)
        tabs = await session_tabs(up, caller, name)
        conflicts = exc.conflicts if isinstance(exc, UpstreamError) else []
        return _record_page(
            record,
            current.staff,
            values,
            errors=errors,
            error=_summary(exc, errors),
            conflicts=conflicts,
            status=status_of(exc),
            tabs=tabs,
        )
    if values.get("cancelled") == "on" and not record.session.cancelled:
        return await cancelled_page(up, caller, record, current.staff, values.get("money", "keep"))
    return Redirect(f"/{name}?saved=1", headers=NO_STORE)


async def cancelled_page(up: Upstreams, caller: Any, record: Any, staff: Any, money: str) -> Template:
    """The record after a cancel, saying what became of the money (the choice made on the form)."""
    try:
        settled = await settle_cancelled(up, caller, record.session.name, money)
    except DomainError as exc:
        return _record_page(await load_record(up, caller, record.session.name), staff, error=exc.message)
    notice = "Cancelled."
    if settled.refunded_minor:
        notice += f" Refunded {settled.refunded_minor / 100:.2f} {settled.currency_code}."
    if settled.voided:
        notice += f" Voided {', '.join(settled.voided)}."
    fresh = await load_record(up, caller, record.session.name)
    return _record_page(fresh, staff, notice=notice, error=" ".join(settled.problems))


SESSION_PAGE_HANDLERS = [new_session_page, new_session_submit, session_page, session_submit]
