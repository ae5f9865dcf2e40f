"""An outbox relay lingers after a commit wakes it (SHUTTERBOOK_OUTBOX_LINGER_SECONDS), so the
events committed in that moment leave in one claim and one transaction (issue 19), and none is
held back longer than the linger."""

from __future__ import annotations

import asyncio

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_kit import shared_events
from shutterbook_kit.db import Database
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.relay import OutboxRelay
from shutterbook_kit.uow import UnitOfWork

STREAM = StreamSpec("clients")


async def _emit(db: Database, n: int) -> str:
    async with UnitOfWork(db) as uow:
        event = events_pb2.ClientCreatedEvent(client=clients_pb2.Client(name=f"clients/{n}", given_name=str(n)))
        event_id = uow.emit(shared_events.CLIENT_CREATED, "company", event)
        await uow.commit()
    return event_id


async def _published(db: Database, nats_url: str, linger: float, gap: float) -> OutboxRelay:
    """Two events committed `gap` seconds apart, drained by a relay lingering `linger`."""
    nats = NatsConnection(nats_url, name="relay")
    nats.start()
    # no idle poll in the test's time: only the commits wake the relay
    relay = OutboxRelay(db, nats, STREAM, idle_poll_seconds=30.0, linger_seconds=linger)
    relay.start()
    try:
        # a first event published: the relay is connected, past its first round, and waits
        # for the next commit (no fixed sleep to guess how long that takes)
        warm = await _emit(db, 0)

        async def warmed() -> bool:
            return warm in relay.stats.by_event

        await eventually(warmed, timeout=20, what="the first event published")
        first = await _emit(db, 1)
        await asyncio.sleep(gap)
        second = await _emit(db, 2)

        async def both() -> bool:
            return first in relay.stats.by_event and second in relay.stats.by_event

        await eventually(both, timeout=20, what="both events published")
    finally:
        await relay.stop()
        await nats.close()
    return relay


async def test_commits_in_the_linger_leave_in_one_batch(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    try:
        # without the linger the first event would leave alone, before the second's commit
        lingering = await _published(db, nats_server.url, linger=1.0, gap=0.05)
        assert lingering.stats.batches == 2, lingering.stats  # the first event's, then one for both
        assert lingering.stats.published == 3
    finally:
        await db.dispose()
