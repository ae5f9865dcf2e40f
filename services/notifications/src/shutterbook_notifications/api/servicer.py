"""gRPC API of the notifications service: protobuf in and out here, use cases underneath."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message as ProtoMessage

from shutterbook.notifications.v1 import notifications_pb2 as pb
from shutterbook.notifications.v1 import notifications_pb2_grpc
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FieldViolation, InvalidArgument, NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.api import trigger_fields
from shutterbook_notifications.api.trigger_fields import trigger_pb
from shutterbook_notifications.application import directory, letters, log, on_demand, triggers
from shutterbook_notifications.application.sessions import UpstreamReads
from shutterbook_notifications.domain.delivery import ChannelKind, State
from shutterbook_notifications.domain.letters import Purpose, RenderError
from shutterbook_notifications.storage.models import FormLetterRow, MessageRow

Ctx = grpc.aio.ServicerContext[Any, Any]

PURPOSES = {
    Purpose.SESSION_CONFIRMATION: pb.FORM_LETTER_PURPOSE_SESSION_CONFIRMATION,
    Purpose.APPOINTMENT_CONFIRMATION: pb.FORM_LETTER_PURPOSE_APPOINTMENT_CONFIRMATION,
    Purpose.REMINDER: pb.FORM_LETTER_PURPOSE_REMINDER,
    Purpose.PHOTOGRAPHER_CONFIRMATION: pb.FORM_LETTER_PURPOSE_PHOTOGRAPHER_CONFIRMATION,
    Purpose.RESCHEDULE: pb.FORM_LETTER_PURPOSE_RESCHEDULE,
    Purpose.CANCELLATION: pb.FORM_LETTER_PURPOSE_CANCELLATION,
    Purpose.ONLINE_BOOKING_CONFIRMATION: pb.FORM_LETTER_PURPOSE_ONLINE_BOOKING_CONFIRMATION,
    Purpose.PASSWORD_RESET: pb.FORM_LETTER_PURPOSE_PASSWORD_RESET,
    Purpose.CUSTOM: pb.FORM_LETTER_PURPOSE_CUSTOM,
}
PURPOSE_OF = {v: k for k, v in PURPOSES.items()}
STATES = {
    State.QUEUED.value: pb.DELIVERY_STATE_QUEUED,
    State.SENT.value: pb.DELIVERY_STATE_SENT,
    State.FAILED.value: pb.DELIVERY_STATE_FAILED,
    State.BOUNCED.value: pb.DELIVERY_STATE_BOUNCED,
}
CHANNELS = {
    ChannelKind.EMAIL.value: pb.CHANNEL_EMAIL,
    ChannelKind.SMS.value: pb.CHANNEL_SMS,
    ChannelKind.SCREEN.value: pb.CHANNEL_SCREEN,
}


R = TypeVar("R", bound=ProtoMessage)


async def _once(
    db: Database,
    company: str,
    scope: str,
    request: Any,
    response_type: type[R],
    work: Callable[[UnitOfWork], Awaitable[R]],
) -> R:
    """A create with a request_id: a retry gets the first result, another body is INVALID_ARGUMENT."""
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()
    return await run_idempotent(
        db,
        company_id=company,
        scope=scope,
        request=request,
        request_id=request.request_id,
        response_type=response_type,
        work=work,
        source="notifications",
    )


def _company() -> str:
    return tenancy.current().company_id


def _ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


def _id(name: str, collection: str, field: str, *, required: bool = True) -> str:
    """The id of `collection/{uuid}`; anything else is NOT_FOUND (a name that cannot exist)."""
    if not name and not required:
        return ""
    prefix = f"{collection}/"
    if not name.startswith(prefix):
        raise InvalidArgument(
            "a resource name is malformed", violations=[FieldViolation(field, f"must be {prefix}{{id}}")]
        )
    raw = name.removeprefix(prefix)
    try:
        return str(uuid.UUID(raw))
    except ValueError as exc:
        raise NotFound(f"no such {collection}") from exc


def letter_pb(row: FormLetterRow) -> pb.FormLetter:
    return pb.FormLetter(
        name=f"formLetters/{row.id}",
        purpose=PURPOSES[Purpose(row.purpose)],
        display_name=row.display_name,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        built_in=row.built_in,
        update_time=_ts(row.updated_at),
    )


def message_pb(row: MessageRow) -> pb.Message:
    return pb.Message(
        name=f"messages/{row.id}",
        channel=CHANNELS[row.channel],
        purpose=PURPOSES[Purpose(row.purpose)],
        form_letter=f"formLetters/{row.form_letter_id}" if row.form_letter_id else "",
        client=f"clients/{row.client_id}" if row.client_id else "",
        session=row.session_id,
        recipient=row.recipient,
        subject=row.subject,
        body_text=row.body_text,
        state=STATES[row.state],
        failure_reason=row.last_error,
        attempts=row.attempts,
        create_time=_ts(row.created_at),
        send_time=_ts(row.sent_at),
        attachment_names=[a["filename"] for a in row.attachments],
    )


def _draft(letter: pb.FormLetter) -> letters.LetterDraft:
    return letters.LetterDraft(letter.display_name, letter.subject, letter.body_text, letter.body_html)


def _page(page_size: int, page_token: str, rows: list[Any]) -> tuple[list[Any], str]:
    page = parse_page(page_size, page_token)
    start = int(page.cursor["i"]) if page.cursor else 0
    chunk = rows[start : start + page.size]
    more = start + page.size < len(rows)
    return chunk, next_token({"i": start + page.size} if more else None)


class NotificationsServicer(notifications_pb2_grpc.NotificationsServiceServicer):
    def __init__(self, db: Database, locations: UpstreamReads, company_name: str = "") -> None:
        self.db = db
        self.locations = locations
        self.company_name = company_name

    async def ListFormLetters(self, request: pb.ListFormLettersRequest, context: Ctx) -> pb.ListFormLettersResponse:
        rows, token = _page(request.page_size, request.page_token, await letters.list_letters(self.db, _company()))
        return pb.ListFormLettersResponse(form_letters=[letter_pb(r) for r in rows], next_page_token=token)

    async def GetFormLetter(self, request: pb.GetFormLetterRequest, context: Ctx) -> pb.FormLetter:
        letter_id = _id(request.name, "formLetters", "name")
        return letter_pb(await letters.get_letter(self.db, _company(), letter_id))

    async def CreateFormLetter(self, request: pb.CreateFormLetterRequest, context: Ctx) -> pb.FormLetter:
        purpose = PURPOSE_OF.get(request.form_letter.purpose)
        if purpose is None:
            raise InvalidArgument(
                "purpose is required", violations=[FieldViolation("form_letter.purpose", "is required")]
            )
        company, draft = _company(), _draft(request.form_letter)

        async def work(uow: UnitOfWork) -> pb.FormLetter:
            return letter_pb(await letters.create_letter(uow, company, purpose, draft))

        return await _once(self.db, company, "CreateFormLetter", request, pb.FormLetter, work)

    async def UpdateFormLetter(self, request: pb.UpdateFormLetterRequest, context: Ctx) -> pb.FormLetter:
        letter_id = _id(request.form_letter.name, "formLetters", "form_letter.name")
        row = await letters.update_letter(
            self.db, _company(), letter_id, _draft(request.form_letter), list(request.update_mask.paths)
        )
        return letter_pb(row)

    async def PreviewFormLetter(
        self, request: pb.PreviewFormLetterRequest, context: Ctx
    ) -> pb.PreviewFormLetterResponse:
        if request.name:
            row = await letters.get_letter(self.db, _company(), _id(request.name, "formLetters", "name"))
            draft = letters.LetterDraft(row.display_name, row.subject, row.body_text, row.body_html)
        else:
            draft = _draft(request.form_letter)
            letters.validate(draft)
        session_id = _id(request.session, "sessions", "session", required=False)
        try:
            rendered = await on_demand.preview(self.db, self.locations, _company(), draft.templates, session_id)
        except RenderError as exc:
            raise InvalidArgument(
                "the letter cannot be rendered", violations=[FieldViolation("form_letter", str(exc))]
            ) from exc
        return pb.PreviewFormLetterResponse(
            subject=rendered.subject, body_text=rendered.body_text, body_html=rendered.body_html
        )

    async def ListTriggers(self, request: pb.ListTriggersRequest, context: Ctx) -> pb.ListTriggersResponse:
        rows, token = await triggers.list_triggers(self.db, _company(), request.page_size, request.page_token)
        return pb.ListTriggersResponse(triggers=[trigger_pb(r) for r in rows], next_page_token=token)

    async def CreateTrigger(self, request: pb.CreateTriggerRequest, context: Ctx) -> pb.Trigger:
        v = Violations()
        spec = trigger_fields.spec_from(request.trigger, v)
        company = _company()

        async def work(uow: UnitOfWork) -> pb.Trigger:
            return trigger_pb(await triggers.create_trigger(uow, company, spec, v))

        return await _once(self.db, company, "CreateTrigger", request, pb.Trigger, work)

    async def UpdateTrigger(self, request: pb.UpdateTriggerRequest, context: Ctx) -> pb.Trigger:
        trigger_id = _id(request.trigger.name, "triggers", "trigger.name")
        v = Violations()
        paths = trigger_fields.check_mask(list(request.update_mask.paths), v)
        v.raise_if_any("the update mask is invalid")

        def spec_of(current: triggers.TriggerSpec) -> triggers.TriggerSpec:
            return trigger_fields.merge(current, request.trigger, paths, v)

        return trigger_pb(await triggers.update_trigger(self.db, _company(), trigger_id, spec_of, v))

    async def DeleteTrigger(self, request: pb.DeleteTriggerRequest, context: Ctx) -> pb.DeleteTriggerResponse:
        await triggers.delete_trigger(self.db, _company(), _id(request.name, "triggers", "name"))
        return pb.DeleteTriggerResponse()

    async def ListMessages(self, request: pb.ListMessagesRequest, context: Ctx) -> pb.ListMessagesResponse:
        client_id = _id(request.client, "clients", "client", required=False)
        if request.session and not request.session.startswith(("sessions/", "appointments/")):
            raise InvalidArgument("bad session", violations=[FieldViolation("session", "must be sessions/{id}")])
        channel = next((name for name, value in CHANNELS.items() if value == request.channel), "")
        if request.channel and not channel:
            raise InvalidArgument("bad channel", violations=[FieldViolation("channel", "no such channel")])
        caller = tenancy.current_caller()
        rows, token = await log.list_messages(
            self.db,
            _company(),
            client_id,
            request.session,
            request.page_size,
            request.page_token,
            channel,
            locations=None if caller is None else caller.location_ids,
        )
        return pb.ListMessagesResponse(messages=[message_pb(r) for r in rows], next_page_token=token)

    async def GetMessage(self, request: pb.GetMessageRequest, context: Ctx) -> pb.Message:
        caller = tenancy.current_caller()
        locations = None if caller is None else caller.location_ids
        return message_pb(await log.get_message(self.db, _company(), _id(request.name, "messages", "name"), locations))

    async def SendSessionLetter(self, request: pb.SendSessionLetterRequest, context: Ctx) -> pb.Message:
        v = Violations()
        if not (8 <= len(request.request_id) <= 100):
            v.add("request_id", "is required: 8 to 100 characters, for example a UUID")
        v.raise_if_any()
        session_id = _id(request.session, "sessions", "session")
        letter_id = _id(request.form_letter, "formLetters", "form_letter", required=False)
        company = _company()

        seen = request.client_update_time.ToDatetime(tzinfo=UTC) if request.HasField("client_update_time") else None

        async def work(uow: UnitOfWork) -> pb.Message:
            row = await on_demand.send_session_letter(
                uow, self.locations, company, session_id, letter_id, request.request_id, self.company_name, seen
            )
            return message_pb(row)

        return await _once(self.db, company, "SendSessionLetter", request, pb.Message, work)

    async def SendClientMessage(self, request: pb.SendClientMessageRequest, context: Ctx) -> pb.Message:
        v = Violations()
        if not (8 <= len(request.request_id) <= 100):
            v.add("request_id", "is required: 8 to 100 characters, for example a UUID")
        if not request.subject.strip() or len(request.subject) > 300 or "\n" in request.subject:
            v.add("subject", "is required: one line of at most 300 characters")
        if not request.body_text.strip() or len(request.body_text) > 20000:
            v.add("body_text", "is required: at most 20000 characters")
        v.raise_if_any()
        client_id = _id(request.client, "clients", "client")
        company = _company()

        async def work(uow: UnitOfWork) -> pb.Message:
            row = await on_demand.send_client_message(
                uow, company, client_id, request.subject.strip(), request.body_text, request.request_id
            )
            return message_pb(row)

        return await _once(self.db, company, "SendClientMessage", request, pb.Message, work)

    async def GetClientPreferences(self, request: pb.GetClientPreferencesRequest, context: Ctx) -> pb.ClientPreferences:
        client_id = _id(request.name, "clientPreferences", "name")
        opt_out = await directory.get_preferences(self.db, _company(), client_id)
        return pb.ClientPreferences(name=f"clientPreferences/{client_id}", reminder_opt_out=opt_out)

    async def UpdateClientPreferences(
        self, request: pb.UpdateClientPreferencesRequest, context: Ctx
    ) -> pb.ClientPreferences:
        prefs = request.client_preferences
        client_id = _id(prefs.name, "clientPreferences", "client_preferences.name")
        opt_out = await directory.set_preferences(self.db, _company(), client_id, prefs.reminder_opt_out)
        return pb.ClientPreferences(name=f"clientPreferences/{client_id}", reminder_opt_out=opt_out)
