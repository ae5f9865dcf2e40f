"""Outbox rows handed from their commit to the process's relay (kit outbox_handoff.py; issue
19), on PostgreSQL: the unit of work claims a few events' rows for the running relay in the
statement that writes them, and the relay publishes them without a claim of its own (one
statement a commit fewer in every service); rows a relay stops with in hand are released for
the next relay at once; rows a relay dies with are claimed by another once their lease runs
out. SQLite keeps the claim (no handoff)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from sqlalchemy import select

from shutterbook.clients.v1 import clients_pb2, events_pb2
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
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


async def _in_hand(db: Database, relay: OutboxRelay, nats_server: EmbeddedNats, tag: str) -> list[str]:
    """Events handed to `relay` (running, its rounds through) that it cannot publish: NATS goes
    away right before their commit (the relay hears of it only when it publishes)."""
    await eventually(lambda: _ready(relay), what="the relay's first round")
    assert relay.accepting()
    nats_server.stop()
    ids = await _write_events(db, tag)
    assert await _claims(db, ids) == [(relay.relay_id, False)] * EVENTS

    async def failed() -> bool:
        return relay.stats.failures > 0

    await eventually(failed, what="the relay failing to publish")
    assert not relay.accepting()  # no more rows handed to it while it fails
    return ids


@pytest.mark.parametrize("ending", ["stopped", "dead"])
async def test_rows_in_hand_when_a_relay_ends_are_published_by_the_next(
    databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path, ending: str
) -> None:
    """A relay stopped with rows in hand releases them: the next relay takes them at once. A
    relay gone with rows in hand (no stop, its NATS away for good: as a process that died)
    leaves them claimed until their lease (a short one here) runs out; then the next takes them."""
    if databases.backend != "postgres":
        pytest.skip("SQLite's relays claim every row: nothing is handed over")
    url = await databases.new("clients", migrate_with=clients_main.MIGRATIONS)
    own = EmbeddedNats(free_port(), tmp_path / "own")  # the ending relay's NATS, which goes away
    own.start()
    connection = NatsConnection(own.url, name="relay-ending")
    connection.start()
    ending_relay = OutboxRelay(Database(url), connection, STREAM, idle_poll_seconds=0.05, lease_seconds=1.0)
    nats = NatsConnection(nats_server.url, name="relay")
    taker = OutboxRelay(Database(url), nats, STREAM, idle_poll_seconds=0.05)
    try:
        ending_relay.start()
        ids = await _in_hand(ending_relay.db, ending_relay, own, ending)
        if ending == "stopped":
            await ending_relay.stop()
            assert await _claims(ending_relay.db, ids) == [(None, False)] * EVENTS  # released
        nats.start()
        taker.start()

        async def published() -> bool:
            return [marked for _, marked in await _claims(taker.db, ids)] == [True] * EVENTS

        await eventually(published, timeout=20, what="the rows published by the next relay")
        assert set(taker.stats.by_event) == set(ids)
        assert ending_relay.stats.published == 0
    finally:
        await ending_relay.stop()
        await taker.stop()
        for relay in (ending_relay, taker):
            await relay.db.dispose()
        await nats.close()
        with contextlib.suppress(Exception):  # (its server gone)
            await connection.close()


async def test_rows_not_handed_over_go_out_in_order_with_those_handed_after_them(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """A commit with too many events for its one statement hands none over: the relay's next
    round claims them (`claim_soon`, before its idle poll would) and publishes them with the
    rows handed after them, in `seq` order."""
    if databases.backend != "postgres":
        pytest.skip("SQLite's relays claim every row: nothing is handed over")
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    nats = NatsConnection(nats_server.url, name="relay")
    nats.start()
    relay = OutboxRelay(db, nats, STREAM, idle_poll_seconds=30.0, linger_seconds=0.2)
    try:
        relay.start()
        await eventually(lambda: _ready(relay), what="the relay's first round")
        many: list[str] = []
        async with UnitOfWork(db) as uow:  # more rows than one statement takes: claimed
            for i in range(20):
                event = events_pb2.ClientCreatedEvent(client=clients_pb2.Client(name=f"clients/m{i}", given_name="m"))
                many.append(uow.emit(shared_events.CLIENT_CREATED, "company", event))
            await uow.commit()
        few = await _write_events(db, "f")  # handed over, in the same linger
        assert await _claims(db, few) == [(relay.relay_id, False)] * EVENTS

        async def published() -> bool:
            return relay.stats.published == len(many) + len(few)

        await eventually(published, what="all published")
        assert list(relay.stats.by_event) == many + few  # in `seq` order
    finally:
        await relay.stop()
        await nats.close()
        await db.dispose()
