"""The console's session API: log in and out, who am I, change or reset a password."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from shutterbook_console.api.deps import (
    clear_session_cookie,
    client_address,
    current_session,
    provide_db,
    provide_session,
    provide_settings,
    session_cookie,
)
from shutterbook_console.api.problems import problem_responses
from shutterbook_console.api.schemas import (
    Accepted,
    LoginBody,
    Me,
    PasswordChangeBody,
    ResetConfirmBody,
    ResetRequestBody,
    Staff,
)
from shutterbook_console.application.login import LoginRequest, change_password, login
from shutterbook_console.application.resets import request_reset, reset_password
from shutterbook_console.application.sessions import CurrentSession, end_session
from shutterbook_console.domain.throttle import ThrottlePolicy
from shutterbook_console.settings import ConsoleSettings
from shutterbook_kit.db import Database

GENERIC_RESET_ANSWER = "If an account has this email, a link to reset its password is on its way."


def throttle_policy(settings: ConsoleSettings) -> ThrottlePolicy:
    return ThrottlePolicy(lock_after=settings.lock_after_failures, lock_minutes=settings.lock_minutes)


class SessionController(Controller):
    path = "/api/v1"
    tags = ["session"]
    dependencies = {
        "db": Provide(provide_db, sync_to_thread=False),
        "settings": Provide(provide_settings, sync_to_thread=False),
    }

    @post(
        "/session",
        operation_id="logIn",
        summary="Log in with email and password; sets the session cookie",
        status_code=200,
        responses=problem_responses(400, 401, 403, 429),
        security=[{"CsrfToken": []}],
    )
    async def log_in(
        self,
        request: Request[Any, Any, State],
        data: JSONBody[LoginBody],
        db: NamedDependency[Database],
        settings: NamedDependency[ConsoleSettings],
    ) -> Response[Me]:
        started = await login(
            db,
            LoginRequest(data.email, data.password, client_address(request), data.company_id),
            throttle_policy(settings),
            settings.session_hours,
        )
        return Response(
            Me(staff=Staff.of(started.staff), login_method="password"), cookies=[session_cookie(settings, started)]
        )

    @delete(
        "/session",
        operation_id="logOut",
        summary="Log out: the session ends and its cookie is cleared",
        status_code=204,
        responses=problem_responses(403),
    )
    async def log_out(
        self, request: Request[Any, Any, State], settings: NamedDependency[ConsoleSettings]
    ) -> Response[None]:
        session = await current_session(request)
        if session is not None:
            await end_session(request.app.state.db, session.id_sha256)
        response: Response[None] = Response(None, status_code=204)
        clear_session_cookie(response, settings)
        return response

    @get(
        "/me",
        operation_id="getMe",
        summary="The logged-in staff member",
        responses=problem_responses(401),
        dependencies={"session": Provide(provide_session)},
    )
    async def me(self, session: NamedDependency[CurrentSession]) -> Me:
        return Me(staff=Staff.of(session.staff), login_method=session.method)

    @post(
        "/me/password",
        operation_id="changePassword",
        summary="Change the password (needs the current one; every other session ends)",
        status_code=204,
        responses=problem_responses(400, 401, 403, 422),
        dependencies={"session": Provide(provide_session)},
    )
    async def change_password(
        self,
        data: JSONBody[PasswordChangeBody],
        session: NamedDependency[CurrentSession],
        db: NamedDependency[Database],
    ) -> None:
        await change_password(
            db, session.staff.company_id, session.staff.id, data.current_password, data.new_password, session.id_sha256
        )

    @post(
        "/password-resets",
        operation_id="requestPasswordReset",
        summary="Mail a one-time reset link (the same answer whether or not the email has an account)",
        status_code=202,
        responses=problem_responses(400, 403),
    )
    async def request_reset(
        self,
        request: Request[Any, Any, State],
        data: JSONBody[ResetRequestBody],
        db: NamedDependency[Database],
        settings: NamedDependency[ConsoleSettings],
    ) -> Accepted:
        await request_reset(
            db, request.app.state.mailer, data.email, public_url=settings.public_url, minutes=settings.reset_minutes
        )
        return Accepted(detail=GENERIC_RESET_ANSWER)

    @post(
        "/password-resets/confirm",
        operation_id="confirmPasswordReset",
        summary="Set a new password with a reset link's token (once; the link expires)",
        status_code=204,
        responses=problem_responses(400, 403, 409, 422),
    )
    async def confirm_reset(self, data: JSONBody[ResetConfirmBody], db: NamedDependency[Database]) -> None:
        await reset_password(db, data.token, data.new_password)
