"""An outbox relay's round: the mark of what the last round published, committed before the
claim of the next batch (a marked row is never claimed again, even with its lease run out);
on PostgreSQL the two as autocommit statements on one connection, with no BEGIN or COMMIT
around them (issue 19)."""

from __future__ import annotations

from sqlalchemy import select

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, round_trips
from shutterbook_kit import shared_events
from shutterbook_kit.db import Database
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.relay import OutboxRelay
from shutterbook_kit.schema import OutboxMessage
from shutterbook_kit.uow import UnitOfWork

STREAM = StreamSpec("clients")
EVENTS = 5


async def _write_events(db: Database) -> list[str]:
    ids: list[str] = []
    async with UnitOfWork(db) as uow:
        for i in range(EVENTS):
            event = events_pb2.ClientCreatedEvent(client=clients_pb2.Client(name=f"clients/{i}", given_name=str(i)))
            ids.append(uow.emit(shared_events.CLIENT_CREATED, "company", event))
        await uow.commit()
    return ids


async def _published_at(db: Database) -> list[bool]:
    """Whether each outbox row (by seq) is marked published."""
    async with UnitOfWork(db, readonly=True) as uow:
        rows = await uow.session.scalars(select(OutboxMessage.published_at).order_by(OutboxMessage.seq))
        return [at is not None for at in rows.all()]


def _kinds(statements: list[str]) -> list[str]:
    """Each statement as MARK, CLAIM or its first word."""
    kinds = []
    for statement in statements:
        if statement.lstrip().startswith("WITH marking"):
            kinds.append("MARK")
        elif statement.lstrip().startswith("WITH claimable"):
            kinds.append("CLAIM")
        else:
            kinds.append(statement.split(None, 1)[0].upper())
    return kinds


async def test_a_round_marks_then_claims_and_a_marked_row_is_not_claimed_again(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    postgres = databases.backend == "postgres"
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    nats = NatsConnection(nats_server.url, name="relay")
    nats.start()
    try:
        async with round_trips(db) as writing:
            ids = await _write_events(db)
        if postgres:  # the counter sees a unit of work's transaction
            assert writing.transaction_control == ["BEGIN", "COMMIT"]
        await nats.ensure_stream(STREAM)
        js = await nats.jetstream()
        before = (await js.stream_info(STREAM.name)).state.messages
        # leases that run out at once: a row published and not marked yet is claimable again
        # at the next claim, unless the mark before it is committed first
        relay = OutboxRelay(db, nats, STREAM, batch_size=3, lease_seconds=0.0)

        async with round_trips(db) as first:
            assert await relay.publish_batch() == 3  # rows 1-3
        assert await _published_at(db) == [False] * EVENTS  # marked by the next round
        async with round_trips(db) as second:
            assert await relay.publish_batch() == 2  # rows 4-5; 1-3 marked first, not claimed again
        assert await _published_at(db) == [True] * 3 + [False] * 2
        async with round_trips(db) as third:
            assert await relay.publish_batch() == 0  # rows 4-5 marked, nothing left to claim
        assert await _published_at(db) == [True] * EVENTS

        assert relay.stats.by_event == dict.fromkeys(ids, 1)  # each row sent once
        assert relay.stats.duplicates == 0
        assert (await js.stream_info(STREAM.name)).state.messages - before == EVENTS
        if postgres:
            # the claim alone, then the mark and the claim, in autocommit: no BEGIN, no COMMIT
            assert _kinds(first.statements) == ["CLAIM"]
            assert _kinds(second.statements) == ["MARK", "CLAIM"]
            assert _kinds(third.statements) == ["MARK", "CLAIM"]
            assert first.transaction_control == second.transaction_control == third.transaction_control == []
        else:  # SQLite: a look (nothing to mark), then one BEGIN IMMEDIATE transaction
            assert _kinds(first.statements) == ["BEGIN", "SELECT", "BEGIN", "CLAIM"]
            assert _kinds(second.statements) == ["BEGIN", "MARK", "CLAIM"]
    finally:
        await nats.close()
        await db.dispose()


async def test_a_stop_marks_the_last_batch(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    """At stop the last batch is marked on its own (on PostgreSQL one autocommit statement)."""
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    nats = NatsConnection(nats_server.url, name="relay")
    nats.start()
    try:
        await _write_events(db)
        relay = OutboxRelay(db, nats, STREAM, idle_poll_seconds=30.0)  # no idle round before stop

        async def all_published() -> bool:
            return relay.stats.published == EVENTS

        async with round_trips(db) as seen:
            relay.start()
            await eventually(all_published, timeout=20, what="the batch published")
            await relay.stop()
        assert await _published_at(db) == [True] * EVENTS
        if databases.backend == "postgres":
            assert _kinds(seen.statements) == ["CLAIM", "MARK"]
            assert seen.transaction_control == []
    finally:
        await nats.close()
        await db.dispose()


async def test_on_postgresql_what_was_published_is_marked_when_due(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """PostgreSQL: a round right after a publish claims without marking (a statement and a
    commit a booking fewer); once the oldest unmarked row waited `mark_every_seconds`, or a
    batch's worth waits, the next round marks them first."""
    if databases.backend != "postgres":
        return  # SQLite marks in the claim's transaction, every round
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    nats = NatsConnection(nats_server.url, name="relay")
    nats.start()
    try:
        await _write_events(db)
        await nats.ensure_stream(STREAM)
        clock = [100.0]
        relay = OutboxRelay(
            db, nats, STREAM, batch_size=2, lease_seconds=30.0, mark_every_seconds=1.0, clock=lambda: clock[0]
        )
        assert await relay.publish_batch() == 2  # rows 1-2, marked when due
        clock[0] += 0.5
        async with round_trips(db) as early:
            assert await relay.publish_batch() == 2  # rows 3-4: 1-2 a batch's worth, marked
        assert _kinds(early.statements) == ["MARK", "CLAIM"]
        assert await _published_at(db) == [True] * 2 + [False] * 3
        async with round_trips(db) as not_due:
            assert await relay.publish_batch() == 1  # row 5; 3-4 a batch's worth again, marked
        assert _kinds(not_due.statements) == ["MARK", "CLAIM"]
        async with round_trips(db) as waiting:
            assert await relay.publish_batch() == 0  # row 5 alone, published a moment ago
        assert _kinds(waiting.statements) == ["CLAIM"]
        assert await _published_at(db) == [True] * 4 + [False]
        clock[0] += 1.0
        async with round_trips(db) as due:
            assert await relay.publish_batch() == 0
        assert _kinds(due.statements) == ["MARK", "CLAIM"]
        assert await _published_at(db) == [True] * EVENTS
        assert relay.stats.duplicates == 0
    finally:
        await nats.close()
        await db.dispose()
