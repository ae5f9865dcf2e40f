"""Triggers in the console (reference page 03): the list, and a form to create or edit one:
the event (a session enters a status, or a session of a type is booked), the form letter, a
delay, the channel, and whether it is active. Through notifications (which checks the staff
member's permissions and each field) and scheduling (the statuses and types offered)."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from typing import Any

import grpc
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.api.deps import current_session
from shutterbook_console.api.letter_pages import NO_STORE, notifications_of, staff_page
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.notifications_client import Letter, Trigger, field_errors
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.identity import Caller

TRIGGER_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
MAX_DELAY_MINUTES = 43_200
CHANNEL_LABELS = {"": "Email, else SMS", "email": "Email", "sms": "SMS"}
# notifications' field names -> the form's
FORM_FIELD = {
    "trigger.kind": "event",
    "trigger.session_status": "event",
    "trigger.session_type": "event",
    "trigger.form_letter": "form_letter",
    "trigger.delay_minutes": "delay_minutes",
    "trigger.channel": "channel",
}
NOT_FOUND = "There is no such trigger."
UNAVAILABLE = (503, "Triggers are not available right now (the notifications or scheduling service did not answer).")


def _refused(exc: Exception) -> tuple[int, str]:
    code = exc.code if isinstance(exc, UpstreamError) else exc.code() if isinstance(exc, grpc.aio.AioRpcError) else None
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return 403, "Your role may not change triggers. Ask an owner or a manager."
    return UNAVAILABLE


@dataclass(frozen=True)
class Choices:
    statuses: list[tuple[str, str]]  # (sessionStatuses/{id}, name)
    types: list[tuple[str, str]]  # (sessionTypes/{id}, name)
    letters: list[Letter]

    def event_label(self, event: str) -> str:
        for name, label in self.statuses:
            if name == event:
                return f"A session enters status “{label}”"
        for name, label in self.types:
            if name == event:
                return f"A “{label}” session is booked"
        return "An event that no longer exists"

    def letter_label(self, letter_id: str) -> str:
        return next((x.display_name for x in self.letters if x.id == letter_id), "A deleted letter")


async def _choices(request: Request[Any, Any, State], caller: Caller) -> Choices:
    up: Upstreams = request.app.state.upstreams
    s = up.scheduling
    statuses, types, letters = await asyncio.gather(
        up.call(s.ListSessionStatuses, pb.ListSessionStatusesRequest(page_size=1000), caller),
        up.call(s.ListSessionTypes, pb.ListSessionTypesRequest(page_size=1000), caller),
        notifications_of(request).letters(caller),
    )
    return Choices(
        [(x.name, x.display_name) for x in statuses.session_statuses],
        [(x.name, x.display_name) for x in types.session_types],
        letters,
    )


def _list_page(session: CurrentSession, status: int, **context: Any) -> Template:
    return staff_page("triggers.html", session, status, title="Triggers", channels=CHANNEL_LABELS, **context)


@get("/triggers", include_in_schema=False)
async def triggers_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    caller = session.staff.caller()
    try:
        found, choices = await asyncio.gather(notifications_of(request).triggers(caller), _choices(request, caller))
    except (grpc.aio.AioRpcError, UpstreamError) as exc:
        status, message = _refused(exc)
        return _list_page(session, status, triggers=[], choices=None, error=message)
    notice = {"created": "Trigger created.", "saved": "Trigger saved."}.get(request.query_params.get("done", ""), "")
    return _list_page(session, 200, triggers=found, choices=choices, notice=notice)


def _form_page(session: CurrentSession, status: int, trigger: Trigger | None, **context: Any) -> Template:
    title = "New trigger" if trigger is None or not trigger.id else "Edit trigger"
    return staff_page("trigger.html", session, status, title=title, t=trigger, channels=CHANNEL_LABELS, **context)


def _blank() -> Trigger:
    return Trigger(id="", event="", form_letter_id="", delay_minutes=0, channel="", disabled=False)


async def _load(request: Request[Any, Any, State], caller: Caller, trigger_id: str) -> Trigger | None:
    if trigger_id == "new":
        return _blank()
    if not TRIGGER_ID.match(trigger_id):
        return None
    return next((t for t in await notifications_of(request).triggers(caller) if t.id == trigger_id), None)


async def _loaded(
    request: Request[Any, Any, State], session: CurrentSession, trigger_id: str
) -> tuple[Trigger, Choices] | Template:
    """The trigger (blank for `new`) and what the form offers; or the page saying why not."""
    caller = session.staff.caller()
    try:
        trigger, choices = await asyncio.gather(_load(request, caller, trigger_id), _choices(request, caller))
    except (grpc.aio.AioRpcError, UpstreamError) as exc:
        status, message = _refused(exc)
        return _form_page(session, status, None, choices=None, error=message)
    if trigger is None:
        return _form_page(session, 404, None, choices=None, error=NOT_FOUND)
    return trigger, choices


@get("/triggers/{trigger_id:str}", include_in_schema=False)
async def trigger_page(request: Request[Any, Any, State], trigger_id: FromPath[str]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    loaded = await _loaded(request, session, trigger_id)
    if isinstance(loaded, Template):
        return loaded
    trigger, choices = loaded
    delay = str(trigger.delay_minutes)
    return _form_page(session, 200, trigger, choices=choices, delay=delay, request_id=str(uuid.uuid4()))


def _typed(form: dict[str, str], trigger_id: str) -> tuple[Trigger, str, dict[str, str]]:
    """The trigger as typed, the delay as typed, and what is wrong with it before asking anyone."""
    errors: dict[str, str] = {}
    delay_text = form.get("delay_minutes", "").strip() or "0"
    delay = int(delay_text) if delay_text.isdigit() and len(delay_text) < 7 else -1
    if not 0 <= delay <= MAX_DELAY_MINUTES:
        errors["delay_minutes"] = f"Enter whole minutes from 0 to {MAX_DELAY_MINUTES} (30 days)."
    event = form.get("event", "")
    if not event.startswith(("sessionStatuses/", "sessionTypes/")):
        errors["event"] = "Choose when the letter goes."
    if not form.get("form_letter"):
        errors["form_letter"] = "Choose the form letter to send."
    channel = form.get("channel", "")
    if channel not in CHANNEL_LABELS:
        errors["channel"] = "Choose email, SMS, or the client's."
    trigger = Trigger(
        id="" if trigger_id == "new" else trigger_id,
        event=event,
        form_letter_id=form.get("form_letter", ""),
        delay_minutes=max(delay, 0),
        channel=channel if channel in CHANNEL_LABELS else "",
        disabled=form.get("active") != "on",
    )
    return trigger, delay_text, errors


@post("/triggers/{trigger_id:str}", include_in_schema=False)
async def trigger_submit(request: Request[Any, Any, State], trigger_id: FromPath[str]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    caller = session.staff.caller()
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    loaded = await _loaded(request, session, trigger_id)
    if isinstance(loaded, Template):
        return loaded
    choices = loaded[1]
    typed, delay_text, errors = _typed(form, trigger_id)
    request_id = form.get("request_id", "")  # a form posted twice creates one trigger
    request_id = request_id if 8 <= len(request_id) <= 100 else str(uuid.uuid4())
    if not errors:
        client = notifications_of(request)
        try:
            if typed.id:
                await client.update_trigger(caller, typed)
            else:
                await client.create_trigger(caller, typed, request_id)
            done = "saved" if typed.id else "created"
            return Redirect(f"/triggers?done={done}", headers=NO_STORE)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                status, message = _refused(exc)
                return _form_page(
                    session, status, typed, choices=choices, delay=delay_text, error=message, request_id=request_id
                )
            for name, description in field_errors(exc).items():
                errors[FORM_FIELD.get(name, "event")] = description[:1].upper() + description[1:]
    summary = (
        "Not saved: please correct the field marked below."
        if len(errors) == 1
        else (f"Not saved: please correct the {len(errors)} fields marked below.")
    )
    return _form_page(
        session, 422, typed, choices=choices, delay=delay_text, errors=errors, error=summary, request_id=request_id
    )


TRIGGER_HANDLERS = [triggers_page, trigger_page, trigger_submit]
