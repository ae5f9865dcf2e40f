"""Services in this process on loopback, for tests and benchmarks alike (no side effects
on import: the pytest plugin, which installs the tests' span exporter, builds on this)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from shutterbook.common.v1 import events_pb2
from shutterbook_kit.db import Database
from shutterbook_kit.schema import OutboxMessage
from shutterbook_kit.settings import ServiceSettings


def service_settings(service: str, database_url: str, nats_url: str, **overrides: Any) -> ServiceSettings:
    """The service's settings on 127.0.0.1, a free port, and a quick shutdown."""
    defaults: dict[str, Any] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "host": "127.0.0.1",
        "port": 0,
        "shutdown_drain_seconds": 0.0,
        "shutdown_grace_seconds": 5.0,
    }
    return replace(ServiceSettings.from_env(service), **{**defaults, **overrides})


async def read_outbox(database_url: str, subject_prefix: str) -> list[events_pb2.EventEnvelope]:
    """The events a service has written (published or not), oldest first."""
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            rows = await conn.execute(
                select(OutboxMessage.payload)
                .where(OutboxMessage.subject.startswith(subject_prefix))
                .order_by(OutboxMessage.seq)
            )
            return [events_pb2.EventEnvelope.FromString(r[0]) for r in rows]
    finally:
        await db.dispose()
