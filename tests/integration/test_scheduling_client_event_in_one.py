"""Scheduling's consumer of `clients.client.created` and `.updated` for a client it has learned
already (a booking made it known first) or not at all (the event came first): on PostgreSQL
the version and the event's inbox entry in one autocommit statement, the inbox entry first
(kit `OneStatement.ready`; the revision counts every event applied, so a redelivery must find
its entry and change nothing). What that statement cannot apply for sure goes to the handler's
unit of work: a client with family members, a row a concurrent applier changed while the
statement waited for its lock. On SQLite the handler applies every event. Through the real
consumer and NATS."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, round_trips, waits_on_lock
from shutterbook_kit.consumer import EventConsumer
from shutterbook_kit.schema import InboxEntry
from shutterbook_scheduling.storage.models import KnownClientRow
from tests.scheduling_support import (
    COMPANY_A,
    SchedulingService,
    apply_a_member_concurrently,
    client_message,
    known,
    make_known_client,
    publish_client_event,
    scheduling_service,
)


def _consumer(svc: SchedulingService) -> EventConsumer:
    return svc.host.parts.consumers[0]


async def _revision(svc: SchedulingService, client: clients_pb2.Client) -> int:
    async with svc.host.parts.db.engine.connect() as conn:
        value = await conn.scalar(
            select(KnownClientRow.revision).where(
                KnownClientRow.company_id == COMPANY_A,
                KnownClientRow.client_id == client.name.removeprefix("clients/"),
            )
        )
    return int(value or 0)


async def _inbox(svc: SchedulingService, event_id: str) -> int:
    async with svc.host.parts.db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).where(InboxEntry.event_id == event_id)) or 0)


def _later(client: clients_pb2.Client, given: str, seconds: float) -> clients_pb2.Client:
    """Another version of `client`: its given name, `seconds` after (or before) its own."""
    version = clients_pb2.Client()
    version.CopyFrom(client)
    version.given_name = given
    version.update_time.FromDatetime(client.update_time.ToDatetime() + timedelta(seconds=seconds))
    return version


def _applying(statements: list[str]) -> list[str]:
    """The statements that wrote the event: its inbox entry or the client's row."""
    return [
        s
        for s in statements
        if s.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "WITH", "DELETE"}
        and ("inbox_entries" in s or "known_clients" in s)
    ]


async def _applied(consumer: EventConsumer, count: int, *, duplicates: int = 0) -> None:
    async def done() -> bool:
        return consumer.applied + consumer.skipped_duplicates >= count + duplicates

    await eventually(done, what=f"{count} events applied")
    assert (consumer.applied, consumer.skipped_duplicates) == (count, duplicates)


async def test_a_learned_client_s_version_in_one_statement(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        postgres = databases.backend == "postgres"
        consumer = _consumer(svc)
        async with round_trips(svc.host.parts.db) as seen:  # new here: made (revision 1)
            ada = await make_known_client(svc, COMPANY_A, "Ada")
            await _applied(consumer, 1)
        if postgres:
            [made] = _applying(seen.statements)
            assert made.lstrip().startswith("WITH learned AS")
        assert await _revision(svc, ada) == 1

        # a newer version: taken, counted, with its inbox entry in one statement
        newer = _later(ada, "Adele", 1)
        async with round_trips(svc.host.parts.db) as seen:
            updated = await publish_client_event(
                svc.nats_url, COMPANY_A, "clients.client.updated", client_events.ClientUpdatedEvent(client=newer)
            )
            await _applied(consumer, 2)
        applying = _applying(seen.statements)
        if postgres:
            assert len(applying) == 1, applying
            assert applying[0].lstrip().startswith("WITH learned AS")
            assert seen.transaction_control == []  # autocommit: no BEGIN, no COMMIT
        else:
            assert len(applying) == 2, applying  # the inbox entry, then the UPDATE
        shown = await known(svc, COMPANY_A, ada)
        assert shown is not None
        assert shown.display_name == "Adele Tester"
        assert (await _revision(svc, ada), await _inbox(svc, updated)) == (2, 1)

        # the same event again (a redelivery): its inbox entry found, nothing counted
        await publish_client_event(
            svc.nats_url,
            COMPANY_A,
            "clients.client.updated",
            client_events.ClientUpdatedEvent(client=newer),
            event_id=updated,
            again=True,
        )
        await _applied(consumer, 2, duplicates=1)
        assert (await _revision(svc, ada), await _inbox(svc, updated)) == (2, 1)

        # an older version: counted, nothing else taken (one statement on PostgreSQL too)
        older = _later(ada, "Adeline", -60)
        async with round_trips(svc.host.parts.db) as seen:
            await publish_client_event(
                svc.nats_url, COMPANY_A, "clients.client.created", client_events.ClientCreatedEvent(client=older)
            )
            await _applied(consumer, 3, duplicates=1)
        # (on SQLite a created client's INSERT is tried first: the inbox entry, INSERT, UPDATE)
        assert len(_applying(seen.statements)) == (1 if postgres else 3)
        shown = await known(svc, COMPANY_A, ada)
        assert shown is not None
        assert shown.display_name == "Adele Tester"
        assert await _revision(svc, ada) == 3

        # family members held: the handler's unit of work, which replaces them with the
        # version's (none)
        bo = await make_known_client(svc, COMPANY_A, "Bo", members=["Kid"])
        await _applied(consumer, 4, duplicates=1)
        without = _later(bo, "Bob", 1)
        del without.family_members[:]
        async with round_trips(svc.host.parts.db) as seen:
            await publish_client_event(
                svc.nats_url, COMPANY_A, "clients.client.updated", client_events.ClientUpdatedEvent(client=without)
            )
            await _applied(consumer, 5, duplicates=1)
        if postgres:  # the one statement wrote nothing, then the handler: inbox entry, UPDATE, members
            assert _applying(seen.statements)[0].lstrip().startswith("WITH learned AS")
            assert "COMMIT" in seen.transaction_control
        shown = await known(svc, COMPANY_A, bo)
        assert shown is not None
        assert (shown.display_name, list(shown.family_members)) == ("Bob Tester", [])
        assert await _revision(svc, bo) == 2


@pytest.mark.parametrize("changed", [True, False], ids=["changed", "only-locked"])
async def test_a_version_waiting_for_a_concurrent_applier(
    databases: DatabaseFactory, nats_server: EmbeddedNats, changed: bool
) -> None:
    """PostgreSQL: while a concurrent transaction holds the client's row, the one statement waits
    for it. When that transaction changed the row (counted a version with a family member),
    the statement's snapshot (no family member) is stale and it writes nothing: the handler
    applies the event after it, counted once, the member replaced; when it only locked the
    row, the statement applies the event itself."""
    if databases.backend != "postgres":
        pytest.skip("SQLite's writers are serialized by the write transaction")
    async with scheduling_service(databases, nats_server.url) as svc:
        consumer = _consumer(svc)
        cy = await make_known_client(svc, COMPANY_A, "Cy")
        await _applied(consumer, 1)
        key = {"company": COMPANY_A, "client": cy.name.removeprefix("clients/")}
        db = svc.host.parts.db
        async with db.engine.connect() as other:
            if changed:  # a version of the same time as Cy's with a family member applied
                await apply_a_member_concurrently(other, COMPANY_A, key["client"])
            else:
                await other.execute(
                    text("SELECT 1 FROM known_clients WHERE company_id = :company AND client_id = :client FOR UPDATE"),
                    key,
                )
            async with round_trips(db) as seen:  # (the other connection's statements ran before)
                event_id = await publish_client_event(
                    svc.nats_url,
                    COMPANY_A,
                    "clients.client.updated",
                    client_events.ClientUpdatedEvent(client=_later(cy, "Cyrus", 1)),
                )
                await eventually(lambda: waits_on_lock(db, "known_clients"), what="the event waiting for the row")
                await asyncio.sleep(0.05)
                await other.commit()
                await _applied(consumer, 2)
        applying = _applying(seen.statements)
        assert applying[0].lstrip().startswith("WITH learned AS")
        if changed:  # again (a member held now), then the handler: its inbox entry, the UPDATE, the members
            assert applying[1].lstrip().startswith("WITH learned AS")
            assert [s.split(" ", 1)[0] for s in applying[2:4]] == ["INSERT", "UPDATE"], applying
        else:
            assert len(applying) == 1, applying
        # the event's version (newer, no family member) replaced what the other one wrote
        shown = await known(svc, COMPANY_A, cy)
        assert shown is not None
        assert (shown.display_name, list(shown.family_members)) == ("Cyrus Tester", [])
        assert await _revision(svc, cy) == (3 if changed else 2)
        assert await _inbox(svc, event_id) == 1


async def test_a_version_waiting_for_a_booking_making_the_client_known(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """PostgreSQL: the event of a client a booking is making known (its INSERT not committed):
    the statement's INSERT waits for the booking's, then leaves the booking's row alone and
    writes nothing (its snapshot is from before the booking's commit); the second statement
    applies the event to that row, counted once (`OneStatement.attempts`)."""
    if databases.backend != "postgres":
        pytest.skip("SQLite's writers are serialized by the write transaction")
    async with scheduling_service(databases, nats_server.url) as svc:
        consumer = _consumer(svc)
        await make_known_client(svc, COMPANY_A, "Someone")  # the consumer's stream and durable up
        await _applied(consumer, 1)
        dee = client_message("Dee")
        db = svc.host.parts.db
        async with db.engine.connect() as booking:
            await booking.execute(
                text(
                    "INSERT INTO known_clients (company_id, client_id, display_name, primary_email,"
                    " source_updated_at, learned_at, revision, deleted, merged_into)"
                    " VALUES (:company, :client, 'Dee Tester', '', :at, :at, 1, false, '')"
                ),
                {"company": COMPANY_A, "client": dee.name.removeprefix("clients/"), "at": dee.update_time.ToDatetime()},
            )
            async with round_trips(db) as seen:
                event_id = await publish_client_event(
                    svc.nats_url, COMPANY_A, "clients.client.created", client_events.ClientCreatedEvent(client=dee)
                )
                await eventually(lambda: waits_on_lock(db, "known_clients"), what="the event waiting for the booking")
                await booking.commit()
                await _applied(consumer, 2)
        applying = _applying(seen.statements)
        assert len(applying) == 2, applying  # no handler
        assert all(s.lstrip().startswith("WITH learned AS") for s in applying)
        assert (await _revision(svc, dee), await _inbox(svc, event_id)) == (2, 1)
