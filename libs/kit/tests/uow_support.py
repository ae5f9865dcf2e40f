"""Helpers of the kit's tests of units of work and connections: a fresh database with one table
(`note`) or with the kit's own tables, and a connection's transaction state as PostgreSQL sees
it."""

from __future__ import annotations

import asyncpg
from sqlalchemy import text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_kit.schema import KitBase
from shutterbook_kit.uow import UnitOfWork


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "note"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str]


async def note_database(databases: DatabaseFactory) -> Database:
    """A new database with an empty `note` table, its pool one connection (each unit of work
    gets the connection the one before it used); the test disposes of it."""
    db = Database(await databases.new("kit"), pool_size=1)
    async with UnitOfWork(db) as uow:
        await uow.session.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
        await uow.commit()
    return db


async def kit_database(databases: DatabaseFactory) -> Database:
    """A new database with the kit's tables (outbox, inbox, audit entries, ...), its pool one
    connection; the test disposes of it."""
    db = Database(await databases.new("kit"), pool_size=1)
    async with db.engine.begin() as conn:
        await conn.run_sync(KitBase.metadata.create_all)
    return db


async def transaction_state(admin: asyncpg.Connection, pid: int) -> tuple[str, bool]:
    """The backend's state and whether it has a transaction open, as the server sees them (`admin`:
    the conftest's fixture)."""
    row = await admin.fetchrow("SELECT state, xact_start IS NOT NULL AS open FROM pg_stat_activity WHERE pid = $1", pid)
    assert row is not None
    return str(row["state"]), bool(row["open"])
