"""How a durable consumer pulls (kit `EventConsumer.next_batch`): while it keeps up, one message
a pull (the pull waits on the server for the next event); while it is behind, as many as are
pending, at most `fetch_batch`, in one pull. The pulls are read where the server reads them:
the JetStream API subject of the consumer's next messages."""

from __future__ import annotations

import json
import uuid
from typing import Any

import nats
from sqlalchemy import text

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, relayed_consumer
from shutterbook_kit import shared_events
from shutterbook_kit.consumer import ConsumerPolicy, Delivery, EventConsumer, subscribe
from shutterbook_kit.db import Database
from shutterbook_kit.messaging import StreamSpec
from shutterbook_kit.uow import UnitOfWork

STREAM = StreamSpec("clients")


async def _emit(db: Database, count: int) -> set[str]:
    ids: set[str] = set()
    async with UnitOfWork(db) as uow:
        for n in range(count):
            event = events_pb2.ClientCreatedEvent(client=clients_pb2.Client(name=f"clients/c{n}", given_name="C"))
            ids.add(uow.emit(shared_events.CLIENT_CREATED, "company", event))
        await uow.commit()
    return ids


async def test_a_consumer_behind_pulls_in_batches_and_one_keeping_up_pulls_one(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    name = f"pulls-{uuid.uuid4().hex[:8]}"
    handled: set[str] = set()

    async def handler(delivery: Delivery) -> None:
        handled.add(delivery.envelope.event_id)

    pulls: list[dict[str, Any]] = []
    watcher = await nats.connect(nats_server.url)

    async def pulled(msg: Any) -> None:
        pulls.append(json.loads(msg.data or b"{}"))

    await watcher.subscribe(f"$JS.API.CONSUMER.MSG.NEXT.{STREAM.name}.{name}", cb=pulled)
    subscriptions = [subscribe(shared_events.CLIENT_CREATED, handler)]
    policy = ConsumerPolicy(fetch_batch=8)
    try:
        async with relayed_consumer(db, nats_server.url, STREAM, name, subscriptions, policy) as consumer:
            await _pull_behind_then_keeping_up(db, consumer, handled, pulls)
    finally:
        await watcher.close()
        await db.dispose()


async def _pull_behind_then_keeping_up(
    db: Database, consumer: EventConsumer, handled: set[str], pulls: list[dict[str, Any]]
) -> None:
    """The backlog first (published before the consumer starts), then one event once it caught up."""
    backlog = await _emit(db, 20)  # published before the consumer exists: it starts behind

    async def published() -> bool:
        async with UnitOfWork(db, readonly=True) as uow:
            left = await uow.session.scalar(text("SELECT count(*) FROM outbox_messages WHERE published_at IS NULL"))
        return bool(left == 0)

    await eventually(published, timeout=30, what="the backlog published")
    consumer.start()
    await eventually(lambda: _all(handled, backlog), timeout=30, what="the backlog handled")
    behind = [p.get("batch", 1) for p in pulls]
    assert max(behind) > 1, behind  # pending messages pulled together
    assert max(behind) <= 8, behind  # never more than fetch_batch

    await eventually(lambda: _caught_up(consumer), timeout=30, what="the consumer caught up")
    pulls.clear()
    one = await _emit(db, 1)
    await eventually(lambda: _all(handled, one), timeout=30, what="the new event handled")
    assert pulls, "the consumer pulled"
    assert {p.get("batch", 1) for p in pulls} == {1}, pulls  # keeping up: one at a time
    assert not any(p.get("no_wait") for p in pulls), pulls  # each pull waits on the server


async def _all(handled: set[str], wanted: set[str]) -> bool:
    return wanted <= handled


async def _caught_up(consumer: EventConsumer) -> bool:
    """Nothing pending for the consumer: every event of the stream (other tests' too) handled."""
    js = await consumer.nats.jetstream()
    info = await js.consumer_info(consumer.stream.name, consumer.consumer)
    return bool(info.num_pending == 0 and info.num_ack_pending == 0)
