"""The Communication tab's data: what was sent to a client (notifications' log), read for the
logged-in staff member, whose own permissions notifications checks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import grpc
import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, Parameter

from shutterbook_console.api.deps import provide_session
from shutterbook_console.api.problems import problem, problem_responses
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.notifications_client import NotificationsClient

_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: (422, "INVALID_ARGUMENT", "the request was not understood"),
    grpc.StatusCode.NOT_FOUND: (404, "NOT_FOUND", "no such client"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "PERMISSION_DENIED", "your role may not read this client's messages"),
}


class ClientMessage(msgspec.Struct):
    id: str
    channel: str
    purpose: str
    session: str
    recipient: str
    subject: str
    state: str
    failure_reason: str
    attempts: int
    queued_at: datetime | None
    sent_at: datetime | None
    attachments: list[str]


class ClientMessages(msgspec.Struct):
    messages: list[ClientMessage]
    next_page_token: str


class CommunicationController(Controller):
    path = "/api/v1/clients"
    tags = ["communication"]
    dependencies = {"session": Provide(provide_session)}

    @get(
        "/{client_id:uuid}/messages",
        operation_id="listClientMessages",
        summary="What was sent to a client: email and SMS, to whom, when, delivered or failed and why",
        responses=problem_responses(401, 403, 404, 422, 503),
    )
    async def messages(
        self,
        request: Request,  # type: ignore[type-arg]
        session: NamedDependency[CurrentSession],
        client_id: FromPath[uuid.UUID],
        page_size: Annotated[int, Parameter(ge=0, le=1000, required=False)] = 0,
        page_token: Annotated[str, Parameter(max_length=2000, required=False)] = "",
    ) -> ClientMessages:
        notifications: NotificationsClient = request.app.state.notifications
        try:
            found, next_token = await notifications.client_messages(
                session.staff.caller(), str(client_id), page_size, page_token
            )
        except grpc.aio.AioRpcError as exc:
            status, code, title = _STATUS.get(
                exc.code(), (503, "UNAVAILABLE", "the communication log is not available right now")
            )
            field = [{"field": "page_token", "detail": "is not a token this list gave"}] if status == 422 else None
            raise problem(status, title, code=code, errors=field) from exc
        return ClientMessages(
            messages=[msgspec.convert(m, ClientMessage, from_attributes=True) for m in found],
            next_page_token=next_token,
        )
