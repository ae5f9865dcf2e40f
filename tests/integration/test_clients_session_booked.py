"""The clients service's `scheduling.session.booked` handler, as its consumer runs it (the inbox
entry, then the handler, one transaction): a session new to clients is kept and its client's
last session becomes the later of the one it has and the session's start; on PostgreSQL in one
statement after the inbox's (issue 19), on SQLite in two. A client without a last session takes
the latest of every session kept for it; a session of a client clients does not know is kept
and nothing else; a session kept already takes the general path (a later change applied)."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.message import Message
from sqlalchemy import select

from shutterbook.common.v1 import events_pb2 as common_events
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_clients import events
from shutterbook_clients import main as clients_main
from shutterbook_clients.application import last_sessions
from shutterbook_clients.storage.models import NO_SESSION, ClientRow, ClientSessionRow
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import (
    DatabaseFactory,
    RoundTrips,
    eventually,
    relayed_consumer,
    round_trips,
    waits_on_lock,
)
from shutterbook_kit.consumer import INBOX_INSERT, Delivery
from shutterbook_kit.db import Database
from shutterbook_kit.messaging import StreamSpec
from shutterbook_kit.uow import UnitOfWork

CO = "co"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
MARCH, JUNE, JULY = (datetime(2026, m, 3, 10, tzinfo=UTC) for m in (3, 6, 7))


def _snapshot(session_id: str, client_id: str, start: datetime) -> scheduling_events.SessionSnapshot:
    snapshot = scheduling_events.SessionSnapshot(session=f"sessions/{session_id}", client=f"clients/{client_id}")
    snapshot.start_time.FromDatetime(start)
    return snapshot


async def _deliver(db: Database, subject: str, event: Message, occurred: datetime) -> RoundTrips:
    """The handler of `subject` run as the consumer runs it; what it sent the server."""
    envelope = common_events.EventEnvelope(event_id=str(uuid.uuid4()), subject=subject, company_id=CO)
    envelope.occur_time.FromDatetime(occurred)
    handler = {
        "scheduling.session.booked": last_sessions.on_session_booked,
        "scheduling.session.rescheduled": last_sessions.on_session_rescheduled,
    }[subject]
    async with round_trips(db) as seen, UnitOfWork(db, source="clients") as uow:
        params = {"consumer": "clients", "event_id": envelope.event_id, "subject": subject, "received_at": NOW}
        await uow.session.execute(INBOX_INSERT, params)
        await handler(Delivery(envelope=envelope, payload=event, uow=uow))
        await uow.commit()
    return seen


async def _book(db: Database, session_id: str, client_id: str, start: datetime) -> RoundTrips:
    event = scheduling_events.SessionBookedEvent(session=_snapshot(session_id, client_id, start))
    return await _deliver(db, "scheduling.session.booked", event, NOW)


async def _client(db: Database, client_id: str, last: datetime = NO_SESSION) -> None:
    async with UnitOfWork(db) as uow:
        uow.session.add(ClientRow(id=client_id, company_id=CO, created_at=NOW, updated_at=NOW, last_session_at=last))
        await uow.commit()


async def _kept(db: Database, session_id: str, client_id: str, start: datetime, *, cancelled: bool = False) -> None:
    """A session kept before (as an earlier event left it)."""
    async with UnitOfWork(db) as uow:
        uow.session.add(
            ClientSessionRow(
                session_id=session_id,
                company_id=CO,
                client_id=client_id,
                start_at=start,
                cancelled=cancelled,
                changed_at=NOW - timedelta(days=1),
            )
        )
        await uow.commit()


async def _last(db: Database, client_id: str) -> datetime | None:
    async with UnitOfWork(db, readonly=True) as uow:
        last: datetime | None = await uow.session.scalar(
            select(ClientRow.last_session_at).where(ClientRow.id == client_id)
        )
    return last


async def _session(db: Database, session_id: str) -> tuple[str, str, datetime, bool, datetime] | None:
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.get(ClientSessionRow, session_id)
        if row is None:
            return None
        return row.company_id, row.client_id, row.start_at, row.cancelled, row.changed_at


def _words(seen: RoundTrips) -> list[str]:
    """Each statement's first word and the table it writes or, for a WITH, its CTEs' names."""
    words = []
    for statement in seen.statements:
        parts = statement.split()
        if parts[0] == "WITH":
            words.append("WITH " + " ".join(re.findall(r"(\w+) AS\s+\(", statement)))
        elif parts[0] in ("INSERT", "UPDATE"):
            words.append(" ".join(parts[:3]) if parts[0] == "INSERT" else " ".join(parts[:2]))
        else:
            words.append(parts[0])
    return words


async def test_a_session_new_to_clients_in_one_statement_after_the_inbox(databases: DatabaseFactory) -> None:
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    postgres = databases.backend == "postgres"
    try:
        await _client(db, "later", JUNE)  # its last session after this start: kept
        await _client(db, "earlier", MARCH)  # before it: this start
        await _client(db, "none-kept")  # no last session, no session kept: this start
        await _client(db, "kept-later")  # no last session, a later one kept before: that one
        await _kept(db, "k1", "kept-later", JULY)
        await _kept(db, "k2", "kept-later", MARCH)
        await _client(db, "kept-cancelled")  # a later one kept but cancelled: this start
        await _kept(db, "k3", "kept-cancelled", JULY, cancelled=True)
        await _kept(db, "k4", "kept-cancelled", MARCH)

        start = datetime(2026, 5, 5, 9, tzinfo=UTC)
        cases = {"later": JUNE, "earlier": start, "none-kept": start, "kept-later": JULY, "kept-cancelled": start}
        for n, client_id in enumerate(cases):
            seen = await _book(db, f"s{n}", client_id, start)
            if postgres and client_id == "kept-later":
                # no last session and a later one kept: the statement keeps the session and
                # leaves the client to the general path (the row locked, the maximum computed)
                assert _words(seen) == [
                    "INSERT INTO inbox_entries",
                    "WITH kept later effect",
                    "SELECT",
                    "SELECT",
                    "UPDATE clients",
                ], seen.statements
            elif postgres:  # the inbox's INSERT, then one statement: no read, no second write
                assert _words(seen) == ["INSERT INTO inbox_entries", "WITH kept later effect"], seen.statements
                assert seen.transaction_control == ["BEGIN", "COMMIT"]
            else:
                assert _words(seen) == [
                    "BEGIN",
                    "INSERT INTO inbox_entries",
                    "INSERT INTO client_sessions",
                    "UPDATE clients",
                ]
            assert await _session(db, f"s{n}") == (CO, client_id, start, False, NOW)
        assert {client_id: await _last(db, client_id) for client_id in cases} == cases
        assert await _last(db, "later") == JUNE  # the other clients' rows untouched by these
    finally:
        await db.dispose()


async def test_a_session_of_a_client_clients_does_not_know_is_kept(databases: DatabaseFactory) -> None:
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    try:
        await _client(db, "other", MARCH)
        seen = await _book(db, "s1", "unknown", JUNE)
        if databases.backend == "postgres":  # kept by the one statement: not the general path
            assert _words(seen) == ["INSERT INTO inbox_entries", "WITH kept later effect"]
        assert await _session(db, "s1") == (CO, "unknown", JUNE, False, NOW)
        assert await _last(db, "unknown") is None
        assert await _last(db, "other") == MARCH

        # the client made later, its first booking: the latest of every session kept for it
        await _client(db, "unknown")
        await _book(db, "s2", "unknown", MARCH)
        assert await _last(db, "unknown") == JUNE
    finally:
        await db.dispose()


async def test_a_session_kept_already_takes_the_general_path(databases: DatabaseFactory) -> None:
    """An event of a session clients keeps (its booking delivered again as another event, a
    reschedule): the insert makes nothing and writes nothing, the general path applies it."""
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    try:
        await _client(db, "c1")
        await _book(db, "s1", "c1", JULY)
        assert await _last(db, "c1") == JULY
        moved = scheduling_events.SessionRescheduledEvent(session=_snapshot("s1", "c1", MARCH))
        later = NOW + timedelta(hours=1)
        seen = await _deliver(db, "scheduling.session.rescheduled", moved, later)
        assert await _session(db, "s1") == (CO, "c1", MARCH, False, later)
        assert await _last(db, "c1") == MARCH  # computed again: the later one is gone, not kept
        if databases.backend == "postgres":
            # the statement, then the general path: the row read, changed, the client locked and set
            assert _words(seen) == [
                "INSERT INTO inbox_entries",
                "WITH kept later effect",
                "SELECT",
                "UPDATE client_sessions",
                "SELECT",
                "UPDATE clients",
            ]
        # an older event of it, delivered late: nothing changes
        await _book(db, "s1", "c1", JULY)
        assert await _session(db, "s1") == (CO, "c1", MARCH, False, later)
        assert await _last(db, "c1") == MARCH
    finally:
        await db.dispose()


async def test_a_booking_meeting_the_cancel_of_a_later_session_takes_its_own_start(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """PostgreSQL, the consumer as it runs: a booking's event applied while the cancel of the
    client's only other session (a later one) holds the client's row. The booking's one
    statement waits for the row and finds no last session there; its snapshot still shows the
    cancelled session live, so it leaves the client to the general path, which computes the
    maximum afresh: the client's last session is the booking's start, not the cancelled one's."""
    if databases.backend != "postgres":
        pytest.skip("SQLite's writers take turns: no statement meets another's uncommitted change")
    db = Database(await databases.new("clients", migrate_with=clients_main.MIGRATIONS))
    client_id, later_id, booked_id = (f"{what}-{uuid.uuid4().hex[:8]}" for what in ("c", "july", "march"))
    name = f"last-session-race-{uuid.uuid4().hex[:8]}"
    try:
        await _client(db, client_id, JULY)
        await _kept(db, later_id, client_id, JULY)
        [booked] = [s for s in last_sessions.SUBSCRIPTIONS if s.subject == events.SESSION_BOOKED.subject]
        assert booked.one_statement is not None  # the path under test
        mine = dataclasses.replace(booked, wanted=lambda event: event.session.client == f"clients/{client_id}")
        async with relayed_consumer(db, nats_server.url, StreamSpec("scheduling"), name, [mine]) as consumer:
            async with UnitOfWork(db, source="clients") as cancel:  # the cancel, as its consumer applies it
                envelope = common_events.EventEnvelope(event_id=str(uuid.uuid4()), company_id=CO)
                envelope.occur_time.FromDatetime(NOW)
                cancelled = scheduling_events.SessionCancelledEvent(session=_snapshot(later_id, client_id, JULY))
                await last_sessions.on_session_cancelled(Delivery(envelope=envelope, payload=cancelled, uow=cancel))
                # the client's row is locked and holds no last session, uncommitted
                async with UnitOfWork(db) as uow:
                    event = scheduling_events.SessionBookedEvent(session=_snapshot(booked_id, client_id, MARCH))
                    uow.emit(events.SESSION_BOOKED, CO, event)
                    await uow.commit()
                consumer.start()

                async def waiting() -> bool:
                    return await waits_on_lock(db, "clients")

                await eventually(waiting, timeout=30, what="the booking's statement waiting for the client's row")
                await cancel.commit()

            async def applied() -> bool:
                return consumer.applied == 1

            await eventually(applied, timeout=30, what="the booking's event applied")
        assert await _last(db, client_id) == MARCH
        assert (await _session(db, booked_id) or ())[:4] == (CO, client_id, MARCH, False)
        assert (await _session(db, later_id) or ())[:4] == (CO, client_id, JULY, True)
    finally:
        await db.dispose()
