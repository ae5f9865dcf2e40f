"""Wiring of the billing service, and its CLI (`shutterbook-billing serve|migrate|seed`)."""

from __future__ import annotations

from pathlib import Path

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook_billing import events
from shutterbook_billing.api.permissions import PERMISSIONS
from shutterbook_billing.api.servicer import BillingServicer
from shutterbook_billing.application import booking_invoices, client_directory, studio_profile
from shutterbook_billing.domain.payments import PaymentProvider
from shutterbook_billing.providers.sandbox import SandboxProvider
from shutterbook_billing.settings import BillingSettings
from shutterbook_kit.cli import service_cli
from shutterbook_kit.consumer import ConsumerPolicy, EventConsumer
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.settings import ServiceSettings

SERVICE = "billing"
MIGRATIONS = Path(__file__).parent / "storage" / "migrations"
SERVICE_NAME = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name


def build(
    settings: ServiceSettings, *, provider: PaymentProvider | None = None, own: BillingSettings | None = None
) -> ServiceHost:
    """The billing service. `provider` is the payment provider (default: the built-in sandbox;
    a real provider adapter is passed here); `own`: its own settings, read from the environment
    now unless given."""
    payment_provider: PaymentProvider = provider if provider is not None else SandboxProvider()
    consumer_policy = ConsumerPolicy.from_settings(settings)
    refund_limit_minor = (own if own is not None else BillingSettings.from_env()).staff_refund_limit_minor

    def consumers(db: Database, nats: NatsConnection) -> list[EventConsumer]:
        return [
            EventConsumer(
                db,
                nats,
                consumer=SERVICE,
                stream=StreamSpec(events.SESSION_BOOKED.domain),
                subscriptions=[*booking_invoices.SUBSCRIPTIONS, *studio_profile.SUBSCRIPTIONS],
                policy=consumer_policy,
            ),
            EventConsumer(
                db,
                nats,
                consumer=SERVICE,
                stream=StreamSpec(events.CLIENT_CREATED.domain),
                subscriptions=client_directory.SUBSCRIPTIONS,
                policy=consumer_policy,
            ),
        ]

    return ServiceHost.create(
        settings,
        service_names=[SERVICE_NAME],
        permissions=PERMISSIONS,
        add_servicers=lambda server, db: billing_pb2_grpc.add_BillingServiceServicer_to_server(
            BillingServicer(db, payment_provider, refund_limit_minor=refund_limit_minor), server
        ),
        consumers=consumers,
    )


async def serve(settings: ServiceSettings) -> None:
    await build(settings, own=BillingSettings.from_env()).run_until_signalled()


cli = service_cli(service=SERVICE, serve=serve, migrations=MIGRATIONS)
