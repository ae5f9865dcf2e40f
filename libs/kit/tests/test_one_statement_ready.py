"""A consumer's one statement with its inbox entry first (kit `OneStatement.ready`), on
PostgreSQL through a real NATS: the effect runs with the entry, once (a redelivery finds the
entry and changes nothing); nothing ready, nothing written and the handler runs; and a `ready`
that promised an effect its statement did not make has its inbox entry deleted again, so the
handler makes the effect: never an event counted applied without its effect."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
import pytest
from sqlalchemy import func, select, text
from uow_support import kit_database

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as clients_events
from shutterbook.common.v1 import events_pb2
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_kit.consumer import Delivery, EventConsumer, OneStatement, Subscription
from shutterbook_kit.db import Database
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.schema import InboxEntry

READY, LIES = StreamSpec("kitready"), StreamSpec("kitlies")  # a stream each: a new consumer reads from the start
# counts each event applied to a counter row that exists: ready when the row is there (locked)
COUNTED = OneStatement(
    "effect AS (UPDATE counters SET n = n + 1 WHERE id = :id AND EXISTS (SELECT 1 FROM inbox_new) RETURNING 1)",
    lambda _envelope, event: {"id": event.client.name},
    ready="ready AS MATERIALIZED (SELECT 1 FROM counters WHERE id = :id FOR UPDATE)",
)
# promises an effect whether or not the row is there
LYING = OneStatement(COUNTED.ctes, COUNTED.params, ready="ready AS (SELECT 1)")


async def _handler(delivery: Delivery) -> None:
    """The unit of work's effect: the counter made (at 1) or counted."""
    event = delivery.payload
    assert isinstance(event, clients_events.ClientCreatedEvent)
    await delivery.uow.session.execute(
        text("INSERT INTO counters (id, n) VALUES (:id, 1) ON CONFLICT (id) DO UPDATE SET n = counters.n + 1"),
        {"id": event.client.name},
    )


@asynccontextmanager
async def _consuming(db: Database, url: str, stream: StreamSpec, one: OneStatement) -> AsyncIterator[EventConsumer]:
    connection = NatsConnection(url, name="kit-ready")
    connection.start()
    await connection.ensure_stream(stream)
    subject = f"{stream.domain}.counted"
    consumer = EventConsumer(
        db,
        connection,
        consumer=f"kit-ready-{uuid.uuid4().hex[:8]}",
        stream=stream,
        subscriptions=[Subscription(subject, clients_events.ClientCreatedEvent, _handler, one_statement=one)],
    )
    consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()
        await connection.close()


async def _publish(url: str, stream: StreamSpec, counter: str, event_id: str) -> None:
    subject = f"{stream.domain}.counted"
    envelope = events_pb2.EventEnvelope(event_id=event_id, subject=subject, company_id="c1")
    envelope.payload.Pack(clients_events.ClientCreatedEvent(client=clients_pb2.Client(name=counter)))
    conn = await nats.connect(url)
    try:  # a new message id each time: a second publish of one event id is a redelivery
        await conn.jetstream().publish(
            subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": str(uuid.uuid4())}
        )
    finally:
        await conn.close()


async def _state(db: Database, counter: str, event_id: str) -> tuple[int, int]:
    """The counter's value and the event's inbox entries."""
    async with db.engine.connect() as conn:
        n = await conn.scalar(text("SELECT n FROM counters WHERE id = :id"), {"id": counter})
        entries = await conn.scalar(select(func.count()).where(InboxEntry.event_id == event_id))
    return int(n or 0), int(entries or 0)


async def _handled(consumer: EventConsumer, count: int) -> None:
    async def done() -> bool:
        return consumer.applied + consumer.skipped_duplicates >= count

    await eventually(done, what=f"{count} deliveries handled")


async def test_the_inbox_entry_first(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    if databases.backend != "postgres":
        pytest.skip("one-statement effects are PostgreSQL's")
    db = await kit_database(databases)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE counters (id TEXT PRIMARY KEY, n INTEGER NOT NULL)"))
            await conn.execute(text("INSERT INTO counters (id, n) VALUES ('there', 0)"))
        async with _consuming(db, nats_server.url, READY, COUNTED) as consumer:
            # ready: counted once by the statement, then a redelivery changes nothing
            first = str(uuid.uuid4())
            await _publish(nats_server.url, READY, "there", first)
            await _handled(consumer, 1)
            await _publish(nats_server.url, READY, "there", first)
            await _handled(consumer, 2)
            assert (consumer.applied, consumer.skipped_duplicates) == (1, 1)
            assert await _state(db, "there", first) == (1, 1)

            # not ready (no row): nothing written by the statement, the handler makes the row
            other = str(uuid.uuid4())
            await _publish(nats_server.url, READY, "new", other)
            await _handled(consumer, 3)
            assert await _state(db, "new", other) == (1, 1)

        async with _consuming(db, nats_server.url, LIES, LYING) as consumer:
            # a broken promise: the entry written without the effect is deleted, the handler
            # runs and records it again with the effect
            lied = str(uuid.uuid4())
            await _publish(nats_server.url, LIES, "missing", lied)
            await _handled(consumer, 1)
            assert consumer.applied == 1
            assert await _state(db, "missing", lied) == (1, 1)
    finally:
        await db.dispose()
