"""The kit's pool on PostgreSQL: a pooled connection the server ended (a restart, a failover, an
idle timeout) is replaced before a unit of work uses it, as `pool_pre_ping` did, without its
round trips on every checkout."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from shutterbook_devstack.testing import POSTGRES_ENV, DatabaseFactory, eventually
from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork


async def _backend_pid(db: Database) -> int:
    async with UnitOfWork(db, readonly=True) as uow:
        pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


async def test_a_pooled_connection_the_server_ended_is_replaced_before_use(databases: DatabaseFactory) -> None:
    if databases.backend != "postgres":
        pytest.skip("a SQLite file has no server to end a connection")
    db = Database(await databases.new("kit"), pool_size=1)
    admin_url = make_url(os.environ[POSTGRES_ENV]).set(drivername="postgresql")
    admin = await asyncpg.connect(admin_url.render_as_string(hide_password=False))
    try:
        first = await _backend_pid(db)  # the pool's one connection, back in the pool
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)

        async def ended() -> bool:
            return not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", first)

        await eventually(ended, what="the server ended the pooled connection")
        # The pool can tell only once this process has read the server's goodbye on that socket
        # (the event loop runs its reader); a unit of work in the moment before fails once and
        # the connection is replaced then (CI under load met that moment: asyncpg's
        # "cannot switch to state" on BEGIN). Give the loop its turn, as a request arriving later
        # would.
        await asyncio.sleep(0.5)

        # the next unit of work runs, on a new connection, instead of failing on the dead one
        async with UnitOfWork(db) as uow:
            assert await uow.session.scalar(text("SELECT 1")) == 1
            await uow.commit()
        assert await _backend_pid(db) != first
    finally:
        await admin.close()
        await db.dispose()
