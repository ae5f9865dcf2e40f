"""The clients service's events at scheduling's edge (what keeps the known-client directory,
application/client_directory.py): each payload, decoded by the kit's consumer by the subject's
payload type (events.py), is read here into domain facts (`known_client_convert.client_version`)
and handed to the use case. `SUBSCRIPTIONS` is what main.py's consumer of the clients stream
runs; the messages stop here, the use cases take `ClientVersion`s and ids."""

from __future__ import annotations

from shutterbook.clients.v1 import events_pb2
from shutterbook_kit.consumer import Delivery, Subscription, subscribe
from shutterbook_scheduling import events
from shutterbook_scheduling.api.known_client_convert import client_version
from shutterbook_scheduling.application import client_directory


async def on_client_created(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientCreatedEvent)
    await client_directory.client_created(delivery.uow, delivery.envelope.company_id, client_version(event.client))


async def on_client_updated(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientUpdatedEvent)
    await client_directory.upsert_known_client(delivery.uow, delivery.envelope.company_id, client_version(event.client))


async def on_client_deleted(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientDeletedEvent)
    await client_directory.client_deleted(delivery.uow, delivery.envelope.company_id, client_version(event.client))


async def on_client_merged(delivery: Delivery) -> None:
    event = delivery.payload
    assert isinstance(event, events_pb2.ClientMergedEvent)
    await client_directory.client_merged(
        delivery.uow,
        delivery.envelope.company_id,
        client_version(event.surviving_client),
        event.merged_client.removeprefix("clients/"),
    )


SUBSCRIPTIONS: list[Subscription] = [
    subscribe(events.CLIENT_CREATED, on_client_created),
    subscribe(events.CLIENT_UPDATED, on_client_updated),
    subscribe(events.CLIENT_DELETED, on_client_deleted),
    subscribe(events.CLIENT_MERGED, on_client_merged),
]
