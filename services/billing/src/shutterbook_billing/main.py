"""Wiring of the billing service, and its CLI (`shutterbook-billing serve|migrate|seed`)."""

from __future__ import annotations

from pathlib import Path

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook_billing.api.servicer import BillingServicer
from shutterbook_kit.cli import service_cli
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.settings import ServiceSettings

SERVICE = "billing"
MIGRATIONS = Path(__file__).parent / "storage" / "migrations"
SERVICE_NAME = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name


def build(settings: ServiceSettings) -> ServiceHost:
    return ServiceHost.create(
        settings,
        service_names=[SERVICE_NAME],
        add_servicers=lambda server, db: billing_pb2_grpc.add_BillingServiceServicer_to_server(
            BillingServicer(db), server
        ),
    )


async def serve(settings: ServiceSettings) -> None:
    await build(settings).run_until_signalled()


cli = service_cli(service=SERVICE, serve=serve, migrations=MIGRATIONS)
