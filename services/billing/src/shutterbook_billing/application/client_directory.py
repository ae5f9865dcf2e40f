"""Billing's directory of clients: names for invoices and documents, kept from the clients
service's events. An invoice keeps the client's name as it was when the invoice was made
(or the name given on it); one made before billing knew the client shows the directory's
current name. A merge re-points the merged client's invoices, payments and deposits to the
surviving client, and those invoices take the survivor's name."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select, update

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_billing.storage.models import DepositRow, InvoiceRow, KnownClientRow, PaymentRow
from shutterbook_kit.consumer import Delivery, Subscription
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork


def display_name(client: clients_pb2.Client) -> str:
    person = " ".join(p for p in (client.given_name, client.family_name) if p)
    return (client.household_name or person)[:200]


async def upsert(uow: UnitOfWork, company_id: str, client: clients_pb2.Client) -> None:
    """Apply a client version; an older version than the one held changes nothing."""
    client_id = client.name.removeprefix("clients/")
    version = client.update_time.ToDatetime(tzinfo=UTC) if client.HasField("update_time") else utcnow()
    row = await uow.session.get(KnownClientRow, (company_id, client_id))
    if row is None:
        uow.session.add(
            KnownClientRow(
                company_id=company_id,
                client_id=client_id,
                display_name=display_name(client),
                source_updated_at=version,
            )
        )
    elif version >= row.source_updated_at:
        row.display_name = display_name(client)
        row.source_updated_at = version


async def name_of(uow: UnitOfWork, company_id: str, client_id: str) -> str:
    found = await uow.session.scalar(
        select(KnownClientRow.display_name).where(
            KnownClientRow.company_id == company_id, KnownClientRow.client_id == client_id
        )
    )
    return found or ""


async def on_created(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientCreatedEvent)
    await upsert(delivery.uow, delivery.envelope.company_id, event.client)


async def on_updated(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientUpdatedEvent)
    await upsert(delivery.uow, delivery.envelope.company_id, event.client)


async def on_merged(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientMergedEvent)
    company_id = delivery.envelope.company_id
    survivor = event.surviving_client.name.removeprefix("clients/")
    merged = event.merged_client.removeprefix("clients/")
    await upsert(delivery.uow, company_id, event.surviving_client)
    # the merged record is gone: its invoices bill the survivor, under the survivor's name
    await delivery.uow.session.execute(
        update(InvoiceRow)
        .where(InvoiceRow.company_id == company_id, InvoiceRow.client_id == merged)
        .values(client_id=survivor, client_display_name=display_name(event.surviving_client))
        .execution_options(synchronize_session=False)
    )
    for model in (PaymentRow, DepositRow):
        await delivery.uow.session.execute(
            update(model)
            .where(model.company_id == company_id, model.client_id == merged)
            .values(client_id=survivor)
            .execution_options(synchronize_session=False)
        )


SUBSCRIPTIONS = [
    Subscription("clients.client.created", events_pb2.ClientCreatedEvent, on_created),
    Subscription("clients.client.updated", events_pb2.ClientUpdatedEvent, on_updated),
    Subscription("clients.client.merged", events_pb2.ClientMergedEvent, on_merged),
]
