"""The communication log: what was sent, to whom, when, delivered or failed and why."""

from __future__ import annotations

from datetime import datetime

from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.storage.models import MessageRow
from shutterbook_notifications.storage.repository import MessageRepository


async def list_messages(
    db: Database,
    company_id: str,
    client_id: str,
    session: str,
    page_size: int,
    page_token: str,
    channel: str = "",
    locations: frozenset[str] | None = None,
) -> tuple[list[MessageRow], str]:
    """`locations`: the caller's scope (None: every location); a member of staff kept to some
    locations does not see the messages of sessions at the others (e.g. their reminders)."""
    query = {"client": client_id, "session": session, "channel": channel}
    page = parse_page(page_size, page_token, query)
    before = (datetime.fromisoformat(page.cursor["t"]), page.cursor["id"]) if page.cursor else None
    async with UnitOfWork(db, readonly=True) as uow:
        rows = await MessageRepository(uow.session).newest_first(
            company_id,
            client_id=client_id,
            session=session,
            channel=channel,
            before=before,
            limit=page.size + 1,
            locations=locations,
        )
    more = len(rows) > page.size
    rows = rows[: page.size]
    cursor = {"t": rows[-1].created_at.isoformat(), "id": rows[-1].id} if more and rows else None
    return rows, next_token(cursor, query)


async def get_message(
    db: Database, company_id: str, message_id: str, locations: frozenset[str] | None = None
) -> MessageRow:
    """One message; NOT_FOUND too when it is about a session at a location outside `locations`."""
    async with UnitOfWork(db, readonly=True) as uow:
        row = await MessageRepository(uow.session).get(company_id, message_id, locations)
    if row is None:
        raise NotFound("no such message")
    return row
