"""The async SQLAlchemy engine of a service, with the settings each backend needs.

SQLite (the embedded default): WAL, a busy timeout, foreign keys, and every write
transaction opened with `BEGIN IMMEDIATE`, so writers are serialized by the database
itself across processes: the guarantee PostgreSQL gives us with row locks and
constraints holds on SQLite too. Within a process, units of work that write also queue
first-come first-served on `write_gate`: SQLite's busy handler retries a waiting writer
after sleeps and is not fair, so under a burst of writers (a picture day's families
racing) one could wait past its caller's deadline while later ones went first.

What a statement costs (issue 19, `bench/bench_statement_floor.py`): the engine carries only
what pays for itself. A span per statement (OpenTelemetry's SQLAlchemy instrumentation) only
when this process records spans at all; a pooled PostgreSQL connection is pinged before use
only after it sat idle (SQLAlchemy's `pool_pre_ping` spent three round trips, BEGIN, `;` and
ROLLBACK, on every unit of work); SQLite, a file, is never pinged. A read-only unit of work
on PostgreSQL runs in autocommit: no BEGIN and no ROLLBACK around its reads (`_PG_READONLY_OPTIONS`);
so can writes that are each correct as a transaction of their own (`Database.autocommit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from shutterbook_kit.outbox_handoff import OutboxHandoff
from shutterbook_kit.telemetry import tracing_enabled

log = logging.getLogger(__name__)

READONLY = "shutterbook_readonly"
# A read-only unit of work's connection on PostgreSQL: autocommit (asyncpg then sends neither
# BEGIN before its first statement nor ROLLBACK at its end, two round trips of three for a unit
# of work of one read). Its reads keep their meaning: under READ COMMITTED, PostgreSQL's and our
# level, each statement of a transaction takes its own snapshot anyway, as each one does alone
# in autocommit; what a transaction alone would give, row locks (FOR UPDATE), transaction-scoped
# advisory locks, SET LOCAL, one now() for all statements, a read-only unit of work does not
# use. The pool sets the connection's isolation level back when it returns (SQLAlchemy resets
# what an execution option changed at checkin), so the next writing unit of work is a
# transaction again. What it must not do is write: a write would commit at once, so the
# session of a read-only unit of work neither autoflushes nor flushes (`KitSession`) nor
# commits (`UnitOfWork.commit`). SQLite keeps its plain BEGIN (see `_install_sqlite_pragmas`).
_PG_READONLY_OPTIONS: dict[str, Any] = {READONLY: True, "isolation_level": "AUTOCOMMIT"}
_SQLITE_READONLY_OPTIONS: dict[str, Any] = {READONLY: True}
# `Database.autocommit`'s connection on PostgreSQL: each statement its own transaction, committed
# by the server as it returns (no BEGIN, no COMMIT: one round trip a statement). Reset at checkin
# like the read-only one's, so the next unit of work on the connection is a transaction again.
_PG_AUTOCOMMIT_OPTIONS: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}
# SQLite's busy timeout, and how long a writer waits for this process's write gate.
WRITE_GATE_TIMEOUT_SECONDS = 30.0
# A pooled PostgreSQL connection idle this long is pinged (one round trip) before it is used again.
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "shutterbook_idle_since"

# Plain URLs (as CloudNativePG's app secret holds them) get the async driver we use.
_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def async_url(url: str) -> URL:
    """The URL with its async driver: `postgresql://` -> `postgresql+asyncpg://`, and so on."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def _sqlite_file(url: URL) -> Path | None:
    if url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _install_sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (aiosqlite would emit a
        # deferred BEGIN, which turns into SQLITE_BUSY instead of waiting when it upgrades).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(WRITE_GATE_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get(READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _install_connection_checks(engine: AsyncEngine) -> None:
    """What `pool_pre_ping` guards against (a connection the server ended: a restart, a failover,
    an idle timeout), without its three round trips on every checkout: a connection whose socket
    the server closed is replaced outright, and one idle in the pool for a while is pinged first.
    A connection used a moment ago is handed out as it is."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        is_closed = getattr(driver, "is_closed", None)
        if is_closed is not None and is_closed():
            raise DisconnectionError("the server closed this pooled connection")
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("a pooled connection failed its ping") from exc
        if not alive:
            raise DisconnectionError("a pooled connection failed its ping")


class KitSession(Session):
    """The kit's ORM session: one that a read-only unit of work marked (`info[READONLY]`)
    refuses to flush, so a change made in it fails loudly instead of being written (at once,
    on PostgreSQL: its connection is in autocommit)."""


@event.listens_for(KitSession, "before_flush")
def _refuse_readonly_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READONLY):
        raise RuntimeError("a read-only unit of work cannot write (a flush of changed or new rows)")


# PostgreSQL: a lock on the text key `:lock` held until the transaction ends (a statement, or a
# FROM subquery of one: `idempotency.run_idempotent(lock=...)`); every taker of a key's lock
# must hash it alike, so this is the one spelling of it
ADVISORY_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"


class Database:
    """One service's database: engine, session factory, and the outbox wake-up signal.

    `trace_statements`: a client span per statement and connection (OpenTelemetry's SQLAlchemy
    instrumentation, which instruments the first engine of a process it is given). By default
    only when this process records spans (`telemetry.tracing_enabled()`, read here, once: the
    tracer provider is installed before the service makes its database). Each statement
    costs about 0.04 ms more of CPU with it, even for a span nobody records."""

    def __init__(self, url: str, *, pool_size: int = 10, trace_statements: bool | None = None) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            path = _sqlite_file(self.url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            if self.url.get_driver_name() == "asyncpg":
                # no JIT: these are short OLTP statements, and PostgreSQL compiles any plan whose
                # estimate passes jit_above_cost (a correlated listing reaches it) for 0.5 s
                kwargs["connect_args"] = {"server_settings": {"jit": "off"}}
        self.engine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine)
        else:
            _install_connection_checks(self.engine)
        self.traces_statements = tracing_enabled() if trace_statements is None else trace_statements
        if self.traces_statements:
            SQLAlchemyInstrumentor().instrument(engine=self.engine.sync_engine)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, class_=AsyncSession, sync_session_class=KitSession
        )
        # the connection options of a read-only unit of work (see _PG_READONLY_OPTIONS)
        self.readonly_options = _SQLITE_READONLY_OPTIONS if self.is_sqlite else _PG_READONLY_OPTIONS
        # Set after a commit that wrote outbox rows, so the relay publishes without polling delay.
        self.outbox_written = asyncio.Event()
        # This process's running relay over this database (PostgreSQL), to which a commit hands
        # the outbox rows it claimed for it (outbox_handoff.py); None: rows wait for a claim.
        self.outbox_handoff: OutboxHandoff | None = None
        # Called after each committed writing unit of work of this process with the companies
        # it named (`UnitOfWork.commit`): how an in-process read model hears its own writes.
        self.commit_listeners: list[Callable[[frozenset[str]], None]] = []
        # SQLite: the process's writing units of work, one at a time, in arrival order.
        self.write_gate: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        self.write_gate_owner: asyncio.Task[Any] | None = None  # the task holding it

    @contextlib.asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection on which every statement is a transaction of its own, committed when it
        returns (PostgreSQL only): for writes that are each correct alone, run one after the
        other on one checkout without BEGIN and COMMIT around them (the outbox relay's mark,
        then its claim). What a transaction would give its statements together, it does not:
        a statement that fails leaves those before it committed, and each releases its row
        locks as it ends; a caller whose statements must stand or fall together, or must read
        what they lock across statements, uses a `UnitOfWork`.

        SQLite has no such connection here: its writers are serialized by `BEGIN IMMEDIATE`
        (and `write_gate`), which a statement outside that transaction would bypass."""
        if self.is_sqlite:
            raise RuntimeError("autocommit writes are for PostgreSQL: on SQLite write in a UnitOfWork")
        async with self.engine.connect() as conn:
            yield await conn.execution_options(**_PG_AUTOCOMMIT_OPTIONS)

    def committed(self, companies: frozenset[str]) -> None:
        """Tell `commit_listeners` that a write naming `companies` committed (a unit of work's
        commit, an autocommit write that stands for one)."""
        for listener in self.commit_listeners:
            try:
                listener(companies)
            except Exception:  # the change is committed: a listener's failure must not undo the answer
                log.exception("commit listener failed")

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                # never queue behind writers; on PostgreSQL no BEGIN or ROLLBACK
                conn = await conn.execution_options(**self.readonly_options)
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
