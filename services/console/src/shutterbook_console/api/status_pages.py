"""Studio setup, session statuses and the numbering preference, in the console (issue 17),
managers and owners only (scheduling's `setup.write`). Statuses: list, add, edit (name, due-in
days, the default for new sessions), delete (refused while sessions or types use one, with
scheduling's reason). Numbering: the number the next session gets and its prefix."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.api.location_pages import in_use, notice, save_checked, setup_session
from shutterbook_console.api.type_pages import TYPE_ID, refused, upstreams_of
from shutterbook_console.application import studio_lists as lists
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.domain.setup_items import item_field, parse_numbering, parse_status
from shutterbook_console.upstreams import UpstreamError

STATUSES_TITLE = "Studio setup: session statuses"
NUMBERING_TITLE = "Studio setup: numbering"
STATUS_FIELDS = ("display_name", "due_in_days", "is_default")


def _fields(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


async def _statuses_page(
    request: Request[Any, Any, State], session: CurrentSession, status: int = 200, **context: Any
) -> Template:
    try:
        statuses = await lists.list_statuses(upstreams_of(request), session.staff.caller())
    except UpstreamError as exc:
        status, message = refused(exc)
        return staff_page("statuses.html", session, status, title=STATUSES_TITLE, error=message, statuses=[])
    context.setdefault("v", {"due_in_days": "0"})
    context.setdefault("notice", notice(request))
    return staff_page("statuses.html", session, status, title=STATUSES_TITLE, statuses=statuses, **context)


@get("/setup/statuses", include_in_schema=False)
async def statuses_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "statuses.html", STATUSES_TITLE)
    if not isinstance(session, CurrentSession):
        return session
    return await _statuses_page(request, session)


@post("/setup/statuses", include_in_schema=False)
async def status_create(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "statuses.html", STATUSES_TITLE)
    if not isinstance(session, CurrentSession):
        return session
    parsed = parse_status(_fields(await request.form()))
    done = await save_checked(
        parsed.errors,
        lambda: lists.create_status(upstreams_of(request), session.staff.caller(), parsed.values),
        lambda p: item_field(p, STATUS_FIELDS),
    )
    if done.saved:
        return Redirect("/setup/statuses?done=added", headers=NO_STORE)
    return await _statuses_page(request, session, done.status, v=parsed.typed, errors=done.errors, error=done.error)


def _status_page(
    session: CurrentSession, status: int, status_id: str, record: pb.SessionStatus | None, **context: Any
) -> Template:
    if record is not None:
        context.setdefault("v", lists.status_values(record))
    title = f"Session status: {record.display_name}" if record is not None else "Session status"
    context.setdefault("v", {})
    return staff_page("status.html", session, status, title=title, status_id=status_id, record=record, **context)


async def _status(
    request: Request[Any, Any, State], status_id: str
) -> tuple[CurrentSession | Redirect | Template, Any]:
    session = await setup_session(request, "status.html", STATUSES_TITLE)
    if not isinstance(session, CurrentSession):
        return session, None
    if not TYPE_ID.match(status_id):
        return _status_page(session, 404, status_id, None, error="That status does not exist."), None
    try:
        record = await lists.get_status(upstreams_of(request), session.staff.caller(), status_id)
    except UpstreamError as exc:
        code, message = refused(exc)
        return _status_page(session, code, status_id, None, error=message), None
    return session, record


@get("/setup/statuses/{status_id:str}", include_in_schema=False)
async def status_page(request: Request[Any, Any, State], status_id: FromPath[str]) -> Template | Redirect:
    session, record = await _status(request, status_id)
    if not isinstance(session, CurrentSession):
        return session
    return _status_page(session, 200, status_id, record, notice=notice(request))


@post("/setup/statuses/{status_id:str}", include_in_schema=False)
async def status_submit(request: Request[Any, Any, State], status_id: FromPath[str]) -> Template | Redirect:
    session, record = await _status(request, status_id)
    if not isinstance(session, CurrentSession):
        return session
    parsed = parse_status(_fields(await request.form()))
    done = await save_checked(
        parsed.errors,
        lambda: lists.update_status(upstreams_of(request), session.staff.caller(), status_id, parsed.values),
        lambda p: item_field(p, STATUS_FIELDS),
    )
    if done.saved:
        return Redirect(f"/setup/statuses/{status_id}?done=saved", headers=NO_STORE)
    return _status_page(session, done.status, status_id, record, v=parsed.typed, errors=done.errors, error=done.error)


@post("/setup/statuses/{status_id:str}/delete", include_in_schema=False)
async def status_delete(request: Request[Any, Any, State], status_id: FromPath[str]) -> Template | Redirect:
    session, record = await _status(request, status_id)
    if not isinstance(session, CurrentSession):
        return session
    try:
        await lists.delete_status(upstreams_of(request), session.staff.caller(), status_id)
    except UpstreamError as exc:
        code, message = in_use(exc, f'The status "{record.display_name}"')
        return _status_page(session, code, status_id, record, error=message)
    return Redirect("/setup/statuses?done=deleted", headers=NO_STORE)


@get("/setup/numbering", include_in_schema=False)
async def numbering_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "numbering.html", NUMBERING_TITLE)
    if not isinstance(session, CurrentSession):
        return session
    try:
        prefs = await lists.get_numbering(upstreams_of(request), session.staff.caller())
    except UpstreamError as exc:
        code, message = refused(exc)
        return staff_page("numbering.html", session, code, title=NUMBERING_TITLE, error=message, forbidden=True)
    v = lists.numbering_values(prefs)
    return staff_page("numbering.html", session, title=NUMBERING_TITLE, v=v, notice=notice(request))


@post("/setup/numbering", include_in_schema=False)
async def numbering_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "numbering.html", NUMBERING_TITLE)
    if not isinstance(session, CurrentSession):
        return session
    parsed = parse_numbering(_fields(await request.form()))
    done = await save_checked(
        parsed.errors,
        lambda: lists.save_numbering(upstreams_of(request), session.staff.caller(), parsed.values),
        lambda p: item_field(p, ("next_session_number", "session_number_prefix")),
    )
    if done.saved:
        return Redirect("/setup/numbering?done=saved", headers=NO_STORE)
    context = {"title": NUMBERING_TITLE, "v": parsed.typed, "errors": done.errors, "error": done.error}
    return staff_page("numbering.html", session, done.status, **context)


STATUS_HANDLERS = [
    statuses_page,
    status_create,
    status_page,
    status_submit,
    status_delete,
    numbering_page,
    numbering_submit,
]
