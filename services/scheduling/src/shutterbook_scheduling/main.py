"""Wiring of the scheduling service, and its CLI (`shutterbook-scheduling serve|migrate|seed`)."""

from __future__ import annotations

from pathlib import Path

import grpc

from shutterbook.scheduling.v1 import scheduling_pb2, scheduling_pb2_grpc
from shutterbook_kit.cli import service_cli
from shutterbook_kit.consumer import ConsumerPolicy, EventConsumer
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost, Worker
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.settings import ServiceSettings
from shutterbook_scheduling.api import bulk_scheduling, client_events, online_booking, picture_days, slot_patterns
from shutterbook_scheduling.api.entry_convert import announce_entry
from shutterbook_scheduling.api.permissions import PERMISSIONS
from shutterbook_scheduling.api.servicer import SchedulingServicer
from shutterbook_scheduling.application.reminders import ReminderWorker
from shutterbook_scheduling.settings import SchedulingSettings

SERVICE = "scheduling"
MIGRATIONS = Path(__file__).parent / "storage" / "migrations"
SERVICE_NAME = scheduling_pb2.DESCRIPTOR.services_by_name["SchedulingService"].full_name
# Features that bring their own gRPC service and workers into this process.
FEATURES = (online_booking, bulk_scheduling, slot_patterns, picture_days)


def build(settings: ServiceSettings, own: SchedulingSettings | None = None) -> ServiceHost:
    """The scheduling service; `own`: its own settings (holds, worker timing), read from the
    environment now unless given."""
    mine = own if own is not None else SchedulingSettings.from_env()
    consumer_policy = ConsumerPolicy.from_settings(settings)

    def consumers(db: Database, nats: NatsConnection) -> list[EventConsumer]:
        return [
            EventConsumer(
                db,
                nats,
                consumer=SERVICE,
                stream=StreamSpec("clients"),
                subscriptions=client_events.SUBSCRIPTIONS,
                policy=consumer_policy,
            ),
        ]

    def add_servicers(server: grpc.aio.Server, db: Database) -> None:
        scheduling_pb2_grpc.add_SchedulingServiceServicer_to_server(SchedulingServicer(db), server)
        for feature in FEATURES:
            feature.register(server, db, settings, mine)

    def workers(db: Database, nats: NatsConnection) -> list[Worker]:
        found: list[Worker] = [ReminderWorker(db, announce_entry, interval=mine.reminder_interval_seconds)]
        for feature in FEATURES:
            found += feature.workers(db, nats, settings, mine)
        return found + online_booking.listeners(db, nats, mine)

    return ServiceHost.create(
        settings,
        service_names=[SERVICE_NAME, *(name for feature in FEATURES for name in feature.SERVICE_NAMES)],
        permissions=PERMISSIONS,
        add_servicers=add_servicers,
        consumers=consumers,
        workers=workers,
    )


async def serve(settings: ServiceSettings) -> None:
    await build(settings, SchedulingSettings.from_env()).run_until_signalled()


cli = service_cli(service=SERVICE, serve=serve, migrations=MIGRATIONS)
