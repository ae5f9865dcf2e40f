"""The async SQLAlchemy engine of a service, with the settings each backend needs.

SQLite (the embedded default): WAL, a busy timeout, foreign keys, and every write
transaction opened with `BEGIN IMMEDIATE`, so writers are serialized by the database
itself across processes: the guarantee PostgreSQL gives us with row locks and
constraints holds on SQLite too. Within a process, units of work that write also queue
first-come first-served on `write_gate`: SQLite's busy handler retries a waiting writer
after sleeps and is not fair, so under a burst of writers (a picture day's families
racing) one could wait past its caller's deadline while later ones went first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

READONLY = "shutterbook_readonly"
# SQLite's busy timeout, and how long a writer waits for this process's write gate.
WRITE_GATE_TIMEOUT_SECONDS = 30.0

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


class Database:
    """One service's database: engine, session factory, and the outbox wake-up signal."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
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
        SQLAlchemyInstrumentor().instrument(engine=self.engine.sync_engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
        # Set after a commit that wrote outbox rows, so the relay publishes without polling delay.
        self.outbox_written = asyncio.Event()
        # Called after each committed writing unit of work of this process with the companies
        # it named (`UnitOfWork.commit`): how an in-process read model hears its own writes.
        self.commit_listeners: list[Callable[[frozenset[str]], None]] = []
        # SQLite: the process's writing units of work, one at a time, in arrival order.
        self.write_gate: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        self.write_gate_owner: asyncio.Task[Any] | None = None  # the task holding it

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(**{READONLY: True})  # never queue behind writers
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
