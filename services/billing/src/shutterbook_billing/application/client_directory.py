"""Billing's directory of clients: names for invoices and documents, kept from the clients
service's events. An invoice keeps the client's name as it was when the invoice was made
(or the name given on it); one made before billing knew the client shows the directory's
current name. A merge re-points the merged client's invoices, payments and deposits to the
surviving client, and those invoices take the survivor's name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shutterbook.billing.v1 import billing_pb2
from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook.common.v1 import events_pb2 as common_events_pb2
from shutterbook_billing import events
from shutterbook_billing.storage.client_directory import (
    APPLY_IN_ONE_CTES,
    APPLY_TYPES,
    ClientDirectoryRepository,
    apply_params,
)
from shutterbook_billing.storage.deposits import DepositRepository
from shutterbook_billing.storage.invoices import InvoiceRepository
from shutterbook_billing.storage.payments import PaymentRepository
from shutterbook_kit.consumer import Delivery, OneStatement, subscribe
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import parse_reference, resource_id
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork


def display_name(client: clients_pb2.Client) -> str:
    person = " ".join(p for p in (client.given_name, client.family_name) if p)
    return (client.household_name or person)[:200]


def _version(client: clients_pb2.Client) -> datetime:
    return client.update_time.ToDatetime(tzinfo=UTC) if client.HasField("update_time") else utcnow()


def _client_params(company_id: str, client: clients_pb2.Client) -> dict[str, Any]:
    return apply_params(company_id, resource_id(client.name, "clients"), display_name(client), _version(client))


async def upsert(uow: UnitOfWork, company_id: str, client: clients_pb2.Client) -> None:
    """Apply a client version; an older version than the one held changes nothing."""
    await ClientDirectoryRepository(uow.session).apply(**_client_params(company_id, client))


def _event_version(envelope: common_events_pb2.EventEnvelope, event: Any) -> dict[str, Any] | None:
    """A created or updated event's client version as the one statement's parameters; None for
    a client without its version time (the handler's unit of work, with the inbox first, then:
    a time made up now would let a redelivery overwrite a newer version)."""
    if not event.client.HasField("update_time"):
        return None
    return _client_params(envelope.company_id, event.client)


# on PostgreSQL a created or updated client is applied with its inbox entry in one statement
_APPLY_IN_ONE = OneStatement(APPLY_IN_ONE_CTES, _event_version, APPLY_TYPES)


async def name_of(uow: UnitOfWork, company_id: str, client_id: str) -> str:
    return await ClientDirectoryRepository(uow.session).name_of(company_id, client_id)


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
    survivor = resource_id(event.surviving_client.name, "clients")
    merged = resource_id(event.merged_client, "clients")
    await upsert(delivery.uow, company_id, event.surviving_client)
    # the merged record is gone: its invoices bill the survivor, under the survivor's name
    session = delivery.uow.session
    name = display_name(event.surviving_client)
    await InvoiceRepository(session).move_client(company_id, merged, survivor, name)
    await PaymentRepository(session).move_client(company_id, merged, survivor)
    await DepositRepository(session).move_client(company_id, merged, survivor)


SUBSCRIPTIONS = [
    subscribe(events.CLIENT_CREATED, on_created, one_statement=_APPLY_IN_ONE),
    subscribe(events.CLIENT_UPDATED, on_updated, one_statement=_APPLY_IN_ONE),
    subscribe(events.CLIENT_MERGED, on_merged),
]


async def is_known(uow: UnitOfWork, company_id: str, client_id: str) -> bool:
    return await ClientDirectoryRepository(uow.session).get(company_id, client_id) is not None


async def ensure_known_client(
    db: Database, company_id: str, request: billing_pb2.EnsureKnownClientRequest
) -> billing_pb2.EnsureKnownClientResponse:
    """Apply a client version as `clients.client.created`/`updated` does (an older version than
    the one held changes nothing): for a caller that just created the client in the clients
    service and invoices it before the event arrives."""
    v = Violations()
    client = request.client
    client_id = parse_reference(client.name, "clients", field="client.name", violations=v)
    if not client.HasField("update_time"):
        v.add("client.update_time", "is required (it orders the client's versions)")
    v.raise_if_any()
    assert client_id is not None  # a bad name raised above
    # one statement inserts or updates it, whoever (the client's event, a concurrent call) came first
    async with UnitOfWork(db, source="billing") as uow:
        await upsert(uow, company_id, client)
        name = await name_of(uow, company_id, client_id)
        await uow.commit()
    return billing_pb2.EnsureKnownClientResponse(client=client.name, display_name=name)
