"""Queueing a message: rendered from a letter and written in the caller's transaction (the
event's inbox entry, or the request's), so it exists exactly when its cause was applied.

A letter that cannot be rendered still leaves a record: a FAILED message naming the letter
and the problem, visible in the communication log; other letters are unaffected."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.application.letters import letter_by_id, letter_for_purpose
from shutterbook_notifications.domain.account import SessionAccount
from shutterbook_notifications.domain.delivery import ChannelKind, State
from shutterbook_notifications.domain.letters import LetterTemplates, Purpose, Rendered, RenderError, render, uses_field
from shutterbook_notifications.storage.models import MessageRow
from shutterbook_notifications.storage.repository import MessageRepository
from shutterbook_notifications.transports.smtp import Attachment


@dataclass(frozen=True)
class Recipient:
    client_id: str
    email: str = ""
    phone: str = ""


@dataclass
class Outgoing:
    company_id: str
    dedupe_key: str
    recipient: Recipient
    context: dict[str, Any]
    session: str = ""  # sessions/{id} or appointments/{id}
    attachments: list[Attachment] = field(default_factory=list)
    # What the session owes (billing), read only for a letter that prints `balance`.
    account: Callable[[], Awaitable[SessionAccount | None]] | None = None
    delay_minutes: int = 0  # sent this long after now (a trigger's delay)
    channel: str = ""  # "" (email when there is an address, else SMS) | email | sms

    async def context_for(self, templates: LetterTemplates) -> dict[str, Any]:
        if self.account is None or self.context.get("balance") or not uses_field(templates, "balance"):
            return self.context
        account = await self.account()
        return {**self.context, "balance": account.balance if account else ""}


async def queue_purpose(uow: UnitOfWork, out: Outgoing, purpose: Purpose) -> MessageRow:
    letter_id, templates = await letter_for_purpose(uow, out.company_id, purpose)
    return await queue(uow, out, purpose, letter_id, templates)


async def queue_letter(uow: UnitOfWork, out: Outgoing, form_letter_id: str) -> MessageRow:
    found = await letter_by_id(uow, out.company_id, form_letter_id)
    if found is None:  # the trigger's letter was deleted: say so in the log
        return await queue(uow, out, Purpose.CUSTOM, form_letter_id, None)
    purpose, templates = found
    return await queue(uow, out, purpose, form_letter_id, templates)


async def queue(
    uow: UnitOfWork, out: Outgoing, purpose: Purpose, letter_id: str, templates: LetterTemplates | None
) -> MessageRow:
    """Write the message once per (company, dedupe_key); a repeat returns the first."""
    earlier = await MessageRepository(uow.session).by_dedupe_key(out.company_id, out.dedupe_key)
    if earlier is not None:
        return earlier
    rendered, error = None, ""
    if templates is None:
        error = f"form letter {letter_id} no longer exists"
    else:
        try:
            rendered = render(templates, await out.context_for(templates))
        except RenderError as exc:
            error = f"form letter {letter_id} could not be rendered: {exc}"[:500]
    return await queue_rendered(uow, out, purpose, letter_id, rendered, error)


async def queue_rendered(
    uow: UnitOfWork, out: Outgoing, purpose: Purpose, letter_id: str, rendered: Rendered | None, error: str = ""
) -> MessageRow:
    """Write a message already rendered (None: a FAILED one saying `error`), once per
    (company, dedupe_key); a repeat returns the first."""
    messages = MessageRepository(uow.session)
    earlier = await messages.by_dedupe_key(out.company_id, out.dedupe_key)
    if earlier is not None:
        return earlier
    now = utcnow()
    if out.channel:
        channel = ChannelKind(out.channel)
    else:
        channel = ChannelKind.EMAIL if out.recipient.email or not out.recipient.phone else ChannelKind.SMS
    subject = text = html = ""
    state = State.QUEUED if rendered is not None else State.FAILED
    if rendered is not None:
        subject, text, html = rendered.subject, rendered.body_text, rendered.body_html
    recipient = {ChannelKind.EMAIL: out.recipient.email, ChannelKind.SMS: out.recipient.phone}.get(channel, "staff")
    if state is State.QUEUED and not recipient:
        missing = {"email": "email address", "sms": "phone number"}.get(out.channel, "email address or phone number")
        state, error = State.FAILED, f"the client has no {missing}"
    sent_at = None
    if channel is ChannelKind.SCREEN and state is State.QUEUED:  # shown, not sent: done at once
        state, sent_at = State.SENT, now
    row = MessageRow(
        id=str(uuid.uuid4()),
        company_id=out.company_id,
        channel=channel.value,
        purpose=purpose.value,
        form_letter_id=letter_id,
        client_id=out.recipient.client_id,
        session_id=out.session,
        recipient=recipient,
        subject=subject,
        body_text=text,
        body_html=html if channel is ChannelKind.EMAIL else "",
        attachments=[a.to_json() for a in out.attachments] if channel is ChannelKind.EMAIL else [],
        dedupe_key=out.dedupe_key,
        state=state.value,
        attempts=0,
        next_attempt_at=now + timedelta(minutes=out.delay_minutes),
        claimed_by=None,
        claimed_until=None,
        last_error=error,
        created_at=now,
        sent_at=sent_at,
    )
    await messages.add(row)
    return row
