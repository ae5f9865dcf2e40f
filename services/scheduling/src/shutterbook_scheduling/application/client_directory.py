"""Scheduling's directory of clients: kept from the clients service's events, read by
sessions (a session's client must be known here) and by the API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, tuple_

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook.scheduling.v1 import scheduling_pb2
from shutterbook_kit.consumer import Delivery, Subscription
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.storage.models import KnownClientRow


def _display_name(client: clients_pb2.Client) -> str:
    person = " ".join(p for p in (client.given_name, client.family_name) if p)
    return client.household_name or person


async def on_client_created(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientCreatedEvent)
    await upsert_known_client(delivery.uow, delivery.envelope.company_id, event.client)


async def upsert_known_client(uow: UnitOfWork, company_id: str, client: clients_pb2.Client) -> None:
    """Apply a client version; an older version than the one held changes nothing but the count."""
    client_id = client.name.removeprefix("clients/")
    source_time = client.update_time.ToDatetime().replace(tzinfo=utcnow().tzinfo)
    row = await uow.session.get(KnownClientRow, (company_id, client_id))
    if row is None:
        row = KnownClientRow(
            company_id=company_id,
            client_id=client_id,
            revision=0,
            source_updated_at=source_time,
            learned_at=utcnow(),
            display_name="",
        )
        uow.session.add(row)
    row.revision += 1
    if source_time >= row.source_updated_at or not row.display_name:
        row.display_name = _display_name(client)
        row.primary_email = client.emails[0] if client.emails else ""
        row.source_updated_at = source_time
        row.learned_at = utcnow()


SUBSCRIPTIONS = [
    Subscription("clients.client.created", events_pb2.ClientCreatedEvent, on_client_created),
]


def to_proto(row: KnownClientRow) -> scheduling_pb2.KnownClient:
    msg = scheduling_pb2.KnownClient(
        name=f"knownClients/{row.client_id}",
        client=f"clients/{row.client_id}",
        display_name=row.display_name,
        primary_email=row.primary_email,
    )
    msg.update_time.FromDatetime(row.learned_at)
    return msg


async def get_known_client(db: Database, company_id: str, name: str) -> scheduling_pb2.KnownClient:
    client_id = parse_name(name, "knownClients")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.get(KnownClientRow, (company_id, client_id))
    if row is None:
        raise NotFound(f"{name} not found")
    return to_proto(row)


async def list_known_clients(
    db: Database, company_id: str, request: scheduling_pb2.ListKnownClientsRequest
) -> scheduling_pb2.ListKnownClientsResponse:
    page = parse_page(request.page_size, request.page_token)
    query = select(KnownClientRow).where(KnownClientRow.company_id == company_id)
    if page.cursor is not None:
        after = (datetime.fromisoformat(page.cursor["t"]), page.cursor["id"])
        query = query.where(tuple_(KnownClientRow.learned_at, KnownClientRow.client_id) < after)
    query = query.order_by(KnownClientRow.learned_at.desc(), KnownClientRow.client_id.desc()).limit(page.size + 1)
    async with UnitOfWork(db, readonly=True) as uow:
        rows = list((await uow.session.scalars(query)).all())
    more = len(rows) > page.size
    rows = rows[: page.size]
    cursor = {"t": rows[-1].learned_at.isoformat(), "id": rows[-1].client_id} if more else None
    return scheduling_pb2.ListKnownClientsResponse(
        known_clients=[to_proto(r) for r in rows], next_page_token=next_token(cursor)
    )
