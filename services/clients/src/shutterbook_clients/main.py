"""Wiring of the clients service, and its CLI (`shutterbook-clients serve|migrate|seed`)."""

from __future__ import annotations

from pathlib import Path

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook_clients import events
from shutterbook_clients.api.permissions import PERMISSIONS
from shutterbook_clients.api.servicer import ClientsServicer
from shutterbook_clients.application import last_sessions
from shutterbook_kit.cli import service_cli
from shutterbook_kit.consumer import ConsumerPolicy, EventConsumer
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.settings import ServiceSettings

SERVICE = "clients"
MIGRATIONS = Path(__file__).parent / "storage" / "migrations"
SERVICE_NAME = clients_pb2.DESCRIPTOR.services_by_name["ClientsService"].full_name


def build(settings: ServiceSettings) -> ServiceHost:
    consumer_policy = ConsumerPolicy.from_settings(settings)

    def consumers(db: Database, nats: NatsConnection) -> list[EventConsumer]:
        # scheduling's session events: each client's last session (the Clients hub's sort)
        return [
            EventConsumer(
                db,
                nats,
                consumer=SERVICE,
                stream=StreamSpec(events.SESSION_BOOKED.domain),
                subscriptions=last_sessions.SUBSCRIPTIONS,
                policy=consumer_policy,
            )
        ]

    return ServiceHost.create(
        settings,
        service_names=[SERVICE_NAME],
        permissions=PERMISSIONS,
        add_servicers=lambda server, db: clients_pb2_grpc.add_ClientsServiceServicer_to_server(
            ClientsServicer(db), server
        ),
        consumers=consumers,
    )


async def serve(settings: ServiceSettings) -> None:
    await build(settings).run_until_signalled()


cli = service_cli(service=SERVICE, serve=serve, migrations=MIGRATIONS)
