"""The gateway's Idempotency-Key claims on its database: a key's first claim says so (nothing
ran under it before), a server error frees the key in place (the row stays: a later claim is
never taken for a first one), and a freed key or one whose lease ran out is taken over by
exactly one of many concurrent claims."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application import idempotency_keys as keys
from shutterbook_gateway.storage.models import IdempotencyKeyRow
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

pytestmark = pytest.mark.asyncio

OWNER = "key-1"


async def _row(db: Database, key: str) -> IdempotencyKeyRow | None:
    async with UnitOfWork(db, readonly=True) as uow:
        return await uow.session.get(IdempotencyKeyRow, (OWNER, key))


async def _claims(db: Database, key: str, request_hash: str, n: int = 20) -> list[keys.Decision]:
    return list(await asyncio.gather(*(keys.begin(db, OWNER, key, request_hash) for _ in range(n))))


@pytest.mark.postgres
async def test_a_key_is_claimed_first_once_freed_in_place_and_taken_over_by_one_claim(
    databases: DatabaseFactory,
) -> None:
    db = Database(await databases.new("gateway", migrate_with=gateway_main.MIGRATIONS))
    try:
        first = await keys.begin(db, OWNER, "k", "hash-a")
        assert (first.outcome, first.first) == (keys.Outcome.RUN, True)
        assert (await keys.begin(db, OWNER, "k", "hash-a")).outcome is keys.Outcome.IN_PROGRESS
        assert (await keys.begin(db, OWNER, "k", "hash-b")).outcome is keys.Outcome.MISMATCH

        await keys.finish(db, OWNER, "k", 503, "application/problem+json", b"{}")
        freed = await _row(db, "k")
        assert freed is not None  # freed, not deleted: a claim that inserts a row is a first one
        assert (freed.state, freed.body) == (keys.FREE, b"")
        # a freed key runs any request again (as when freed keys were deleted), once
        decisions = await _claims(db, "k", "hash-b")
        assert [(d.outcome, d.first) for d in decisions].count((keys.Outcome.RUN, False)) == 1
        assert {d.outcome for d in decisions} == {keys.Outcome.RUN, keys.Outcome.IN_PROGRESS}
        claimed = await _row(db, "k")
        assert claimed is not None
        assert (claimed.state, claimed.request_hash) == ("in_progress", "hash-b")

        # the attempt holding it died: once its lease ran out, one claim takes it over
        async with UnitOfWork(db) as uow:
            await uow.session.execute(update(IdempotencyKeyRow).values(locked_until=utcnow() - timedelta(seconds=1)))
            await uow.commit()
        decisions = await _claims(db, "k", "hash-b")
        assert [(d.outcome, d.first) for d in decisions].count((keys.Outcome.RUN, False)) == 1
        assert {d.outcome for d in decisions} == {keys.Outcome.RUN, keys.Outcome.IN_PROGRESS}
        assert (await keys.begin(db, OWNER, "k", "hash-a")).outcome is keys.Outcome.MISMATCH

        await keys.finish(db, OWNER, "k", 201, "application/json", b'{"id": 1}')
        replay = await keys.begin(db, OWNER, "k", "hash-b")
        assert (replay.outcome, replay.status_code, replay.body) == (keys.Outcome.REPLAY, 201, b'{"id": 1}')

        # many first attempts at once: one claims it first, the others wait their turn
        decisions = await _claims(db, "new", "hash-a")
        assert [(d.outcome, d.first) for d in decisions].count((keys.Outcome.RUN, True)) == 1
        assert {d.outcome for d in decisions} == {keys.Outcome.RUN, keys.Outcome.IN_PROGRESS}
    finally:
        await db.dispose()


async def test_a_freed_key_an_older_release_took_over_is_in_progress(databases: DatabaseFactory) -> None:
    """In a rolling deploy an older release takes a freed key over as a lease run out: it moves
    the lease only, the state stays free; this release sees it running, not free to run."""
    db = Database(await databases.new("gateway", migrate_with=gateway_main.MIGRATIONS))
    try:
        assert (await keys.begin(db, OWNER, "k", "hash-a")).outcome is keys.Outcome.RUN
        await keys.finish(db, OWNER, "k", 503, "application/problem+json", b"{}")
        async with UnitOfWork(db) as uow:  # what the older release's takeover writes
            await uow.session.execute(update(IdempotencyKeyRow).values(locked_until=utcnow() + timedelta(minutes=1)))
            await uow.commit()
        assert (await keys.begin(db, OWNER, "k", "hash-a")).outcome is keys.Outcome.IN_PROGRESS
        assert (await keys.begin(db, OWNER, "k", "hash-b")).outcome is keys.Outcome.IN_PROGRESS
    finally:
        await db.dispose()
