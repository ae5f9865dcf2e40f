"""EnsureKnownClient racing the client's own events: the booking gateway calls it right after
creating a client, so the RPC and `clients.client.created` reach scheduling together, often
for a client scheduling does not know yet. Neither side may fail (no unique violation on the
known client's row, no redelivered event), one row results, the newest version is kept, and
the revision counts each event once and the RPC only when it applied a version; on SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shutterbook.clients.v1 import clients_pb2
from shutterbook.clients.v1 import events_pb2 as client_events
from shutterbook.common.v1 import events_pb2 as common_events
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_kit.consumer import Delivery
from shutterbook_kit.db import Database
from shutterbook_kit.schema import InboxEntry
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.api import client_events as scheduling_client_events
from shutterbook_scheduling.api import known_client_convert
from shutterbook_scheduling.application import client_directory
from shutterbook_scheduling.storage.models import KnownClientRow, KnownFamilyMemberRow
from tests.scheduling_support import COMPANY_A, A, client_message, publish_client_event, scheduling_service

ENSURES = 20
ROUNDS = 10


def _version(base: clients_pb2.Client, n: int) -> clients_pb2.Client:
    """Version `n` of the client: its own name, its own family member, `n` seconds newer."""
    client = clients_pb2.Client()
    client.CopyFrom(base)
    client.given_name = f"V{n}"
    del client.family_members[:]
    client.family_members.add(name=f"{base.name}/familyMembers/{uuid.uuid4()}", given_name=f"Kid{n}")
    client.update_time.FromDatetime(base.update_time.ToDatetime() + timedelta(seconds=n))
    return client


async def _deliver(db: Database, subject: str, event: client_events.ClientCreatedEvent) -> None:
    """Run scheduling's handler of a clients event in its own transaction, as its consumer does."""
    envelope = common_events.EventEnvelope(event_id=str(uuid.uuid4()), subject=subject, company_id=COMPANY_A)
    async with UnitOfWork(db, source="scheduling") as uow:
        await scheduling_client_events.on_client_created(Delivery(envelope=envelope, payload=event, uow=uow))
        await uow.commit()


async def _ensure(db: Database, client: clients_pb2.Client) -> pb.KnownClient:
    """EnsureKnownClient as the servicer runs it: the request read at the edge, the use case, the message."""
    version = known_client_convert.ensure_request_version(pb.EnsureKnownClientRequest(client=client))
    return known_client_convert.known_client_message(await client_directory.ensure_known_client(db, COMPANY_A, version))


async def _revisions(db: Database, client: clients_pb2.Client) -> list[int]:
    """The revision of each row held for the client (one row, if all is well)."""
    client_id = client.name.removeprefix("clients/")
    async with db.engine.connect() as conn:
        result = await conn.scalars(
            select(KnownClientRow.revision).where(
                KnownClientRow.company_id == COMPANY_A, KnownClientRow.client_id == client_id
            )
        )
        return list(result.all())


async def _known(db: Database, client: clients_pb2.Client) -> pb.KnownClient:
    name = client.name.replace("clients/", "knownClients/")
    return known_client_convert.known_client_message(await client_directory.get_known_client(db, COMPANY_A, name))


async def test_ensures_and_events_race_for_a_new_client(databases: DatabaseFactory) -> None:
    url = await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS)
    db = Database(url, pool_size=16)
    try:
        # a new client: the created event and many EnsureKnownClient calls of its first version at once
        base = client_message("V0", members=["Kid0"])
        first = _version(base, 0)
        events = 3  # the created event, delivered more than once (as a second replica would)
        results = await asyncio.gather(
            *[_ensure(db, first) for _ in range(ENSURES)],
            *[
                _deliver(db, "clients.client.created", client_events.ClientCreatedEvent(client=first))
                for _ in range(events)
            ],
        )
        ensured = [r for r in results if isinstance(r, pb.KnownClient)]
        assert len(ensured) == ENSURES
        assert {(k.display_name, tuple(m.display_name for m in k.family_members)) for k in ensured} == {
            ("V0 Tester", ("Kid0 Tester",))
        }
        revisions = await _revisions(db, base)
        assert len(revisions) == 1
        # each event counts once; the RPC counts once at most (when it came before every event)
        assert revisions[0] in (events, events + 1)
        revision = revisions[0]

        # then newer versions, in any order, racing an older event: the newest version stays
        newer = [_version(base, n) for n in range(1, ENSURES + 1)]
        random.Random(7).shuffle(newer)
        await asyncio.gather(
            *[_ensure(db, v) for v in newer],
            _deliver(db, "clients.client.created", client_events.ClientCreatedEvent(client=_version(base, 5))),
        )
        revisions = await _revisions(db, base)
        assert len(revisions) == 1
        # the event counts once, the RPC once per version it applied (at least the newest)
        assert revision + 2 <= revisions[0] <= revision + 1 + ENSURES
        known = await _known(db, base)
        assert known.display_name == f"V{ENSURES} Tester"
        assert [m.display_name for m in known.family_members] == [f"Kid{ENSURES} Tester"]
        async with db.engine.connect() as conn:
            members = await conn.scalar(
                select(func.count()).where(
                    KnownFamilyMemberRow.company_id == COMPANY_A,
                    KnownFamilyMemberRow.client_id == base.name.removeprefix("clients/"),
                )
            )
        assert members == 1
        # an older version afterwards changes nothing, not even the count
        assert (await _ensure(db, _version(base, 3))).display_name == f"V{ENSURES} Tester"
        assert await _revisions(db, base) == revisions
    finally:
        await db.dispose()


async def test_rpcs_race_the_delivered_event(
    databases: DatabaseFactory, nats_server: EmbeddedNats, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the service, for each of several new clients: 20 concurrent EnsureKnownClient
    calls while the real consumer handles its `clients.client.created`; the handler never
    fails (no "handler failed, will retry"), and the revision counts the event once and the
    calls once at most."""
    caplog.set_level(logging.WARNING, logger="shutterbook_kit.consumer")
    async with scheduling_service(databases, nats_server.url) as svc:
        db = Database(svc.database_url)
        try:
            for _ in range(ROUNDS):
                ann = client_message("Ann", members=["Kid"])
                results = await asyncio.gather(
                    publish_client_event(
                        nats_server.url,
                        COMPANY_A,
                        "clients.client.created",
                        client_events.ClientCreatedEvent(client=ann),
                    ),
                    *[
                        svc.stub.EnsureKnownClient(pb.EnsureKnownClientRequest(client=ann), metadata=A)
                        for _ in range(ENSURES)
                    ],
                )
                assert {k.display_name for k in results if isinstance(k, pb.KnownClient)} == {"Ann Tester"}

            async def all_applied() -> bool:
                async with db.engine.connect() as conn:
                    count = await conn.scalar(
                        select(func.count()).where(InboxEntry.subject == "clients.client.created")
                    )
                return count == ROUNDS

            await eventually(all_applied, what="the created events applied")
            async with db.engine.connect() as conn:
                rows = (await conn.execute(select(KnownClientRow.revision))).all()
            assert len(rows) == ROUNDS
            assert all(r.revision in (1, 2) for r in rows)
        finally:
            await db.dispose()
    failures = [r for r in caplog.records if r.name == "shutterbook_kit.consumer" and r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in failures] == []
