"""Picture days in the console (issue 21): the hub (`/picture-days`: every day with booked / not
booked / total), the "New picture day" form (`/picture-days/new`, managers and owners), a day's
page (`/picture-days/{id}`: live progress, the families not booked yet a page at a time, and the
access codes: issue and print, issue and email, a family's new code, revoke; the reminder to
families not booked), and the JSON API behind them (`/api/v1/picture-days`).

Anyone logged in may look (scheduling's `calendar.read`); creating and the codes are for
managers and owners (`bulk.run`, checked again by scheduling); a refusal is a 403 page or
problem, never a 500. How codes reach families: see `application/picture_day_letters.py`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from shutterbook_console.api.deps import current_session, provide_session, provide_settings
from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.api.problems import problem, problem_responses
from shutterbook_console.api.type_pages import page_key, upstreams_of
from shutterbook_console.application import picture_days as days
from shutterbook_console.application.bulk_wizard import may_run, wizard_choices
from shutterbook_console.application.picture_day_letters import (
    Letterhead,
    Portal,
    code_letters,
    email_codes,
    email_reminders,
    letterhead,
)
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.notifications_client import NotificationsClient
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import DomainError, FieldViolation, InvalidArgument
from shutterbook_kit.identity import Caller

TOKEN = re.compile(r"^[0-9A-Za-z_=-]{0,500}$")
ID = re.compile(r"^[0-9a-fA-F-]{36}$")
FORBIDDEN = "Picture days are created, and their codes issued, by managers and owners."
TITLE = "Picture days"


async def _portal(request: Request[Any, Any, State], session: CurrentSession) -> Portal:
    """The portal's address with the company's own publishable key (as "Copy Online Booking
    URL" has it); no key when the gateway cannot give it: codes are then refused, not sent with
    a key that may be another company's."""
    settings = provide_settings(request)
    key, _ = await page_key(settings, session)
    return Portal(settings.booking_page_url, key)


def _notifications(request: Request[Any, Any, State]) -> NotificationsClient:
    client: NotificationsClient = request.app.state.notifications
    return client


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _status(exc: DomainError) -> int:
    name = exc.code.name
    return {"NOT_FOUND": 404, "PERMISSION_DENIED": 403, "FAILED_PRECONDITION": 409, "INVALID_ARGUMENT": 422}.get(
        name, 503
    )


# --- the JSON API -----------------------------------------------------------------------------------


class CreatedBody(msgspec.Struct):
    id: str
    display_name: str
    families_total: int
    slots_total: int
    skipped_families: int


class DayBody(msgspec.Struct):
    id: str
    display_name: str
    opens: str
    closes: str
    time_zone: str
    progress: days.ProgressBody


class DaysBody(msgspec.Struct):
    picture_days: list[DayBody]
    next_page_token: str


async def provide_manager(request: Request[Any, Any, State]) -> CurrentSession:
    session = await provide_session(request)
    if not may_run(session.staff.roles):
        raise problem(403, FORBIDDEN, code="PERMISSION_DENIED")
    return session


def _day_body(view: days.DayView) -> DayBody:
    return DayBody(view.id, view.display_name, view.opens, view.closes, view.time_zone, view.progress)


class PictureDayController(Controller):
    path = "/api/v1/picture-days"
    tags = ["picture days"]
    dependencies = {"up": Provide(upstreams_of, sync_to_thread=False)}

    @post(
        "",
        operation_id="createPictureDay",
        summary="Create a picture day (managers and owners)",
        description="Times are the location's wall clock (`YYYY-MM-DDTHH:MM`). A retry with the same "
        "`request_id` returns the same day.",
        status_code=201,
        dependencies={"session": Provide(provide_manager)},
        responses=problem_responses(400, 401, 403, 404, 409, 422),
    )
    async def create(
        self,
        session: NamedDependency[CurrentSession],
        up: NamedDependency[Upstreams],
        data: JSONBody[days.PictureDayInput],
    ) -> CreatedBody:
        day = await days.create_picture_day(up, session.staff.caller(), data)
        return CreatedBody(
            day.name.removeprefix(days.PREFIX),
            day.display_name,
            day.progress.families_total,
            day.progress.slots_total,
            day.skipped_families,
        )

    @get(
        "",
        operation_id="listPictureDays",
        summary="The company's picture days, newest first, with their progress",
        dependencies={"session": Provide(provide_session)},
        responses=problem_responses(400, 401, 403),
    )
    async def index(
        self, session: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], page_token: FromQuery[str] = ""
    ) -> DaysBody:
        if not TOKEN.match(page_token):
            raise problem(400, "the page token is not valid", code="INVALID_REQUEST")
        found, token = await days.list_days(up, session.staff.caller(), page_token)
        return DaysBody([_day_body(v) for v in found], token)

    @get(
        "/{day_id:uuid}/progress",
        operation_id="getPictureDayProgress",
        summary="Booked / not yet booked / total of a picture day, now",
        dependencies={"session": Provide(provide_session)},
        responses=problem_responses(401, 403, 404),
    )
    async def progress(
        self, session: NamedDependency[CurrentSession], up: NamedDependency[Upstreams], day_id: FromPath[uuid.UUID]
    ) -> days.ProgressBody:
        day = await days.get_day(up, session.staff.caller(), str(day_id))
        return days.progress_of(day)


# --- the pages --------------------------------------------------------------------------------------


def _message(session: CurrentSession, status: int, message: str) -> Template:
    return staff_page("picture_days.html", session, status, title=TITLE, days=[], error=message)


@get("/picture-days", include_in_schema=False)
async def picture_days_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    page_token = str(request.query_params.get("page", ""))
    page_token = page_token if TOKEN.match(page_token) else ""
    try:
        found, next_page = await days.list_days(upstreams_of(request), session.staff.caller(), page_token)
    except UpstreamError as exc:
        return _message(session, _status(exc), _sentence(exc.message))
    return staff_page(
        "picture_days.html",
        session,
        title=TITLE,
        days=found,
        next_page=next_page,
        page_token=page_token,
        may_create=may_run(session.staff.roles),
    )


@get("/picture-days/new", include_in_schema=False)
async def new_picture_day_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    if not may_run(session.staff.roles):
        return _message(session, 403, FORBIDDEN)
    try:
        offered = await wizard_choices(upstreams_of(request), session.staff.caller())
    except UpstreamError as exc:
        return _message(session, _status(exc), _sentence(exc.message))
    return staff_page(
        "picture_day_new.html",
        session,
        title="New picture day",
        c=offered,
        choices_json=msgspec.json.encode(offered.locations).decode(),
        request_id=str(uuid.uuid4()),
    )


NOTICES = {
    "emailed": "Codes emailed to {sent} families.",
    "reminded": "Reminder emailed to {sent} families not booked yet.",
    "revoked": "The family's code is revoked: it opens nothing now.",
    "none": "Every family already has a code: nothing was issued. Use a family's “New code” to replace one.",
}


def _notice(query: Any) -> str:
    done = str(query.get("done", ""))
    if done not in NOTICES:
        return ""
    counts = {k: int(v) if str(v).isdigit() else 0 for k in ("sent", "no_email", "failed") if (v := query.get(k, "0"))}
    text = NOTICES[done].format(sent=counts.get("sent", 0))
    if counts.get("no_email"):
        text += f" {counts['no_email']} families have no email address"
        text += ": print their letters." if done == "emailed" else "."
    if counts.get("failed"):
        text += f" {counts['failed']} could not be sent; try again shortly (a new code replaces the old one)."
    return text


async def _day_page(
    request: Request[Any, Any, State], session: CurrentSession, day_id: str, status: int = 200, error: str = ""
) -> Template:
    up, caller = upstreams_of(request), session.staff.caller()
    show_all = request.query_params.get("show") == "all"
    page_token = str(request.query_params.get("page", ""))
    page_token = page_token if TOKEN.match(page_token) else ""
    try:
        day = await days.get_day(up, caller, day_id)
        families, next_page = await days.family_page(up, caller, day_id, not show_all, page_token)
    except UpstreamError as exc:
        return _message(session, _status(exc), _sentence(exc.message))
    return staff_page(
        "picture_day.html",
        session,
        status,
        title=day.display_name,
        day=days.DayView.of(day),
        families=families,
        next_page=next_page,
        page_token=page_token,
        show_all=show_all,
        may_manage=may_run(session.staff.roles),
        portal=await _portal(request, session),
        batch=str(uuid.uuid4()),
        notice=_notice(request.query_params),
        error=error,
    )


@get("/picture-days/{day_id:uuid}", include_in_schema=False)
async def picture_day_page(request: Request[Any, Any, State], day_id: FromPath[uuid.UUID]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    return await _day_page(request, session, str(day_id))


async def _manager(request: Request[Any, Any, State], day_id: str) -> CurrentSession | Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    if not may_run(session.staff.roles):
        return await _day_page(request, session, day_id, 403, FORBIDDEN)
    return session


def _back(day_id: str, **query: Any) -> Redirect:
    return Redirect(f"/picture-days/{day_id}?" + urlencode(query), headers=NO_STORE)


@dataclass(frozen=True)
class _Codes:
    """What a manager's code action works with: who, the upstreams, the portal, the letterhead."""

    session: CurrentSession
    up: Upstreams
    caller: Caller
    portal: Portal
    day_id: str

    async def head(self, request: Request[Any, Any, State]) -> Letterhead:
        studio = provide_settings(request).studio_name
        return await letterhead(self.up, self.caller, self.day_id, studio, self.portal)


async def _codes(request: Request[Any, Any, State], day_id: str) -> _Codes | Template | Redirect:
    session = await _manager(request, day_id)
    if not isinstance(session, CurrentSession):
        return session
    return _Codes(session, upstreams_of(request), session.staff.caller(), await _portal(request, session), day_id)


async def _family(request: Request[Any, Any, State]) -> list[str] | None:
    """The family a form names (`family`: a client id) for a new code; None (no `family`):
    every family without one. A `family` that is not a client id is refused, never read as
    "every family"."""
    family = str((await request.form()).get("family", ""))
    if not family:
        return None
    if not ID.match(family):
        raise InvalidArgument("the request has invalid fields", violations=[FieldViolation("family", "not a client")])
    return [family]


@post("/picture-days/{day_id:uuid}/letters", include_in_schema=False, status_code=200)
async def print_letters(request: Request[Any, Any, State], day_id: FromPath[uuid.UUID]) -> Response[bytes] | Any:
    """Issues codes (every family without one, or the family named) and answers with their
    letters, one page per family: the only time the codes can be printed."""
    work = await _codes(request, str(day_id))
    if not isinstance(work, _Codes):
        return work
    session, up, caller, portal = work.session, work.up, work.caller, work.portal
    try:
        named = await _family(request)
        head = await work.head(request)
        codes = await days.issue_codes(up, caller, str(day_id), named)
    except DomainError as exc:
        return await _day_page(request, session, str(day_id), _status(exc), _sentence(exc.message))
    if not codes:
        return _back(str(day_id), done="none")
    pdf = code_letters(head, portal, codes)
    filename = "picture-day-codes.pdf" if named is None else "picture-day-code.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
    )


@post("/picture-days/{day_id:uuid}/emails", include_in_schema=False)
async def email_code_letters(request: Request[Any, Any, State], day_id: FromPath[uuid.UUID]) -> Any:
    """Issues codes to the families without one that have an email address (or the family
    named) and emails each its code through notifications."""
    work = await _codes(request, str(day_id))
    if not isinstance(work, _Codes):
        return work
    session, up, caller, portal = work.session, work.up, work.caller, work.portal
    try:
        named = await _family(request)
        head = await work.head(request)
        if named is None:
            lacking = [f for f in await days.all_families(up, caller, str(day_id), False) if not f.has_code]
            wanted = [f.client_id for f in lacking if f.email]
            no_email = len(lacking) - len(wanted)
        else:
            wanted, no_email = named, 0
        codes = await days.issue_codes(up, caller, str(day_id), wanted) if wanted else []
    except DomainError as exc:
        return await _day_page(request, session, str(day_id), _status(exc), _sentence(exc.message))
    if not codes and not no_email:
        return _back(str(day_id), done="none")

    async def revoke(client_ids: list[str]) -> None:
        await days.revoke_codes(up, caller, str(day_id), client_ids)

    mailing = await email_codes(_notifications(request), caller, head, portal, codes, revoke)
    return _back(str(day_id), done="emailed", sent=mailing.sent, no_email=no_email, failed=len(mailing.failed))


@post("/picture-days/{day_id:uuid}/reminders", include_in_schema=False)
async def email_reminder(request: Request[Any, Any, State], day_id: FromPath[uuid.UUID]) -> Any:
    """A reminder to every family not booked yet that has an email address."""
    work = await _codes(request, str(day_id))
    if not isinstance(work, _Codes):
        return work
    session, up, caller, portal = work.session, work.up, work.caller, work.portal
    batch = str((await request.form()).get("batch", ""))
    batch = batch if ID.match(batch) else str(uuid.uuid4())
    try:
        head = await work.head(request)
        waiting = await days.all_families(up, caller, str(day_id), True)
    except DomainError as exc:
        return await _day_page(request, session, str(day_id), _status(exc), _sentence(exc.message))
    mailing = await email_reminders(_notifications(request), caller, head, portal, waiting, batch)
    return _back(
        str(day_id), done="reminded", sent=mailing.sent, no_email=mailing.without_email, failed=len(mailing.failed)
    )


@post("/picture-days/{day_id:uuid}/families/{client_id:uuid}/revoke", include_in_schema=False)
async def revoke_code(
    request: Request[Any, Any, State], day_id: FromPath[uuid.UUID], client_id: FromPath[uuid.UUID]
) -> Any:
    session = await _manager(request, str(day_id))
    if not isinstance(session, CurrentSession):
        return session
    try:
        await days.revoke_code(upstreams_of(request), session.staff.caller(), str(day_id), str(client_id))
    except UpstreamError as exc:
        return await _day_page(request, session, str(day_id), _status(exc), _sentence(exc.message))
    return _back(str(day_id), done="revoked")


PICTURE_DAY_HANDLERS: list[ControllerRouterHandler] = [
    PictureDayController,
    picture_days_page,
    new_picture_day_page,
    picture_day_page,
    print_letters,
    email_code_letters,
    email_reminder,
    revoke_code,
]
