"""NATS stopped while clients are created: every create succeeds (the outbox holds the
events); once NATS is back, every event reaches scheduling exactly once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_kit.db import Database
from shutterbook_scheduling.storage.models import KnownClientRow
from tests.helpers import COMPANY_A, clients_and_scheduling, create_client

CLIENTS = 25


async def _revisions(database_url: str) -> dict[str, int]:
    db = Database(database_url)
    try:
        async with db.sessions() as session:
            rows = (await session.scalars(select(KnownClientRow))).all()
            return {r.client_id: r.revision for r in rows}
    finally:
        await db.dispose()


async def test_events_wait_out_a_nats_outage(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with clients_and_scheduling(databases, nats_server.url) as s:
        warmup = await create_client(s.clients, COMPANY_A, "Before")
        await eventually(lambda: _has(s.scheduling_db, warmup.name), what="first event delivered")

        nats_server.stop()
        created = await asyncio.gather(*(create_client(s.clients, COMPANY_A, f"During{i}") for i in range(CLIENTS)))
        assert len({c.name for c in created}) == CLIENTS  # every create succeeded while NATS was down
        assert len(await _revisions(s.scheduling_db)) == 1  # and nothing could be delivered yet

        nats_server.start()
        expected = {c.name.removeprefix("clients/") for c in [warmup, *created]}

        async def all_delivered() -> dict[str, int] | None:
            revisions = await _revisions(s.scheduling_db)
            return revisions if set(revisions) == expected else None

        revisions = await eventually(all_delivered, timeout=60, what="every event after NATS came back")
        await asyncio.sleep(2)  # let any duplicate delivery arrive before judging "exactly once"
        revisions = await _revisions(s.scheduling_db)
        assert revisions == {client_id: 1 for client_id in expected}


async def _has(database_url: str, client_name: str) -> bool:
    return client_name.removeprefix("clients/") in await _revisions(database_url)
