"""Wiring of the clients service, and its CLI (`shutterbook-clients serve|migrate|seed`)."""

from __future__ import annotations

from pathlib import Path

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook_clients.api.permissions import PERMISSIONS
from shutterbook_clients.api.servicer import ClientsServicer
from shutterbook_kit.cli import service_cli
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.settings import ServiceSettings

SERVICE = "clients"
MIGRATIONS = Path(__file__).parent / "storage" / "migrations"
SERVICE_NAME = clients_pb2.DESCRIPTOR.services_by_name["ClientsService"].full_name


def build(settings: ServiceSettings) -> ServiceHost:
    return ServiceHost.create(
        settings,
        service_names=[SERVICE_NAME],
        permissions=PERMISSIONS,
        add_servicers=lambda server, db: clients_pb2_grpc.add_ClientsServiceServicer_to_server(
            ClientsServicer(db), server
        ),
    )


async def serve(settings: ServiceSettings) -> None:
    await build(settings).run_until_signalled()


cli = service_cli(service=SERVICE, serve=serve, migrations=MIGRATIONS)
