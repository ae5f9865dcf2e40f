"""What notifications knows of clients (from clients.client.* events) and their preferences.

The reminder opt-out lives here, in the notifications service: it is a notification
preference, edited through `UpdateClientPreferences`, and the clients service has no such
field."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.domain.context import ClientFacts, client_copy_behind
from shutterbook_notifications.storage.models import ClientPreferenceRow, KnownClientRow
from shutterbook_notifications.storage.repository import ClientDirectoryRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientVersion:
    company_id: str
    client_id: str
    given_name: str
    family_name: str
    display_name: str
    email: str
    phone: str
    deleted: bool
    version: datetime


class ClientNotKnownYet(Exception):
    """The client's event has not arrived yet: the handler fails and the event is retried."""


async def upsert(uow: UnitOfWork, c: ClientVersion) -> None:
    clients = ClientDirectoryRepository(uow.session)
    row = await clients.get(c.company_id, c.client_id)
    if row is None:
        clients.add(
            KnownClientRow(
                company_id=c.company_id,
                client_id=c.client_id,
                given_name=c.given_name[:200],
                family_name=c.family_name[:200],
                display_name=c.display_name[:200],
                email=c.email[:320],
                phone=c.phone[:40],
                deleted=c.deleted,
                source_updated_at=c.version,
            )
        )
    elif c.version >= row.source_updated_at:
        row.given_name, row.family_name, row.display_name = (
            c.given_name[:200],
            c.family_name[:200],
            c.display_name[:200],
        )
        row.email, row.phone, row.deleted, row.source_updated_at = c.email[:320], c.phone[:40], c.deleted, c.version


async def merge(uow: UnitOfWork, survivor: ClientVersion, merged_id: str) -> None:
    await upsert(uow, survivor)
    clients = ClientDirectoryRepository(uow.session)
    row = await clients.get(survivor.company_id, merged_id)
    if row is not None:
        row.deleted = True
    await clients.move_records(survivor.company_id, merged_id, survivor.client_id)


async def client(uow: UnitOfWork, company_id: str, client_id: str) -> KnownClientRow:
    row = await ClientDirectoryRepository(uow.session).get(company_id, client_id)
    if row is None:
        raise ClientNotKnownYet(f"client {client_id} not known yet")
    return row


async def client_as_of(uow: UnitOfWork, company_id: str, client_id: str, seen: datetime | None) -> KnownClientRow:
    """The client, no older than `seen` (its `update_time` as a caller last saw it): a change
    saved before the caller acted but whose event has not arrived is ClientNotKnownYet, not
    the copy from before it, for `CLIENT_CATCH_UP` (then the copy is used, with a warning: a
    change that late is stuck, and the desk's letter must not wait for ever)."""
    row = await client(uow, company_id, client_id)
    if client_copy_behind(row.source_updated_at, seen, utcnow()):
        raise ClientNotKnownYet(f"client {client_id}'s change of {seen} not known yet")
    if seen is not None and row.source_updated_at < seen:
        log.warning(
            "client %s: change of %s never arrived; the letter uses the copy of %s",
            client_id,
            seen.isoformat(),
            row.source_updated_at.isoformat(),
        )
    return row


def facts(row: KnownClientRow) -> ClientFacts:
    return ClientFacts(row.given_name, row.family_name, row.display_name, row.email)


async def reminder_opt_out(uow: UnitOfWork, company_id: str, client_id: str) -> bool:
    row = await ClientDirectoryRepository(uow.session).preference(company_id, client_id)
    return bool(row and row.reminder_opt_out)


async def get_preferences(db: Database, company_id: str, client_id: str) -> bool:
    async with UnitOfWork(db, readonly=True) as uow:
        return await reminder_opt_out(uow, company_id, client_id)


async def set_preferences(db: Database, company_id: str, client_id: str, opt_out: bool) -> bool:
    async with UnitOfWork(db) as uow:
        clients = ClientDirectoryRepository(uow.session)
        row = await clients.preference(company_id, client_id)
        if row is None:
            clients.add_preference(
                ClientPreferenceRow(
                    company_id=company_id, client_id=client_id, reminder_opt_out=opt_out, updated_at=utcnow()
                )
            )
        else:
            row.reminder_opt_out, row.updated_at = opt_out, utcnow()
        await uow.commit()
    return opt_out
