"""The Scheduling Wizard's last screen: email the session's confirmation with a chosen form
letter (the letters to choose from, and the send). The client's address and the letter's text
are notifications'; a second click with the same request id sends one message."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from shutterbook_console.api.client_pages import upstreams
from shutterbook_console.api.deps import provide_session
from shutterbook_console.api.problems import problem_responses
from shutterbook_console.application.session_letters import email_session_letter, session_letters
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.notifications_client import NotificationsClient
from shutterbook_console.upstreams import Upstreams


def _notifications(request: Request[Any, Any, State]) -> NotificationsClient:
    client: NotificationsClient = request.app.state.notifications
    return client


class LetterBody(msgspec.Struct, forbid_unknown_fields=True):
    request_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f-]{36}$", description="a UUID per click")]
    form_letter: Annotated[str, msgspec.Meta(pattern=r"^([0-9a-f-]{36})?$", description="empty: the confirmation")] = ""


class SentBody(msgspec.Struct):
    recipient: str
    subject: str
    state: str  # queued | sent | failed


class WizardLetterController(Controller):
    path = "/api/v1/wizard"
    tags = ["scheduling wizard"]
    dependencies = {
        "session": Provide(provide_session),
        "up": Provide(upstreams, sync_to_thread=False),
        "notifications": Provide(_notifications, sync_to_thread=False),
    }

    @get(
        "/letters",
        operation_id="listWizardLetters",
        summary="Form letters a session's client may be emailed, the confirmation first",
        responses=problem_responses(401, 403, 503),
    )
    async def get_letters(
        self, session: NamedDependency[CurrentSession], notifications: NamedDependency[NotificationsClient]
    ) -> list[dict[str, Any]]:
        found = await session_letters(notifications, session.staff.caller())
        return [{"id": x.id, "display_name": x.display_name, "purpose": x.purpose} for x in found]

    @post(
        "/sessions/{session_id:uuid}/letters",
        operation_id="emailSessionLetter",
        summary="Email the session's client a form letter now",
        status_code=201,
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def send_letter(
        self,
        session: NamedDependency[CurrentSession],
        up: NamedDependency[Upstreams],
        notifications: NamedDependency[NotificationsClient],
        session_id: FromPath[uuid.UUID],
        data: JSONBody[LetterBody],
    ) -> SentBody:
        sent = await email_session_letter(
            up, notifications, session.staff.caller(), f"sessions/{session_id}", data.form_letter, data.request_id
        )
        return SentBody(sent.recipient, sent.subject, sent.state)
