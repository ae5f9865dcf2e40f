"""The console's pages: server-rendered HTML forms (Jinja), posted back here, CSRF-checked by
the middleware like every other state-changing request. A refused form is shown again with
what was typed (never the passwords) and each error beside its field."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import grpc
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook_console.api.auth import throttle_policy
from shutterbook_console.api.deps import (
    SESSION_COOKIE,
    clear_session_cookie,
    client_address,
    current_session,
    session_cookie,
)
from shutterbook_console.api.problems import status_of
from shutterbook_console.application.login import LoginLocked, LoginRequest, change_password, login
from shutterbook_console.application.oidc import begin_login, finish_login, provider_label
from shutterbook_console.application.resets import request_reset, reset_password
from shutterbook_console.application.sessions import end_session
from shutterbook_console.settings import ConsoleSettings
from shutterbook_kit.errors import DomainError, InvalidArgument
from shutterbook_kit.identity import Role

ROLE_LABELS = {
    Role.OWNER: "Owner",
    Role.MANAGER: "Manager",
    Role.FRONT_DESK: "Front desk",
    Role.PHOTOGRAPHER: "Photographer",
}
NO_STORE = {"Cache-Control": "no-store"}


def _settings(request: Request[Any, Any, State]) -> ConsoleSettings:
    settings: ConsoleSettings = request.app.state.settings
    return settings


def _company_param(request: Request[Any, Any, State]) -> str:
    company = request.query_params.get("company", "")
    try:
        return str(uuid.UUID(company)) if company else ""
    except ValueError:
        return ""


def _page(name: str, title: str, status: int = 200, **context: Any) -> Template:
    context.setdefault("errors", {})
    if context["errors"] and not context.get("error"):
        count = len(context["errors"])
        context["error"] = (
            "Please correct the field marked below."
            if count == 1
            else f"Please correct the {count} fields marked below."
        )
    return Template(name, context={"title": title, **context}, status_code=status, headers=NO_STORE)


def _field_errors(exc: DomainError) -> dict[str, str]:
    return {v.field: v.description.capitalize() for v in getattr(exc, "violations", [])}


async def _form(request: Request[Any, Any, State]) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


@get("/login", include_in_schema=False)
async def login_page(request: Request[Any, Any, State]) -> Template | Redirect:
    if await current_session(request) is not None:
        return Redirect("/")
    company = _company_param(request)
    label = await provider_label(request.app.state.db, company) if company else None
    notice = "You are logged out." if request.query_params.get("bye") else ""
    return _page("login.html", "Log in", email="", company=company, oidc_label=label, notice=notice)


@post("/login", include_in_schema=False)
async def login_submit(request: Request[Any, Any, State]) -> Response[Any]:
    settings = _settings(request)
    form = await _form(request)
    company = _company_param(request)
    email = form.get("email", "").strip()[:254]
    try:
        started = await login(
            request.app.state.db,
            LoginRequest(email, form.get("password", ""), client_address(request), company or None),
            throttle_policy(settings),
            settings.session_hours,
        )
    except DomainError as exc:
        label = await provider_label(request.app.state.db, company) if company else None
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, LoginLocked) else {}
        page = _page(
            "login.html", "Log in", status_of(exc), email=email, company=company, oidc_label=label, error=exc.message
        )
        page.headers.update(headers)
        return page
    return Redirect("/", cookies=[session_cookie(settings, started)], headers=NO_STORE)


@post("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, State]) -> Redirect:
    session = await current_session(request)
    if session is not None:
        await end_session(request.app.state.db, session.id_sha256)
    response = Redirect("/login?bye=1", headers=NO_STORE)
    clear_session_cookie(response, _settings(request))
    return response


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    staff = session.staff
    names = await request.app.state.locations.names(staff.company_id, staff.location_ids)
    roles = [{"key": r.value, "label": ROLE_LABELS[r]} for r in Role if r in staff.roles]
    try:  # the on-screen session reminders (page 02) of the last 12 hours
        reminders = await request.app.state.notifications.screen_reminders(staff.caller(), timedelta(hours=12))
    except grpc.aio.AioRpcError:
        reminders = None
    return _page(
        "home.html",
        "Staff console",
        body_class="app",
        staff=staff,
        roles=roles,
        locations=names,
        all_locations=Role.OWNER in staff.roles,
        method=session.method,
        reminders=reminders,
    )


@get("/forgot-password", include_in_schema=False)
async def forgot_page() -> Template:
    return _page("forgot.html", "Reset your password", email="")


@post("/forgot-password", include_in_schema=False)
async def forgot_submit(request: Request[Any, Any, State]) -> Template:
    settings = _settings(request)
    email = (await _form(request)).get("email", "").strip()[:254]
    if not email or "@" not in email:
        return _page(
            "forgot.html", "Reset your password", 422, email=email, errors={"email": "Enter the email you log in with"}
        )
    await request_reset(
        request.app.state.db,
        request.app.state.mailer,
        email,
        public_url=settings.public_url,
        minutes=settings.reset_minutes,
    )
    return _page("forgot.html", "Check your email", email=email, sent=True, minutes=settings.reset_minutes)


@get("/reset-password", include_in_schema=False)
async def reset_page() -> Template:
    return _page("reset.html", "Choose a new password", token="")


@post("/reset-password", include_in_schema=False)
async def reset_submit(request: Request[Any, Any, State]) -> Template:
    form = await _form(request)
    token = form.get("token", "")[:100]
    if form.get("new_password", "") != form.get("confirm_password", ""):
        errors = {"confirm_password": "The two passwords are not the same"}
        return _page("reset.html", "Choose a new password", 422, token=token, errors=errors)
    try:
        await reset_password(request.app.state.db, token, form.get("new_password", ""))
    except DomainError as exc:
        errors = _field_errors(exc)
        message = "" if isinstance(exc, InvalidArgument) else exc.message
        return _page("reset.html", "Choose a new password", status_of(exc), token=token, errors=errors, error=message)
    return _page("reset.html", "Password changed", done=True)


@get("/change-password", include_in_schema=False)
async def change_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    return _page("change.html", "Change your password", staff=session.staff)


@post("/change-password", include_in_schema=False)
async def change_submit(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await current_session(request)
    if session is None:
        return Redirect("/login")
    form = await _form(request)
    title = "Change your password"
    if form.get("new_password", "") != form.get("confirm_password", ""):
        errors = {"confirm_password": "The two new passwords are not the same"}
        return _page("change.html", title, 422, staff=session.staff, errors=errors)
    try:
        await change_password(
            request.app.state.db,
            session.staff.company_id,
            session.staff.id,
            form.get("current_password", ""),
            form.get("new_password", ""),
            session.id_sha256,
        )
    except DomainError as exc:
        return _page("change.html", title, status_of(exc), staff=session.staff, errors=_field_errors(exc))
    return _page("change.html", "Password changed", staff=session.staff, done=True)


@get("/login/oidc/{company_id:uuid}", include_in_schema=False)
async def oidc_start(request: Request[Any, Any, State], company_id: FromPath[uuid.UUID]) -> Response[Any]:
    try:
        url = await begin_login(request.app.state.db, str(company_id), _settings(request).public_url)
    except DomainError as exc:
        return _page("message.html", "Log in", status_of(exc), message=exc.message, link="/login", link_label="Log in")
    return Redirect(url, headers=NO_STORE)


@get("/login/oidc/callback", include_in_schema=False)
async def oidc_callback(request: Request[Any, Any, State]) -> Response[Any]:
    settings = _settings(request)
    try:
        started = await finish_login(
            request.app.state.db,
            request.query_params.get("state", ""),
            request.query_params.get("code", ""),
            settings.public_url,
            settings.session_hours,
        )
    except DomainError as exc:
        return _page("message.html", "Log in", status_of(exc), message=exc.message, link="/login", link_label="Log in")
    return Redirect("/", cookies=[session_cookie(settings, started)], headers=NO_STORE)


PAGE_HANDLERS = [
    login_page,
    login_submit,
    logout,
    home,
    forgot_page,
    forgot_submit,
    reset_page,
    reset_submit,
    change_page,
    change_submit,
    oidc_start,
    oidc_callback,
]
__all__ = ["PAGE_HANDLERS", "SESSION_COOKIE"]
