"""Outbox rows handed from their commit to the process's relay (kit outbox_handoff.py; issue
19), on PostgreSQL: the unit of work claims a few events' rows for the running relay in the
statement that writes them, and the relay publishes them without a claim of its own (one
statement a commit fewer in every service); rows a relay stops with in hand are released for
the next relay at once; rows a relay dies with are claimed by another once their lease runs
out. SQLite keeps the claim (no handoff)."""

from __future__ import annotations

import pytest
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
EVENTS = 3


async def _write_events(db: Database, tag: str) -> list[str]:
    """EVENTS events in one unit of work (a few rows: one statement, handed over)."""
    async with UnitOfWork(db) as uow:
        ids = [
            uow.emit(
                shared_events.CLIENT_CREATED,
                "company",
                events_pb2.ClientCreatedEvent(client=clients_pb2.Client(name=f"clients/{tag}{i}", given_name=tag)),
            )
            for i in range(EVENTS)
        ]
        await uow.commit()
    return ids


async def _claims(db: Database, ids: list[str]) -> list[tuple[str | None, bool]]:
    """Each row's claimer and whether it is marked published."""
    async with UnitOfWork(db, readonly=True) as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.claimed_by, OutboxMessage.published_at)
            .where(OutboxMessage.event_id.in_(ids))
            .order_by(OutboxMessage.seq)
        )
        return [(claimed_by, published is not None) for claimed_by, published in rows.all()]


def _claim_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().startswith("WITH claimable")]


async def test_a_commit_hands_its_rows_to_the_running_relay(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    postgres = databases.backend == "postgres"
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    nats = NatsConnection(nats_server.url, name="relay")
    nats.start()
    # no claim from an idle poll within the test; marks due at once
    relay = OutboxRelay(db, nats, STREAM, idle_poll_seconds=30.0, mark_every_seconds=0.0)
    try:
        relay.start()
        assert (db.outbox_handoff is relay) == postgres  # SQLite: rows wait for the claim
        await eventually(lambda: _ready(relay), what="the relay's first round")
        claims = relay.stats.claims
        async with round_trips(db) as seen:
            ids = await _write_events(db, "a")

            async def published() -> bool:
                return relay.stats.published == EVENTS

            if postgres:
                await eventually(published, what="the handed rows published")
                # claimed for the relay by the statement that wrote them, until marked
                assert await _claims(db, ids) == [(relay.relay_id, False)] * EVENTS
                assert _claim_statements(seen.statements) == []  # no claim: handed over
                assert relay.stats.claims == claims
        if not postgres:  # the next idle poll's claim publishes them (30 s away): stop instead
            assert relay.stats.published == 0
        await relay.stop()
        assert db.outbox_handoff is None
        if postgres:
            assert await _claims(db, ids) == [(None, True)] * EVENTS  # marked at stop
    finally:
        await relay.stop()
        await nats.close()
        await db.dispose()


async def _ready(relay: OutboxRelay) -> bool:
    return relay.stats.claims > 0  # the first round's claim made


async def test_rows_in_hand_at_stop_are_released_and_a_dead_relay_s_wait_for_their_lease(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    if databases.backend != "postgres":
        pytest.skip("SQLite's relays claim every row: nothing is handed over")
    url = await databases.new("clients", migrate_with=clients_main.MIGRATIONS)
    db = Database(url)
    nats_server.stop()  # no NATS: what is handed over stays in hand
    down = NatsConnection(nats_server.url, name="relay-without-nats")
    down.start()
    try:
        # stopped with rows in hand: released (no claimer), for the next relay at once
        stopping = OutboxRelay(db, down, STREAM, idle_poll_seconds=0.05)
        stopping.start()
        ids = await _write_events(db, "s")
        assert await _claims(db, ids) == [(stopping.relay_id, False)] * EVENTS
        await stopping.stop()
        assert await _claims(db, ids) == [(None, False)] * EVENTS

        # gone with rows in hand (no stop; its NATS connection given up, so it never publishes,
        # as a process that died): claimed for it until the lease (a short one here) runs out,
        # then taken by the relay of a process that comes up
        dying = OutboxRelay(db, down, STREAM, idle_poll_seconds=0.05, lease_seconds=1.0)
        dying.start()
        lost = await _write_events(db, "d")
        assert await _claims(db, lost) == [(dying.relay_id, False)] * EVENTS
    finally:
        await down.close()
    nats_server.start()
    nats = NatsConnection(nats_server.url, name="relay")
    nats.start()
    taker = OutboxRelay(Database(url), nats, STREAM, idle_poll_seconds=0.05)
    try:
        taker.start()

        async def all_published() -> bool:
            return [marked for _, marked in await _claims(db, ids + lost)] == [True] * (2 * EVENTS)

        await eventually(all_published, timeout=20, what="the released and the lost rows published")
        assert set(taker.stats.by_event) == set(ids + lost)
        assert dying.stats.published == 0
    finally:
        await dying.stop()
        await taker.stop()
        await taker.db.dispose()
        await nats.close()
        await db.dispose()
