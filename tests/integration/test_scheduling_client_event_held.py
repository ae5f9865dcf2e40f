"""A `clients.client.*` event for a client scheduling has learned already (the common case of a
booking: the hold applied the client's version first) is applied in one UPDATE, and reading
the family members when some are held or come with the event: the revision counts it, a
version not older than the one held is taken (learned again, its name, email and family
members replacing the ones held), an older one changes nothing else, and family members are
written only when they differ; on PostgreSQL an applier waiting for a concurrent one's row
lock applies its version after it (as the locked path); on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook.common.v1 import events_pb2 as common_events
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.testing import DatabaseFactory, eventually, waits_on_lock
from shutterbook_kit.consumer import Delivery
from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.api import client_events as scheduling_client_events
from shutterbook_scheduling.api import known_client_convert
from shutterbook_scheduling.application import client_directory
from shutterbook_scheduling.storage.models import KnownClientRow
from tests.scheduling_support import COMPANY_A, apply_a_member_concurrently, client_message


async def _deliver(db: Database, client: clients_pb2.Client, *, created: bool = False) -> None:
    """Scheduling's handler of `clients.client.updated` (or `.created`) in its own transaction,
    as its consumer runs it."""
    subject = "clients.client.created" if created else "clients.client.updated"
    envelope = common_events.EventEnvelope(event_id=str(uuid.uuid4()), subject=subject, company_id=COMPANY_A)
    async with UnitOfWork(db, source="scheduling") as uow:
        if created:
            made = client_events.ClientCreatedEvent(client=client)
            await scheduling_client_events.on_client_created(Delivery(envelope=envelope, payload=made, uow=uow))
        else:
            event = client_events.ClientUpdatedEvent(client=client)
            await scheduling_client_events.on_client_updated(Delivery(envelope=envelope, payload=event, uow=uow))
        await uow.commit()


async def _known(db: Database, client: clients_pb2.Client) -> tuple[pb.KnownClient, int]:
    """The client as the API shows it, and its revision."""
    name = client.name.replace("clients/", "knownClients/")
    known = known_client_convert.known_client_message(await client_directory.get_known_client(db, COMPANY_A, name))
    async with db.engine.connect() as conn:
        revision = await conn.scalar(
            select(KnownClientRow.revision).where(
                KnownClientRow.company_id == COMPANY_A,
                KnownClientRow.client_id == client.name.removeprefix("clients/"),
            )
        )
    return known, int(revision or 0)


def _members(known: pb.KnownClient) -> list[tuple[str, str]]:
    return [(m.name, m.display_name) for m in known.family_members]


def _version(
    base: clients_pb2.Client, *, given: str = "", later: timedelta = timedelta(), kids: int = -1
) -> clients_pb2.Client:
    """A version of `base`: renamed, `later` than it, with `kids` new family members (-1: its own)."""
    client = clients_pb2.Client()
    client.CopyFrom(base)
    client.given_name = given or base.given_name
    if kids >= 0:
        del client.family_members[:]
        for n in range(kids):
            client.family_members.add(name=f"{base.name}/familyMembers/{uuid.uuid4()}", given_name=f"Kid{n}")
    client.update_time.FromDatetime(base.update_time.ToDatetime() + later)
    return client


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    """The known-client statements run on `db` meanwhile (their first words and table)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "known_" in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_an_event_for_a_client_learned_already(databases: DatabaseFactory) -> None:
    db = Database(await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS))
    try:
        ann = client_message("Ann", members=["Kid"])
        ann.emails.append("ann@example.com")
        version = known_client_convert.ensure_request_version(pb.EnsureKnownClientRequest(client=ann))
        await client_directory.ensure_known_client(db, COMPANY_A, version)  # as the hold does
        held, revision = await _known(db, ann)
        assert revision == 1

        # the event of the version held: counted and learned again, nothing else changes; one
        # UPDATE and the family members read (none deleted, none inserted)
        with _statements(db) as seen:
            await _deliver(db, ann)
        assert [s.split()[0] for s in seen] == ["UPDATE", "SELECT"]
        assert "known_family_members" in seen[1]
        after, revision = await _known(db, ann)
        assert revision == 2
        assert (after.display_name, after.primary_email, _members(after)) == (
            "Ann Tester",
            "ann@example.com",
            _members(held),
        )
        assert after.update_time.ToDatetime() > held.update_time.ToDatetime()

        # an older version: counted, nothing else changes (not even when learned)
        older = _version(ann, given="Annabel", later=-timedelta(minutes=5), kids=0)
        with _statements(db) as seen:
            await _deliver(db, older)
        assert [s.split()[0] for s in seen] == ["UPDATE"]
        assert await _known(db, ann) == (after, 3)

        # a version of the same time with other contents is taken: the name and the family
        # members replaced
        same_time = _version(ann, given="Anna", kids=2)
        await _deliver(db, same_time)
        taken, revision = await _known(db, ann)
        assert revision == 4
        assert taken.display_name == "Anna Tester"
        assert sorted(_members(taken)) == sorted((m.name, f"{m.given_name} Tester") for m in same_time.family_members)

        # ... one renaming a family member renames it
        same_time.family_members[0].given_name = "Kiddo"
        await _deliver(db, same_time)
        taken, revision = await _known(db, ann)
        assert revision == 5
        assert sorted(_members(taken)) == sorted((m.name, f"{m.given_name} Tester") for m in same_time.family_members)

        # ... and one without family members removes them
        await _deliver(db, _version(ann, given="Anna", kids=0))
        taken, revision = await _known(db, ann)
        assert (revision, _members(taken)) == (6, [])

        # a client without family members: the event of its version held is one UPDATE
        await _deliver(db, _version(ann, given="Anna", kids=0))
        assert (await _known(db, ann))[1] == 7
        with _statements(db) as seen:
            await _deliver(db, _version(ann, given="Anna", kids=0))
        assert [s.split()[0] for s in seen] == ["UPDATE"]

        # a newer version is taken
        newer = _version(ann, given="Anne", later=timedelta(seconds=1), kids=1)
        await _deliver(db, newer)
        taken, revision = await _known(db, ann)
        assert (revision, taken.display_name) == (9, "Anne Tester")
        assert _members(taken) == [(newer.family_members[0].name, "Kid0 Tester")]
    finally:
        await db.dispose()


async def test_an_event_for_a_client_new_here(databases: DatabaseFactory) -> None:
    """Its event before any hold or booking of it (a booking's client event can come first): the
    UPDATE finds no row, and one INSERT makes the client with the version taken (its family
    members beside it), as EnsureKnownClient would; a booking's details of that version after
    it change nothing but the lock."""
    db = Database(await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS))
    try:
        cy = client_message("Cy", members=["Kid"])
        cy.emails.append("cy@example.com")
        with _statements(db) as seen:
            await _deliver(db, cy)
        assert [s.split()[0] for s in seen] == ["UPDATE", "INSERT", "INSERT"]
        assert "known_family_members" in seen[2]
        known, revision = await _known(db, cy)
        assert revision == 1
        assert (known.display_name, known.primary_email) == ("Cy Tester", "cy@example.com")
        assert _members(known) == [(cy.family_members[0].name, "Kid Tester")]

        version = known_client_convert.ensure_request_version(pb.EnsureKnownClientRequest(client=cy))
        await client_directory.ensure_known_client(db, COMPANY_A, version)  # as the booking does
        assert await _known(db, cy) == (known, 1)

        # its `created` event: the INSERT alone (and its family members)
        di = client_message("Di", members=["Kid"])
        with _statements(db) as seen:
            await _deliver(db, di, created=True)
        assert [s.split()[0] for s in seen] == ["INSERT", "INSERT"]
        known, revision = await _known(db, di)
        assert (revision, known.display_name) == (1, "Di Tester")
        assert _members(known) == [(di.family_members[0].name, "Kid Tester")]
    finally:
        await db.dispose()


async def test_an_event_waiting_for_a_concurrent_applier(databases: DatabaseFactory) -> None:
    """PostgreSQL: while a concurrent transaction holds the client's row, having applied a version
    of the same time with a family member, the event's UPDATE waits for it; its statement's
    snapshot still shows no family member held, yet the event's version (without one) replaces
    what the concurrent transaction wrote, as one applied after the other would."""
    if databases.backend != "postgres":
        pytest.skip("SQLite's writers are serialized by the write transaction")
    db = Database(await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS))
    try:
        bea = client_message("Bea")
        version = known_client_convert.ensure_request_version(pb.EnsureKnownClientRequest(client=bea))
        await client_directory.ensure_known_client(db, COMPANY_A, version)
        async with db.engine.connect() as other:
            # the concurrent applier: the client's row counted and a family member added
            await apply_a_member_concurrently(other, COMPANY_A, bea.name.removeprefix("clients/"))
            delivered = asyncio.create_task(_deliver(db, bea))
            await eventually(lambda: waits_on_lock(db, "known_clients"), what="the event waiting for the row")
            await other.commit()
            await delivered
        known, revision = await _known(db, bea)
        assert (revision, _members(known)) == (3, [])
        async with db.engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(KnownClientRow)) == 1
    finally:
        await db.dispose()


async def test_an_event_waiting_for_a_booking_that_makes_the_client_known(databases: DatabaseFactory) -> None:
    """PostgreSQL: the event arrives while a booking carrying the client's details (a concurrent
    transaction) is inserting the client: the UPDATE sees no row, the INSERT waits for the
    booking and then finds the row, and the UPDATE once more applies the event (no locked
    path): counted once, the version taken as `event_takes` decides (the same version: learned
    again; an older one: nothing else changes), as one applied after the other would."""
    if databases.backend != "postgres":
        pytest.skip("SQLite's writers are serialized by the write transaction")
    db = Database(await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS))
    try:

        async def event_during_booking(
            booked: clients_pb2.Client, delivered: clients_pb2.Client, *, created: bool = False
        ) -> list[str]:
            version = known_client_convert.ensure_request_version(pb.EnsureKnownClientRequest(client=booked))
            async with UnitOfWork(db, source="scheduling") as booking:
                await client_directory.ensure_version_in(booking, COMPANY_A, version)  # as BookOnline does
                with _statements(db) as seen:
                    delivery = asyncio.create_task(_deliver(db, delivered, created=created))
                    # (waits_on_lock names no table in its text: its question is not one of the statements seen)
                    await eventually(
                        lambda: waits_on_lock(db, "known_clients"), what="the event waiting for the booking's client"
                    )
                    await booking.commit()
                    await delivery
            return [s.split()[0] for s in seen]

        dee = client_message("Dee")
        dee.emails.append("dee@example.com")
        assert await event_during_booking(dee, dee) == ["UPDATE", "INSERT", "UPDATE"]
        known, revision = await _known(db, dee)
        assert revision == 2
        assert (known.display_name, known.primary_email, _members(known)) == ("Dee Tester", "dee@example.com", [])

        # an older version than the booking's: counted, nothing else changes; with family
        # members held, the second UPDATE takes nothing, so they are not read
        eve = client_message("Eve", members=["Kid"])
        older = _version(eve, given="Evelyn", later=-timedelta(minutes=5), kids=0)
        assert await event_during_booking(eve, older) == ["UPDATE", "INSERT", "UPDATE"]
        known, revision = await _known(db, eve)
        assert revision == 2
        assert (known.display_name, _members(known)) == ("Eve Tester", [(eve.family_members[0].name, "Kid Tester")])

        # a newer one: taken, its family members (read, deleted, inserted) in place of the booking's
        fay = client_message("Fay", members=["Kid"])
        newer = _version(fay, given="Faye", later=timedelta(seconds=1), kids=1)
        seen = await event_during_booking(fay, newer)
        assert seen == ["UPDATE", "INSERT", "UPDATE", "SELECT", "DELETE", "INSERT"]
        known, revision = await _known(db, fay)
        assert (revision, known.display_name) == (2, "Faye Tester")
        assert _members(known) == [(newer.family_members[0].name, "Kid0 Tester")]

        # the client's `created` event (the booking's own client, the common case): its INSERT
        # first, which waits for the booking and finds the row, then the UPDATE
        gus = client_message("Gus")
        assert await event_during_booking(gus, gus, created=True) == ["INSERT", "UPDATE"]
        known, revision = await _known(db, gus)
        assert (revision, known.display_name) == (2, "Gus Tester")
    finally:
        await db.dispose()
