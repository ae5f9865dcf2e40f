"""Studio setup, company, in the console (issue 17): the studio's name, address, contact, brand
colour, currency and default tax rate, and its logo, kept by scheduling. Managers and owners
only (scheduling's `setup.write`; others get the page saying so). The form is shown back with
each refusal beside its field; the preview shows the booking page's header as customers will
see it (logo, name, brand colour)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.api.deps import current_session
from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.api.type_image_pages import image_response, read_upload
from shutterbook_console.api.type_pages import beside_fields, may_set_up, not_saved, refused, upstreams_of
from shutterbook_console.application import company_setup
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.domain.company_form import form_field, parse_company
from shutterbook_console.upstreams import UpstreamError

TITLE = "Studio setup: company"
FORBIDDEN = "The studio's company details are set up by managers and owners."
MAX_LOGO = 256 * 1024
LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
BODY_LIMIT = MAX_LOGO + 64 * 1024  # the logo, the form's other parts and the multipart framing
DONE = {"saved": "Saved.", "logo": "Logo saved.", "logo_removed": "Logo removed."}


async def _manager(request: Request[Any, Any, State]) -> CurrentSession | Redirect | Template:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    if not may_set_up(session):
        return staff_page("company.html", session, 403, title=TITLE, error=FORBIDDEN, profile=None)
    return session


def _page(session: CurrentSession, status: int, profile: pb.CompanyProfile | None, **context: Any) -> Template:
    values = context.pop("v", None)
    if values is None and profile is not None:
        values = company_setup.form_values(profile)
    return staff_page("company.html", session, status, title=TITLE, profile=profile, v=values or {}, **context)


@get("/setup/company", include_in_schema=False)
async def company_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await _manager(request)
    if not isinstance(session, CurrentSession):
        return session
    try:
        profile = await company_setup.get_profile(upstreams_of(request), session.staff.caller())
    except UpstreamError as exc:
        status, message = refused(exc)
        return _page(session, status, None, error=message)
    return _page(session, 200, profile, notice=DONE.get(request.query_params.get("done", ""), ""))


@post("/setup/company", include_in_schema=False)
async def company_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await _manager(request)
    if not isinstance(session, CurrentSession):
        return session
    up, caller = upstreams_of(request), session.staff.caller()
    form = await request.form()
    parsed = parse_company({k: str(v) for k, v in form.items() if isinstance(v, str)})
    errors = dict(parsed.errors)
    status, error = 422, ""
    if not errors:
        try:
            await company_setup.save_profile(up, caller, parsed.values)
            return Redirect("/setup/company?done=saved", headers=NO_STORE)
        except UpstreamError as exc:
            status, error = beside_fields(exc, form_field, errors)
    error = not_saved(errors) or error
    try:
        profile = await company_setup.get_profile(up, caller)
    except UpstreamError:
        profile = pb.CompanyProfile()
    return _page(session, status, profile, v=parsed.typed, errors=errors, error=error)


@get("/setup/company/logo", include_in_schema=False)
async def company_logo(request: Request[Any, Any, State]) -> Response[bytes] | Redirect | Template:
    session = await _manager(request)
    if not isinstance(session, CurrentSession):
        return session
    try:
        logo = await company_setup.get_logo(upstreams_of(request), session.staff.caller())
    except UpstreamError as exc:
        status, _ = refused(exc)
        return Response(b"no logo", status_code=status, media_type="text/plain")
    return image_response(logo.data, logo.content_type)


@post("/setup/company/logo", include_in_schema=False, request_max_body_size=BODY_LIMIT)
async def company_logo_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await _manager(request)
    if not isinstance(session, CurrentSession):
        return session
    up, caller = upstreams_of(request), session.staff.caller()
    form = await request.form()
    problem = ""
    try:
        if form.get("remove"):
            await company_setup.delete_logo(up, caller)
            return Redirect("/setup/company?done=logo_removed", headers=NO_STORE)
        content_type, data, problem = await read_upload(form, "logo", LOGO_TYPES, MAX_LOGO, "logo")
        if not problem:
            await company_setup.save_logo(up, caller, content_type, data)
            return Redirect("/setup/company?done=logo", headers=NO_STORE)
    except UpstreamError as exc:
        if not exc.violations:
            status, message = refused(exc)
            return _page(session, status, None, error=message)
        problem = exc.violations[0].description
        problem = f"The logo {problem}."
    try:
        profile = await company_setup.get_profile(up, caller)
    except UpstreamError:
        profile = pb.CompanyProfile()
    return _page(session, 422, profile, errors={"logo": problem}, error="Logo not saved: see the message below.")


COMPANY_HANDLERS = [company_page, company_submit, company_logo, company_logo_submit]
