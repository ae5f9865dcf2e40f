"""Wiring of the notifications service, and its CLI (`shutterbook-notifications serve|migrate`)."""

from __future__ import annotations

from pathlib import Path

from shutterbook.notifications.v1 import notifications_pb2, notifications_pb2_grpc
from shutterbook_kit.cli import service_cli
from shutterbook_kit.consumer import ConsumerPolicy, EventConsumer
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost, Worker
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.settings import ServiceSettings
from shutterbook_notifications.api.events import EventHandlers
from shutterbook_notifications.api.permissions import PERMISSIONS
from shutterbook_notifications.api.servicer import NotificationsServicer
from shutterbook_notifications.api.upstreams import BillingClient, SchedulingClient, Upstreams
from shutterbook_notifications.application.sender import EmailTransport, Sender
from shutterbook_notifications.settings import NotificationSettings
from shutterbook_notifications.transports.sms import SandboxSmsProvider, SmsProvider
from shutterbook_notifications.transports.smtp import SmtpTransport

SERVICE = "notifications"
MIGRATIONS = Path(__file__).parent / "storage" / "migrations"
SERVICE_NAME = notifications_pb2.DESCRIPTOR.services_by_name["NotificationsService"].full_name


def build(
    settings: NotificationSettings, *, sms: SmsProvider | None = None, email: EmailTransport | None = None
) -> ServiceHost:
    """The notifications service. `sms` is the SMS provider (default: the sandbox; a real adapter
    is passed here); `email` defaults to SMTP with the configured relay."""
    upstreams = settings.service.upstreams
    locations = Upstreams(SchedulingClient(upstreams["scheduling"]), BillingClient(upstreams["billing"]))
    handlers = EventHandlers(locations, settings.company_name)
    policy = ConsumerPolicy.from_settings(settings.service)

    def consumers(db: Database, nats: NatsConnection) -> list[EventConsumer]:
        return [
            EventConsumer(db, nats, consumer=SERVICE, stream=StreamSpec(domain), subscriptions=subs, policy=policy)
            for domain, subs in (
                ("clients", handlers.clients()),
                ("scheduling", handlers.scheduling()),
                ("gateway", handlers.gateway()),
            )
        ]

    def workers(db: Database, nats: NatsConnection) -> list[Worker]:
        return [
            Sender(
                db,
                email if email is not None else SmtpTransport(settings.smtp),
                sms if sms is not None else SandboxSmsProvider(),
                settings.retry,
                interval_seconds=settings.send_interval_seconds,
                lease_seconds=settings.send_lease_seconds,
            )
        ]

    host = ServiceHost.create(
        settings.service,
        service_names=[SERVICE_NAME],
        add_servicers=lambda server, db: notifications_pb2_grpc.add_NotificationsServiceServicer_to_server(
            NotificationsServicer(db, locations, settings.company_name), server
        ),
        consumers=consumers,
        workers=workers,
        permissions=PERMISSIONS,
    )
    host.parts.on_stop.append(locations.close)
    return host


async def serve(_settings: ServiceSettings) -> None:
    await build(NotificationSettings.from_env()).run_until_signalled()


cli = service_cli(service=SERVICE, serve=serve, migrations=MIGRATIONS)
