"""The clients service's events at scheduling's edge (what keeps the known-client directory,
application/client_directory.py): each payload, decoded by the kit's consumer by the subject's
payload type (events.py), is read here into domain facts (`known_client_convert.client_version`)
and handed to the use case. `SUBSCRIPTIONS` is what main.py's consumer of the clients stream
runs; the messages stop here, the use cases take `ClientVersion`s and ids. On PostgreSQL a
created or updated client learned here already (a booking made it known first) or new here
(its event came first) is applied with its inbox entry in one statement
(storage/known_client_repository.py, `EVENT_VERSION_READY`), the handler only where that
statement leaves it."""

from __future__ import annotations

from typing import Any

from shutterbook.clients.v1 import events_pb2
from shutterbook.common.v1 import events_pb2 as common_events
from shutterbook_kit.consumer import Delivery, OneStatement, Subscription, subscribe
from shutterbook_scheduling import events
from shutterbook_scheduling.api.known_client_convert import client_version
from shutterbook_scheduling.application import client_directory
from shutterbook_scheduling.storage import known_client_repository as known_clients


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


def _version_in_one(envelope: common_events.EventEnvelope, event: Any) -> dict[str, Any] | None:
    """A created or updated event's client version as the one statement's parameters; None (the
    handler's unit of work) for a client without its version time, as the handler reads it."""
    if not event.client.HasField("update_time"):
        return None
    return known_clients.event_version_params(envelope.company_id, client_version(event.client))


# on PostgreSQL a version for a client learned already or new here (a booking's client, the
# common case, either way round) is applied with its inbox entry in one statement
_VERSION_IN_ONE = OneStatement(
    known_clients.EVENT_VERSION_EFFECT,
    _version_in_one,
    known_clients.EVENT_VERSION_TYPES,
    ready=known_clients.EVENT_VERSION_READY,
    # the event of a client a booking is making known waits for the booking's row, then finds
    # it in a second statement's snapshot (the common case: the event comes during the booking)
    attempts=2,
)

SUBSCRIPTIONS: list[Subscription] = [
    subscribe(events.CLIENT_CREATED, on_client_created, one_statement=_VERSION_IN_ONE),
    subscribe(events.CLIENT_UPDATED, on_client_updated, one_statement=_VERSION_IN_ONE),
    subscribe(events.CLIENT_DELETED, on_client_deleted),
    subscribe(events.CLIENT_MERGED, on_client_merged),
]
