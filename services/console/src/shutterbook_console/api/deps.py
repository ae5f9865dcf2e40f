"""Request dependencies: the database, the logged-in staff member, the owner check, cookies."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie, State

from shutterbook_console.api.problems import problem
from shutterbook_console.application.sessions import CurrentSession, LoggedIn, resolve_session
from shutterbook_console.settings import ConsoleSettings
from shutterbook_kit.db import Database
from shutterbook_kit.identity import Role

SESSION_COOKIE = "sb_console_session"


def provide_db(request: Request[Any, Any, State]) -> Database:
    db: Database = request.app.state.db
    return db


def provide_settings(request: Request[Any, Any, State]) -> ConsoleSettings:
    settings: ConsoleSettings = request.app.state.settings
    return settings


async def current_session(request: Request[Any, Any, State]) -> CurrentSession | None:
    return await resolve_session(request.app.state.db, request.cookies.get(SESSION_COOKIE, ""))


async def provide_session(request: Request[Any, Any, State]) -> CurrentSession:
    session = await current_session(request)
    if session is None:
        raise problem(401, "not logged in", code="UNAUTHENTICATED", detail="log in to the console first")
    return session


async def provide_owner(request: Request[Any, Any, State]) -> CurrentSession:
    session = await provide_session(request)
    if Role.OWNER not in session.staff.roles:
        raise problem(403, "only an owner may manage staff accounts", code="PERMISSION_DENIED")
    return session


def client_address(request: Request[Any, Any, State]) -> str:
    return request.client.host if request.client else "unknown"


def session_cookie(settings: ConsoleSettings, started: LoggedIn) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=started.token,
        max_age=started.max_age_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response[Any], settings: ConsoleSettings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    for cookie in response.cookies:
        if cookie.key == SESSION_COOKIE:
            cookie.httponly, cookie.samesite, cookie.secure = True, "lax", settings.secure_cookies
