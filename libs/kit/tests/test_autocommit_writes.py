"""`Database.autocommit`: on PostgreSQL a connection whose statements are each a transaction of
their own (no BEGIN, no COMMIT: each committed as it returns), the pooled connection a
transaction again for the next unit of work; refused on SQLite, whose writers are serialized
by BEGIN IMMEDIATE."""

from __future__ import annotations

import os

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from uow_support import Note, note_database, transaction_state

from shutterbook_devstack.testing import POSTGRES_ENV, DatabaseFactory, round_trips
from shutterbook_kit.uow import UnitOfWork

_INSERT = text("INSERT INTO note (id, body) VALUES (:id, :body)")


async def test_autocommit_statements_commit_each_on_their_own(
    databases: DatabaseFactory, admin: asyncpg.Connection
) -> None:
    if databases.backend != "postgres":
        pytest.skip("PostgreSQL only (SQLite refuses it: the test below)")
    db = await note_database(databases)
    try:
        async with round_trips(db) as seen, db.autocommit() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
            await conn.execute(_INSERT, {"id": 1, "body": "first"})
            # committed as it returned: another connection sees it, this one holds no transaction
            assert await transaction_state(admin, pid) == ("idle", False)
            name = await conn.scalar(text("SELECT current_database()"))
            other = await asyncpg.connect(
                make_url(os.environ[POSTGRES_ENV])
                .set(drivername="postgresql", database=name)
                .render_as_string(hide_password=False)
            )
            try:
                assert await other.fetchval("SELECT count(*) FROM note") == 1
            finally:
                await other.close()
            # a statement that fails undoes itself only: the first one stays
            with pytest.raises(IntegrityError):
                await conn.execute(_INSERT, {"id": 1, "body": "a duplicate"})
            await conn.execute(_INSERT, {"id": 2, "body": "after the failure"})
        assert seen.transaction_control == []  # no BEGIN, COMMIT or ROLLBACK sent
        assert len(seen.statements) == 5

        # the pool's one connection, back from autocommit: a unit of work is a transaction again
        async with round_trips(db) as seen, UnitOfWork(db) as uow:
            assert await uow.session.scalar(text("SELECT pg_backend_pid()")) == pid
            uow.session.add(Note(id=3, body="not committed"))
            await uow.session.flush()
            # left without commit(): rolled back
        assert seen.transaction_control == ["BEGIN", "ROLLBACK"]
        async with UnitOfWork(db, readonly=True) as uow:
            ids = (await uow.session.scalars(select(Note.id).order_by(Note.id))).all()
        assert ids == [1, 2]
    finally:
        await db.dispose()


async def test_autocommit_is_refused_on_sqlite(databases: DatabaseFactory) -> None:
    if databases.backend != "sqlite":
        pytest.skip("SQLite only")
    db = await note_database(databases)
    try:
        with pytest.raises(RuntimeError, match="autocommit writes are for PostgreSQL"):
            async with db.autocommit():
                pass
        async with UnitOfWork(db, readonly=True) as uow:
            assert await uow.session.scalar(select(func.count()).select_from(Note)) == 0
    finally:
        await db.dispose()
