"""A handler whose effect fails on a constraint when its transaction commits is not acked as
applied: the event is retried and, at its last delivery, dead-lettered (kept), never counted
as a duplicate and lost. (A duplicate delivery is found by the inbox insert before the
effect runs, so a constraint failing at commit is the effect's own.)"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, relayed_consumer
from shutterbook_kit import shared_events
from shutterbook_kit.consumer import ConsumerPolicy, Delivery, subscribe
from shutterbook_kit.db import Database
from shutterbook_kit.messaging import StreamSpec
from shutterbook_kit.schema import DeadLetter, InboxEntry, utcnow
from shutterbook_kit.uow import UnitOfWork

STREAM = StreamSpec("clients")


async def test_an_effect_failing_at_commit_is_retried_then_dead_lettered(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    async with UnitOfWork(db) as uow:
        event = events_pb2.ClientCreatedEvent(client=clients_pb2.Client(name="clients/x", given_name="X"))
        event_id = uow.emit(shared_events.CLIENT_CREATED, "company", event)
        await uow.commit()
    name = f"effect-failure-{uuid.uuid4().hex[:8]}"
    attempts = 0

    async def handler(delivery: Delivery) -> None:
        nonlocal attempts
        if delivery.envelope.event_id != event_id:
            return  # another test's event on the shared stream
        attempts += 1
        # the effect collides with a row that exists (this delivery's own inbox entry): the
        # transaction fails on the key when it commits
        delivery.uow.session.add(InboxEntry(consumer=name, event_id=event_id, subject="collides", received_at=utcnow()))

    async def dead_lettered() -> list[DeadLetter] | None:
        async with UnitOfWork(db, readonly=True) as uow:
            rows = (
                await uow.session.scalars(
                    select(DeadLetter).where(DeadLetter.consumer == name, DeadLetter.event_id == event_id)
                )
            ).all()
        return list(rows) or None

    subscriptions = [subscribe(shared_events.CLIENT_CREATED, handler)]
    policy = ConsumerPolicy(max_deliver=2)
    async with relayed_consumer(db, nats_server.url, STREAM, name, subscriptions, policy) as consumer:
        consumer.start()
        [kept] = await eventually(dead_lettered, timeout=30, what="the event dead-lettered")
    assert attempts == 2  # retried once, then kept
    assert "IntegrityError" in kept.error
    assert consumer.applied == 0
    async with UnitOfWork(db, readonly=True) as uow:
        recorded = await uow.session.scalar(
            select(InboxEntry).where(InboxEntry.consumer == name, InboxEntry.event_id == event_id)
        )
    assert recorded is None  # never recorded as applied
    await db.dispose()
