"""A read-only unit of work reads only: on PostgreSQL it runs in autocommit (no BEGIN before its
first statement, no ROLLBACK at its end), the pooled connection it used is transactional again
for the next writing unit of work, and any write in it fails instead of being committed."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import func, select, text
from uow_support import Note, note_database, transaction_state

from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork


async def _notes(db: Database) -> int:
    async with UnitOfWork(db, readonly=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Note)) or 0)


async def test_a_read_only_unit_on_postgresql_opens_no_transaction(
    databases: DatabaseFactory, admin: asyncpg.Connection
) -> None:
    if databases.backend != "postgres":
        pytest.skip("SQLite keeps its plain BEGIN for a read-only unit of work")
    db = await note_database(databases)
    try:
        async with UnitOfWork(db, readonly=True) as uow:
            pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
            assert isinstance(pid, int)
            # between its statements, the connection is idle, not idle in a transaction
            assert await transaction_state(admin, pid) == ("idle", False)
            assert await uow.session.scalar(select(func.count()).select_from(Note)) == 0
            assert await transaction_state(admin, pid) == ("idle", False)
    finally:
        await db.dispose()


async def test_a_writing_unit_after_a_read_only_one_on_the_same_connection_is_a_transaction(
    databases: DatabaseFactory, admin: asyncpg.Connection
) -> None:
    if databases.backend != "postgres":
        pytest.skip("a read-only unit of work changes no connection setting on SQLite")
    db = await note_database(databases)
    try:
        async with UnitOfWork(db, readonly=True) as uow:
            reader = await uow.session.scalar(text("SELECT pg_backend_pid()"))
        async with UnitOfWork(db) as uow:
            writer = await uow.session.scalar(text("SELECT pg_backend_pid()"))
            assert writer == reader  # the pool's one connection, back from the read-only unit
            uow.session.add(Note(id=1, body="not committed"))
            await uow.session.flush()
            assert await transaction_state(admin, writer) == ("idle in transaction", True)
            # left without commit(): rolled back
        assert await _notes(db) == 0

        async with UnitOfWork(db) as uow:
            uow.session.add(Note(id=2, body="committed"))
            await uow.commit()
        assert await _notes(db) == 1
    finally:
        await db.dispose()


async def test_a_read_only_unit_refuses_to_write(databases: DatabaseFactory) -> None:
    db = await note_database(databases)
    try:
        async with UnitOfWork(db, readonly=True) as uow:
            uow.session.add(Note(id=1, body="never written"))
            # no autoflush before a query (on PostgreSQL it would have committed the row at once)
            assert await uow.session.scalar(select(func.count()).select_from(Note)) == 0
            with pytest.raises(RuntimeError, match="read-only unit of work cannot write"):
                await uow.session.flush()
            with pytest.raises(RuntimeError, match="read-only unit of work cannot commit"):
                await uow.commit()
        assert await _notes(db) == 0
    finally:
        await db.dispose()
