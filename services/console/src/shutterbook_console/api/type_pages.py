"""Session and appointment type setup in the console (reference page 05), managers and owners
only (scheduling's `setup.write`): the list of types, and a type's editor with its tabs:
General, Online Booking (every online setting, the marketing image, "Copy Online Booking
URL") and Price List Items. Each tab saves only its own fields; scheduling's refusals are shown
beside the field they name."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook_console.api.deps import current_session
from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.application.bulk_wizard import MANAGING
from shutterbook_console.application.keys import KeyAdmin, KeyAdminError
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.application.type_setup import (
    TabChoices,
    booking_url,
    get_type,
    list_types,
    save_tab,
    tab_choices,
)
from shutterbook_console.domain.type_form import (
    KINDS,
    TABS,
    TypeForm,
    form_field,
    form_values,
    general_form,
    online_form,
    prices_form,
)
from shutterbook_console.settings import ConsoleSettings
from shutterbook_console.upstreams import UpstreamError, Upstreams

TYPE_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
TOKEN = re.compile(r"^[0-9A-Za-z_=-]{0,500}$")
FORBIDDEN = "Session and appointment types are set up by managers and owners."
TAB_LABELS = {"general": "General", "online": "Online Booking", "prices": "Price List Items"}
DONE = {"saved": "Saved.", "image": "Marketing image saved.", "image_removed": "Marketing image removed."}


def upstreams_of(request: Request[Any, Any, State]) -> Upstreams:
    up: Upstreams = request.app.state.upstreams
    return up


def may_set_up(session: CurrentSession) -> bool:
    return any(role in MANAGING for role in session.staff.roles)


def refused(exc: UpstreamError) -> tuple[int, str]:
    status = {"NOT_FOUND": 404, "PERMISSION_DENIED": 403}.get(exc.code.name, 503)
    return status, exc.message[:1].upper() + exc.message[1:] + "."


def beside_fields(exc: UpstreamError, to_field: Callable[[str], str], errors: dict[str, str]) -> tuple[int, str]:
    """An upstream's refusal put beside the form's fields (`to_field`: its field path -> the
    form's field, "" for none: then under "form"); (status, message) for a refusal naming no
    field (422 and "" when it named some)."""
    for violation in exc.violations:
        name = to_field(violation.field) or "form"
        errors.setdefault(name, violation.description[:1].upper() + violation.description[1:] + ".")
    return (422, "") if exc.violations else refused(exc)


def not_saved(errors: dict[str, str]) -> str:
    """The summary above a form with `errors` ("" when there are none)."""
    if not errors:
        return ""
    count = len(errors)
    error = f"Not saved: please correct the {'field' if count == 1 else f'{count} fields'} marked below."
    return error + " " + errors["form"] if "form" in errors else error


async def manager_session(request: Request[Any, Any, State]) -> CurrentSession | Redirect | Template:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    if not may_set_up(session):
        return staff_page("types.html", session, 403, title="Session and appointment types", error=FORBIDDEN)
    return session


@get("/types", include_in_schema=False)
async def types_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    up, caller = upstreams_of(request), session.staff.caller()
    pages = {key: request.query_params.get(key, "") for key in ("sp", "ap")}
    context: dict[str, Any] = {"title": "Session and appointment types", "pages": pages}
    if not all(TOKEN.match(token) for token in pages.values()):
        return staff_page("types.html", session, 400, error="That page of the list does not exist.", **context)
    try:
        sessions, next_sessions = await list_types(up, caller, "sessionTypes", pages["sp"])
        appointments, next_appointments = await list_types(up, caller, "appointmentTypes", pages["ap"])
    except UpstreamError as exc:
        status, message = refused(exc)
        return staff_page("types.html", session, status, error=message, **context)
    return staff_page(
        "types.html",
        session,
        session_types=sessions,
        next_sessions=next_sessions,
        appointment_types=appointments,
        next_appointments=next_appointments,
        **context,
    )


async def page_key(settings: ConsoleSettings, session: CurrentSession) -> tuple[str, str]:
    """The publishable key booking links carry: the company's own (the gateway issues one on
    first use) when the console reaches the gateway's key administration, else the configured
    one (a console without the gateway's address serves one studio); and why the company's own
    is missing, if it is: then no key at all, never the configured one, which may be another
    company's."""
    if not (settings.gateway_admin_url and settings.booking_page_url):
        return settings.booking_page_key, ""
    try:
        return await KeyAdmin(settings.gateway_admin_url).booking_page_key(session.staff.caller()), ""
    except KeyAdminError as exc:
        return "", exc.message


async def editor_page(
    request: Request[Any, Any, State], session: CurrentSession, status: int, collection: str, **context: Any
) -> Template:
    settings: ConsoleSettings = request.app.state.settings
    kind = KINDS[collection]
    t = context.get("t")
    type_id = t.name.split("/", 1)[1] if t is not None else ""
    context.setdefault("title", t.display_name if t is not None else "Type")
    key, key_problem = await page_key(settings, session) if t is not None else ("", "")
    return staff_page(
        "type.html",
        session,
        status,
        collection=collection,
        kind=kind,
        tabs=TAB_LABELS,
        booking_url=booking_url(settings.booking_page_url, key, kind, type_id) if key or not key_problem else "",
        key_problem=key_problem,
        **context,
    )


@dataclass(frozen=True)
class LoadedType:
    """A type a manager opened: who, the type and the choices its tabs offer."""

    session: CurrentSession
    t: Any
    choices: Any


async def loaded_type(
    request: Request[Any, Any, State], collection: str, type_id: str
) -> LoadedType | Template | Redirect:
    """The type a manager's page is about, or the page that says why not (login, 403, 404)."""
    session = await manager_session(request)
    if not isinstance(session, CurrentSession):
        return session
    if collection not in KINDS or not TYPE_ID.match(type_id):
        return await editor_page(request, session, 404, "session-types", t=None, error="There is no such type.")
    up, caller = upstreams_of(request), session.staff.caller()
    try:
        return LoadedType(
            session,
            await get_type(up, caller, KINDS[collection], type_id),
            await tab_choices(up, caller, f"{KINDS[collection]}/{type_id}"),
        )
    except UpstreamError as exc:
        status, message = refused(exc)
        return await editor_page(request, session, status, collection, t=None, error=message)


@get("/types/{collection:str}/{type_id:str}", include_in_schema=False)
async def type_page(
    request: Request[Any, Any, State], collection: FromPath[str], type_id: FromPath[str]
) -> Template | Redirect:
    loaded = await loaded_type(request, collection, type_id)
    if not isinstance(loaded, LoadedType):
        return loaded
    session, t, choices = loaded.session, loaded.t, loaded.choices
    tab = request.query_params.get("tab", "general")
    tab = tab if tab in TABS else "general"
    notice = DONE.get(request.query_params.get("done", ""), "")
    values = form_values(t, choices.currency)
    return await editor_page(request, session, 200, collection, t=t, c=choices, tab=tab, v=values, notice=notice)


def _parsed(tab: str, kind: str, t: Any, form: Any, choices: TabChoices) -> TypeForm:
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    name = t.name
    if tab == "online":
        # billing's promotions for the type, and those it offers already (kept when billing's
        # list no longer names them, until unticked)
        codes = [p.code for p in choices.promotions] + list(t.online.online_promotions)
        return online_form(kind, name, fields, [str(x) for x in form.getall("online_promotions", [])], codes)
    if tab == "prices":
        known = [i.name for i in choices.price_items]
        return prices_form(kind, name, [str(x) for x in form.getall("price_list_items", [])], known)
    return general_form(kind, name, fields)


@post("/types/{collection:str}/{type_id:str}", include_in_schema=False)
async def type_submit(
    request: Request[Any, Any, State], collection: FromPath[str], type_id: FromPath[str]
) -> Template | Redirect:
    loaded = await loaded_type(request, collection, type_id)
    if not isinstance(loaded, LoadedType):
        return loaded
    session, t, choices = loaded.session, loaded.t, loaded.choices
    form = await request.form()
    tab = str(form.get("tab", "general"))
    tab = tab if tab in TABS else "general"
    typed = _parsed(tab, KINDS[collection], t, form, choices)
    errors = dict(typed.errors)
    status, error = 422, ""
    if not errors:
        try:
            await save_tab(upstreams_of(request), session.staff.caller(), typed)
            return Redirect(f"/types/{collection}/{type_id}?tab={tab}&done=saved", headers=NO_STORE)
        except UpstreamError as exc:
            status, error = beside_fields(exc, form_field, errors)
    error = not_saved(errors) or error
    values = {**form_values(t, choices.currency), **typed.typed}
    return await editor_page(
        request, session, status, collection, t=t, c=choices, tab=tab, v=values, errors=errors, error=error
    )


TYPE_HANDLERS = [types_page, type_page, type_submit]
