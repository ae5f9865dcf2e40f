"""What one SQL statement costs this process, the floor under every use case (issue 19: why a
booking of about 120 statements cannot reach 40/s on 2 cores through the ORM).

Subject: a one-row `SELECT` through the kit's `Database` (SQLAlchemy's async session, the
telemetry instrumentation every service has), one statement at a time on one session.
Ceiling: the same statement on the driver's own connection (asyncpg, or aiosqlite), no
SQLAlchemy. Both bounded (count and time), CPU per statement printed. SQLite and, where
SHUTTERBOOK_TEST_POSTGRES_URL is set, PostgreSQL.
"""

from __future__ import annotations

import itertools
from typing import Any

import aiosqlite
import asyncpg
from sqlalchemy import literal, select
from sqlalchemy.engine import make_url

from bench.common import measure, on_each_backend, report
from shutterbook_kit.db import Database

COUNT, SECONDS = 3000, 10.0


async def _driver(url: str) -> tuple[Any, Any]:
    """The driver's own connection and a call running one statement on it."""
    counter = itertools.count()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = await aiosqlite.connect(parsed.database or ":memory:")

        async def sqlite_call() -> object:
            async with conn.execute("SELECT ?", (next(counter),)) as cursor:
                return await cursor.fetchall()

        return conn, sqlite_call
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    pg = await asyncpg.connect(dsn)

    async def pg_call() -> object:
        return await pg.fetch("SELECT $1::int", next(counter))

    return pg, pg_call


async def run_on(label: str, url: str, _nats_url: str) -> None:
    db = Database(url)
    counter = itertools.count()
    conn, raw = await _driver(url)
    try:
        async with db.sessions() as session:

            async def orm() -> object:
                return (await session.execute(select(literal(next(counter))))).all()

            ceiling = await measure("the driver alone", raw, count=COUNT, max_seconds=SECONDS)
            subject = await measure("the kit's Database (async session)", orm, count=COUNT, max_seconds=SECONDS)
        report(f"[{label}] one statement: SQLAlchemy's async session vs the driver", subject, ceiling)
        per_booking = 120 * subject.cpu_per_call
        print(
            f"[{label}] 120 statements (a booking) cost {per_booking * 1e3:.1f} ms of CPU here: at most "
            f"{1 / per_booking:.0f} bookings/s per core on statements alone",
            flush=True,
        )
    finally:
        await conn.close()
        await db.dispose()


async def main() -> None:
    await on_each_backend("statements", run_on)
