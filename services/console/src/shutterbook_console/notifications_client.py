"""The console's calls to notifications over gRPC, signed for the staff member (kept apart
from `upstreams.py`): the communication log of a client, and the form letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf import field_mask_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2, status_pb2

from shutterbook.notifications.v1 import notifications_pb2 as pb
from shutterbook.notifications.v1 import notifications_pb2_grpc
from shutterbook_kit.grpc_client import call_metadata, open_channel, retry_safe_methods
from shutterbook_kit.identity import Caller

CALL_TIMEOUT = 5.0
LETTER_PREFIX = "formLetters/"


def field_errors(err: grpc.aio.AioRpcError) -> dict[str, str]:
    """The field violations (`google.rpc.BadRequest`) of a refused call, by field."""
    errors: dict[str, str] = {}
    for key, value in err.trailing_metadata() or ():
        if key != "grpc-status-details-bin" or not isinstance(value, bytes):
            continue
        for packed in status_pb2.Status.FromString(value).details:
            if packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                packed.Unpack(bad)
                for v in bad.field_violations:
                    errors.setdefault(v.field, v.description)
    return errors


@dataclass(frozen=True)
class Letter:
    id: str
    purpose: str  # e.g. reminder, custom
    display_name: str
    subject: str
    body_text: str
    body_html: str
    built_in: bool  # the product's default, never edited
    updated_at: datetime | None

    @classmethod
    def of(cls, f: pb.FormLetter) -> Letter:
        return cls(
            id=f.name.removeprefix(LETTER_PREFIX),
            purpose=pb.FormLetterPurpose.Name(f.purpose).removeprefix("FORM_LETTER_PURPOSE_").lower(),
            display_name=f.display_name,
            subject=f.subject,
            body_text=f.body_text,
            body_html=f.body_html,
            built_in=f.built_in,
            updated_at=f.update_time.ToDatetime(tzinfo=UTC) if f.HasField("update_time") else None,
        )


TRIGGER_PREFIX = "triggers/"
CHANNEL_NAMES = {pb.CHANNEL_UNSPECIFIED: "", pb.CHANNEL_EMAIL: "email", pb.CHANNEL_SMS: "sms"}


@dataclass(frozen=True)
class Trigger:
    """A trigger as the console edits it: `event` is `sessionStatuses/{id}` (a session enters
    that status) or `sessionTypes/{id}` (a session of that type is booked)."""

    id: str
    event: str
    form_letter_id: str
    delay_minutes: int
    channel: str  # "" (the client's: email if they have one) | email | sms
    disabled: bool

    @classmethod
    def of(cls, t: pb.Trigger) -> Trigger:
        return cls(
            id=t.name.removeprefix(TRIGGER_PREFIX),
            event=t.session_status if t.kind == pb.TRIGGER_KIND_SESSION_STATUS else t.session_type,
            form_letter_id=t.form_letter.removeprefix(LETTER_PREFIX),
            delay_minutes=t.delay_minutes,
            channel=CHANNEL_NAMES.get(t.channel, ""),
            disabled=t.disabled,
        )

    def message(self) -> pb.Trigger:
        by_status = self.event.startswith("sessionStatuses/")
        return pb.Trigger(
            name=TRIGGER_PREFIX + self.id if self.id else "",
            kind=pb.TRIGGER_KIND_SESSION_STATUS if by_status else pb.TRIGGER_KIND_SESSION_TYPE,
            session_status=self.event if by_status else "",
            session_type="" if by_status else self.event,
            form_letter=LETTER_PREFIX + self.form_letter_id,
            delay_minutes=self.delay_minutes,
            channel={v: k for k, v in CHANNEL_NAMES.items()}.get(self.channel, pb.CHANNEL_UNSPECIFIED),
            disabled=self.disabled,
        )


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str


@dataclass(frozen=True)
class LoggedMessage:
    """One entry of the communication log, as the console shows it."""

    id: str
    channel: str  # email | sms
    purpose: str  # e.g. online_booking_confirmation
    session: str  # sessions/{id} or appointments/{id}, or empty
    recipient: str
    subject: str
    state: str  # queued | sent | failed
    failure_reason: str
    attempts: int
    queued_at: datetime | None
    sent_at: datetime | None
    attachments: list[str]

    @classmethod
    def of(cls, m: pb.Message) -> LoggedMessage:
        return cls(
            id=m.name.removeprefix("messages/"),
            channel=pb.Channel.Name(m.channel).removeprefix("CHANNEL_").lower(),
            purpose=pb.FormLetterPurpose.Name(m.purpose).removeprefix("FORM_LETTER_PURPOSE_").lower(),
            session=m.session,
            recipient=m.recipient,
            subject=m.subject,
            state=pb.DeliveryState.Name(m.state).removeprefix("DELIVERY_STATE_").lower(),
            failure_reason=m.failure_reason,
            attempts=m.attempts,
            queued_at=m.create_time.ToDatetime(tzinfo=UTC) if m.HasField("create_time") else None,
            sent_at=m.send_time.ToDatetime(tzinfo=UTC) if m.HasField("send_time") else None,
            attachments=list(m.attachment_names),
        )


class NotificationsClient:
    def __init__(self, target: str) -> None:
        service = pb.DESCRIPTOR.services_by_name["NotificationsService"]
        self.channel = open_channel(target, service.full_name, retry_safe_methods(service))
        self.stub = notifications_pb2_grpc.NotificationsServiceStub(self.channel)

    async def client_messages(
        self, caller: Caller, client_id: str, page_size: int, page_token: str
    ) -> tuple[list[LoggedMessage], str]:
        """The client's messages, newest first, and the next page's token. Raises `grpc.aio.AioRpcError`."""
        reply = await self.stub.ListMessages(
            pb.ListMessagesRequest(client=f"clients/{client_id}", page_size=page_size, page_token=page_token),
            metadata=call_metadata(caller),
            timeout=CALL_TIMEOUT,
        )
        return [LoggedMessage.of(m) for m in reply.messages], reply.next_page_token

    async def session_messages(self, caller: Caller, session: str) -> list[LoggedMessage]:
        """What was sent for a session (`sessions/{id}`), newest first, at most 100 (the
        session record's Communication tab). Raises `grpc.aio.AioRpcError`."""
        reply = await self.stub.ListMessages(
            pb.ListMessagesRequest(session=session, page_size=100),
            metadata=call_metadata(caller),
            timeout=CALL_TIMEOUT,
        )
        return [LoggedMessage.of(m) for m in reply.messages]

    async def screen_reminders(self, caller: Caller, within: timedelta) -> list[LoggedMessage]:
        """The staff's on-screen session reminders that appeared within `within`, newest first
        (at most 20). Raises `grpc.aio.AioRpcError`."""
        reply = await self.stub.ListMessages(
            pb.ListMessagesRequest(channel=pb.CHANNEL_SCREEN, page_size=20),
            metadata=call_metadata(caller),
            timeout=CALL_TIMEOUT,
        )
        since = datetime.now(UTC) - within
        found = [LoggedMessage.of(m) for m in reply.messages]
        return [m for m in found if m.queued_at is not None and m.queued_at >= since]

    async def send_session_letter(
        self,
        caller: Caller,
        session: str,
        form_letter: str,
        request_id: str,
        client_update_time: Timestamp | None = None,
    ) -> LoggedMessage:
        """The session's letter (`formLetters/{id}`; empty: the session confirmation) emailed
        to its client now; `request_id` makes a second click one message. `client_update_time`:
        the client as clients has it now (notifications refuses, FAILED_PRECONDITION, until its
        copy is that new). Raises `grpc.aio.AioRpcError`."""
        request = pb.SendSessionLetterRequest(session=session, form_letter=form_letter, request_id=request_id)
        if client_update_time is not None:
            request.client_update_time.CopyFrom(client_update_time)
        reply = await self.stub.SendSessionLetter(request, metadata=call_metadata(caller), timeout=CALL_TIMEOUT)
        return LoggedMessage.of(reply)

    async def send_client_message(
        self, caller: Caller, client: str, subject: str, body_text: str, request_id: str
    ) -> LoggedMessage:
        """A plain-text email of the studio's words to a client (`clients/{id}`) now; a retry
        with `request_id` is the same message. Raises `grpc.aio.AioRpcError`."""
        request = pb.SendClientMessageRequest(
            client=client, subject=subject, body_text=body_text, request_id=request_id
        )
        reply = await self.stub.SendClientMessage(request, metadata=call_metadata(caller), timeout=CALL_TIMEOUT)
        return LoggedMessage.of(reply)

    async def letters(self, caller: Caller) -> list[Letter]:
        reply = await self.stub.ListFormLetters(
            pb.ListFormLettersRequest(page_size=1000), metadata=call_metadata(caller), timeout=CALL_TIMEOUT
        )
        return [Letter.of(f) for f in reply.form_letters]

    async def letter(self, caller: Caller, letter_id: str) -> Letter:
        reply = await self.stub.GetFormLetter(
            pb.GetFormLetterRequest(name=LETTER_PREFIX + letter_id),
            metadata=call_metadata(caller),
            timeout=CALL_TIMEOUT,
        )
        return Letter.of(reply)

    async def preview(self, caller: Caller, letter: Letter) -> Rendered:
        """The letter as typed (not yet saved), rendered with sample values."""
        draft = pb.FormLetter(
            display_name=letter.display_name,
            subject=letter.subject,
            body_text=letter.body_text,
            body_html=letter.body_html,
        )
        reply = await self.stub.PreviewFormLetter(
            pb.PreviewFormLetterRequest(form_letter=draft), metadata=call_metadata(caller), timeout=CALL_TIMEOUT
        )
        return Rendered(reply.subject, reply.body_text, reply.body_html)

    async def save(self, caller: Caller, letter: Letter) -> Letter:
        """Subject and bodies; a template error is INVALID_ARGUMENT naming the field and line."""
        changed = pb.FormLetter(
            name=LETTER_PREFIX + letter.id,
            subject=letter.subject,
            body_text=letter.body_text,
            body_html=letter.body_html,
        )
        reply = await self.stub.UpdateFormLetter(
            pb.UpdateFormLetterRequest(
                form_letter=changed, update_mask=field_mask_pb2.FieldMask(paths=["subject", "body_text", "body_html"])
            ),
            metadata=call_metadata(caller),
            timeout=CALL_TIMEOUT,
        )
        return Letter.of(reply)

    async def triggers(self, caller: Caller) -> list[Trigger]:
        reply = await self.stub.ListTriggers(
            pb.ListTriggersRequest(page_size=1000), metadata=call_metadata(caller), timeout=CALL_TIMEOUT
        )
        return [Trigger.of(t) for t in reply.triggers]

    async def create_trigger(self, caller: Caller, trigger: Trigger, request_id: str) -> Trigger:
        """A bad field is INVALID_ARGUMENT naming it (`trigger.form_letter`, ...)."""
        reply = await self.stub.CreateTrigger(
            pb.CreateTriggerRequest(trigger=trigger.message(), request_id=request_id),
            metadata=call_metadata(caller),
            timeout=CALL_TIMEOUT,
        )
        return Trigger.of(reply)

    async def update_trigger(self, caller: Caller, trigger: Trigger) -> Trigger:
        reply = await self.stub.UpdateTrigger(
            pb.UpdateTriggerRequest(trigger=trigger.message()), metadata=call_metadata(caller), timeout=CALL_TIMEOUT
        )
        return Trigger.of(reply)

    async def close(self) -> None:
        await self.channel.close()
