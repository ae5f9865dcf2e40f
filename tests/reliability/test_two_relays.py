"""Two outbox relays over one outbox at once (as two replicas would run them): every event
reaches the stream once. With leases that expire at once, both relays publish the same rows
and JetStream drops the second copy, reporting it as a duplicate."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, RoundTrips, eventually, round_trips
from shutterbook_kit import shared_events
from shutterbook_kit.db import Database
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.relay import OutboxRelay
from shutterbook_kit.schema import OutboxMessage
from shutterbook_kit.uow import UnitOfWork

EVENTS = 200
STREAM = StreamSpec("clients")


async def _write_events(db: Database) -> set[str]:
    ids: set[str] = set()
    async with UnitOfWork(db) as uow:
        for i in range(EVENTS):
            event = events_pb2.ClientCreatedEvent(client=clients_pb2.Client(name=f"clients/{i}", given_name=str(i)))
            ids.add(uow.emit(shared_events.CLIENT_CREATED, "company", event))
        await uow.commit()
    return ids


async def _unpublished(db: Database) -> int:
    async with UnitOfWork(db, readonly=True) as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.published_at.is_(None))
            )
            or 0
        )


@dataclass
class Round:
    ids: set[str]  # the events written
    stored: int  # messages the stream gained
    relays: list[OutboxRelay]
    seen: list[RoundTrips]  # what each relay's database connections sent, stop included


async def _round(databases: DatabaseFactory, nats_url: str, lease_seconds: float) -> Round:
    """200 events written, then drained by two relays over one outbox at once."""
    url = await databases.new("clients", migrate_with=clients_main.MIGRATIONS)
    writer = Database(url)
    probe = NatsConnection(nats_url, name="probe")
    probe.start()
    js = await probe.jetstream()
    await probe.ensure_stream(STREAM)
    before = (await js.stream_info(STREAM.name)).state.messages
    ids = await _write_events(writer)
    # two engines on one database, as two processes would have
    dbs = [Database(url), Database(url)]
    nats = [NatsConnection(nats_url, name=f"relay-{i}") for i in range(2)]
    relays = [
        OutboxRelay(db, n, STREAM, batch_size=10, lease_seconds=lease_seconds, idle_poll_seconds=0.05)
        for db, n in zip(dbs, nats, strict=True)
    ]
    for n in nats:
        n.start()
    try:
        async with AsyncExitStack() as watching:
            seen = [await watching.enter_async_context(round_trips(db)) for db in dbs]
            for relay in relays:
                relay.start()
            try:
                await eventually(lambda: _done(writer), timeout=60, what="outbox drained")
            finally:
                for relay in relays:
                    await relay.stop()
    finally:
        for n, db in zip(nats, dbs, strict=True):
            await n.close()
            await db.dispose()
    after = (await js.stream_info(STREAM.name)).state.messages
    await probe.close()
    await writer.dispose()
    return Round(ids, after - before, relays, seen)


@pytest.mark.parametrize("lease_seconds", [30.0, 0.0], ids=["leases-hold", "leases-expire-at-once"])
async def test_two_relays_publish_each_event_once(
    databases: DatabaseFactory, nats_server: EmbeddedNats, lease_seconds: float
) -> None:
    # With leases expiring at once, whether both relays send one row depends on how their
    # rounds interleave: up to three rounds, until one shows a copy dropped and reported.
    for _ in range(1 if lease_seconds > 0 else 3):
        run = await _round(databases, nats_server.url, lease_seconds)
        assert run.stored == EVENTS  # each event stored once
        published = sum(r.stats.published for r in run.relays)
        duplicates = sum(r.stats.duplicates for r in run.relays)
        assert published == EVENTS
        attempts: dict[str, int] = {}
        for relay in run.relays:
            for event_id, count in relay.stats.by_event.items():
                attempts[event_id] = attempts.get(event_id, 0) + count
        assert set(attempts) == run.ids
        assert duplicates == sum(attempts.values()) - EVENTS  # every extra publish was reported as dropped
        if databases.backend == "postgres":  # each round's mark and claim in autocommit
            assert all(seen.statements and not seen.transaction_control for seen in run.seen), [
                seen.transaction_control for seen in run.seen
            ]
        if lease_seconds > 0:
            assert duplicates == 0  # with leases holding, no row is even sent twice
            assert all(r.stats.published > 0 for r in run.relays), "both relays should have shared the work"
            break
        if duplicates > 0:
            break  # rows were sent twice, and JetStream dropped and reported each copy
    else:
        raise AssertionError("three rounds with leases expiring at once and no row sent twice")


async def _done(db: Database) -> bool:
    return await _unpublished(db) == 0


async def test_events_keep_order_of_writing_for_one_relay(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    url = await databases.new("clients", migrate_with=clients_main.MIGRATIONS)
    db = Database(url)
    await _write_events(db)
    nats = NatsConnection(nats_server.url, name="relay")
    nats.start()
    relay = OutboxRelay(db, nats, STREAM, batch_size=7, idle_poll_seconds=0.05)
    relay.start()
    await eventually(lambda: _done(db), timeout=60, what="outbox drained")
    await relay.stop()
    js = await nats.jetstream()
    sub = await js.pull_subscribe("clients.>", stream=STREAM.name)
    seen: list[str] = []
    while len(seen) < EVENTS:
        for msg in await sub.fetch(50, timeout=5):
            seen.append(msg.headers["Nats-Msg-Id"] if msg.headers else "")
            await msg.ack()
    async with UnitOfWork(db, readonly=True) as uow:
        written = list((await uow.session.scalars(select(OutboxMessage.event_id).order_by(OutboxMessage.seq))).all())
    assert seen == written
    await asyncio.sleep(0)
    await nats.close()
    await db.dispose()
