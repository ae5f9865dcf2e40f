"""What one SQL statement costs this process, the floor under every use case (issue 19: why a
booking of about 120 statements in about 20 units of work cannot reach 40/s on 2 cores).

Subject: a one-row `SELECT` through the kit's `Database` (SQLAlchemy's async session), one
statement at a time on one session, as a service runs it when it records no spans (the default
without an exporter: no per-statement span). Ceiling: the same statement on the driver's own
connection (asyncpg, or aiosqlite), no SQLAlchemy. Then what the floor is made of: the same
statement built once (a bound parameter) instead of per call; with statement tracing on (one
trace in ten sampled, the default when exporting); and a whole unit of work of one statement
(`UnitOfWork`: checkout, BEGIN, the statement, COMMIT) against a transaction on the driver's
connection. All bounded (count and time), CPU per call printed. SQLite and, where
SHUTTERBOOK_TEST_POSTGRES_URL is set, PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
import asyncpg
from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from sqlalchemy import Integer, bindparam, literal, select
from sqlalchemy.engine import make_url

from bench.common import Timing, measure, on_each_backend, report
from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork

COUNT, SECONDS = 3000, 10.0
UOW_COUNT = 1000
Call = Callable[[], Awaitable[object]]


async def _driver(url: str) -> tuple[Any, Call, Call]:
    """The driver's own connection, a call running one statement on it, and one running it in
    a transaction of its own."""
    counter = itertools.count()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = await aiosqlite.connect(parsed.database or ":memory:")

        async def sqlite_call() -> object:
            async with conn.execute("SELECT ?", (next(counter),)) as cursor:
                return await cursor.fetchall()

        async def sqlite_transaction() -> object:
            await conn.execute("BEGIN IMMEDIATE")
            rows = await sqlite_call()
            await conn.commit()
            return rows

        return conn, sqlite_call, sqlite_transaction
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    pg = await asyncpg.connect(dsn)

    async def pg_call() -> object:
        return await pg.fetch("SELECT $1::int", next(counter))

    async def pg_transaction() -> object:
        async with pg.transaction():
            return await pg_call()

    return pg, pg_call, pg_transaction


async def _statements(db: Database, name: str, *, built_once: bool = False) -> Timing:
    counter = itertools.count()
    once = select(bindparam("n", type_=Integer))
    async with db.sessions() as session:

        async def per_call() -> object:
            return (await session.execute(select(literal(next(counter))))).all()

        async def prebuilt() -> object:
            return (await session.execute(once, {"n": next(counter)})).all()

        return await measure(name, prebuilt if built_once else per_call, count=COUNT, max_seconds=SECONDS)


def _tracer_provider() -> None:
    """What a service exporting spans runs with (`telemetry.configure_telemetry`): one new trace
    in ten recorded (no exporter here: the cost measured is the instrumentation's own)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1))))


async def run_on(label: str, url: str, _nats_url: str) -> None:
    db = Database(url, trace_statements=False)
    conn, raw, raw_transaction = await _driver(url)
    counter = itertools.count()
    once = select(bindparam("n", type_=Integer))

    async def unit_of_work() -> object:
        async with UnitOfWork(db) as uow:
            rows = (await uow.session.execute(once, {"n": next(counter)})).all()
            await uow.commit()
        return rows

    try:
        ceiling = await measure("the driver alone", raw, count=COUNT, max_seconds=SECONDS)
        subject = await _statements(db, "the kit's Database (async session), statement built per call")
        report(f"[{label}] one statement: SQLAlchemy's async session vs the driver", subject, ceiling)
        built_once = await _statements(db, "the same, statement built once", built_once=True)
        report(f"[{label}] one statement built once (a bound parameter) vs the driver", built_once, ceiling)
        _tracer_provider()
        traced_db = Database(url, trace_statements=True)
        try:
            traced = await _statements(traced_db, "with statement tracing (1 in 10 sampled)", built_once=True)
        finally:
            SQLAlchemyInstrumentor().uninstrument()  # it instruments one engine: the next backend's
            await traced_db.dispose()
        report(f"[{label}] statement tracing on vs off (statement built once)", traced, built_once)
        tx_ceiling = await measure("a transaction on the driver", raw_transaction, count=UOW_COUNT, max_seconds=SECONDS)
        uow = await measure("UnitOfWork of one statement", unit_of_work, count=UOW_COUNT, max_seconds=SECONDS)
        report(f"[{label}] a unit of work of one statement vs a driver transaction", uow, tx_ceiling)
        per_booking = 120 * subject.cpu_per_call + 20 * max(0.0, uow.cpu_per_call - built_once.cpu_per_call)
        print(
            f"[{label}] 120 statements in 20 units of work (a booking) cost {per_booking * 1e3:.1f} ms of CPU "
            f"here: at most {1 / per_booking:.0f} bookings/s per core on statements alone",
            flush=True,
        )
    finally:
        await conn.close()
        await db.dispose()


async def main() -> None:
    await on_each_backend("statements", run_on)
