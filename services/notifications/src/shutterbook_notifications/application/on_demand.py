"""Staff sending a letter for a session now ("email session confirmation" in the wizard),
and previews. The request_id makes a retry return the first message. A session confirmation
(the default letter, or a letter of that purpose) carries the confirmation PDF, with what
billing says the session owes; billing not answering fails the request (nothing is queued)."""

from __future__ import annotations

from datetime import datetime

from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, NotFound
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.application import directory
from shutterbook_notifications.application.letters import letter_by_id
from shutterbook_notifications.application.outgoing import (
    Outgoing,
    Recipient,
    queue_letter,
    queue_purpose,
    queue_rendered,
)
from shutterbook_notifications.application.sessions import UpstreamReads, outgoing_for
from shutterbook_notifications.domain.confirmation_pdf import confirmation_filename, confirmation_pdf
from shutterbook_notifications.domain.letters import LetterTemplates, Purpose, Rendered, render, sample_context
from shutterbook_notifications.storage.models import MessageRow
from shutterbook_notifications.storage.repository import SessionRepository
from shutterbook_notifications.transports.smtp import Attachment


async def _attach_confirmation(out: Outgoing) -> None:
    """Add the confirmation PDF; the account read once serves the letter's `balance` too."""
    account = await out.account() if out.account is not None else None
    out.context = {**out.context, "balance": account.balance if account else ""}
    out.account = None
    pdf = confirmation_pdf(out.context, account)
    out.attachments = [*out.attachments, Attachment(confirmation_filename(out.context), "application/pdf", pdf)]


async def send_session_letter(
    uow: UnitOfWork,
    locations: UpstreamReads,
    company_id: str,
    session_id: str,
    form_letter_id: str,
    request_id: str,
    company_name: str = "",
    client_seen: datetime | None = None,
) -> MessageRow:
    """Queue the letter in the caller's unit of work (which commits, with its request_id).
    `client_seen`: the client's `update_time` as the caller saw it; the letter waits (the
    request is refused, to be retried) until notifications' copy of the client is that new,
    so a name corrected just before the click is the name the letter carries."""
    row = await SessionRepository(uow.session).get(company_id, session_id)
    if row is None:
        raise NotFound("no such session (or its event has not reached notifications yet)")
    try:
        await directory.client_as_of(uow, company_id, row.client_id, client_seen)
        out = await outgoing_for(uow, locations, row, f"request:{request_id}", company_name)
    except directory.ClientNotKnownYet as exc:
        raise FailedPrecondition("the session's client is not known yet; try again shortly") from exc
    if form_letter_id:
        found = await letter_by_id(uow, company_id, form_letter_id)
        if found is not None and found[0] is Purpose.SESSION_CONFIRMATION:
            await _attach_confirmation(out)
        return await queue_letter(uow, out, form_letter_id)
    await _attach_confirmation(out)
    return await queue_purpose(uow, out, Purpose.SESSION_CONFIRMATION)


async def preview(
    db: Database, locations: UpstreamReads, company_id: str, templates: LetterTemplates, session_id: str
) -> Rendered:
    """Render over a session's fields (or sample fields); errors are the caller's to show."""
    context = sample_context()
    if session_id:
        async with UnitOfWork(db, readonly=True) as uow:
            row = await SessionRepository(uow.session).get(company_id, session_id)
            if row is None:
                raise NotFound("no such session")
            try:
                context = await (await outgoing_for(uow, locations, row, "preview", "")).context_for(templates)
            except directory.ClientNotKnownYet as exc:
                raise FailedPrecondition("the session's client is not known yet") from exc
    return render(templates, context)


async def send_client_message(
    uow: UnitOfWork, company_id: str, client_id: str, subject: str, body_text: str, request_id: str
) -> MessageRow:
    """Queue the studio's own words (no template: sent as typed) to the client's email address
    in the caller's unit of work (which commits, with its request_id). A client the directory
    does not hold yet is FAILED_PRECONDITION; one without an address gets a FAILED message."""
    try:
        client = await directory.client(uow, company_id, client_id)
    except directory.ClientNotKnownYet as exc:
        raise FailedPrecondition("the client is not known to notifications yet; try again shortly") from exc
    out = Outgoing(
        company_id=company_id,
        dedupe_key=f"request:{request_id}",
        recipient=Recipient(client_id=client.client_id, email=client.email),
        context={},
        channel="email",
    )
    return await queue_rendered(uow, out, Purpose.CUSTOM, "", Rendered(subject, body_text, ""))
