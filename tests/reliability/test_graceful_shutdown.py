"""SIGTERM during in-flight calls: health turns NOT_SERVING first, the in-flight calls
complete successfully, and the process exits 0.

The calls are held in flight for real: the test takes SQLite's write lock, so every
CreateClient waits in the database until the test lets go.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

from shutterbook.clients.v1 import clients_pb2_grpc
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory
from tests.helpers import COMPANY_A, create_client, start_service_process, wait_serving

IN_FLIGHT = 5


async def test_sigterm_finishes_in_flight_calls_then_exits_zero(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    url = await sqlite_databases.new("clients", migrate_with=clients_main.MIGRATIONS)
    port = free_port()
    process = start_service_process(
        "clients",
        url,
        nats_server.url,
        port,
        tmp_path / "clients.log",
        SHUTTERBOOK_SHUTDOWN_DRAIN_SECONDS="1",
        SHUTTERBOOK_SHUTDOWN_GRACE_SECONDS="15",
    )
    try:
        await wait_serving(port, process)
        lock = sqlite3.connect(str(make_url(url).database), isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")  # every write transaction of the service now waits

        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = clients_pb2_grpc.ClientsServiceStub(channel)
            calls = [asyncio.create_task(create_client(stub, COMPANY_A, f"InFlight{i}")) for i in range(IN_FLIGHT)]
            health = health_pb2_grpc.HealthStub(channel)
            watch = health.Watch(health_pb2.HealthCheckRequest(service=""))
            first = await watch.read()
            assert first.status == health_pb2.HealthCheckResponse.SERVING
            liveness = await health.Check(health_pb2.HealthCheckRequest(service="shutterbook.liveness"))
            assert liveness.status == health_pb2.HealthCheckResponse.SERVING
            await asyncio.sleep(0.5)
            assert not any(c.done() for c in calls), "the calls should be waiting on the database"

            process.send_signal(signal.SIGTERM)
            update = await asyncio.wait_for(watch.read(), timeout=10)
            assert update.status == health_pb2.HealthCheckResponse.NOT_SERVING
            assert process.poll() is None, "health must turn NOT_SERVING before the process exits"
            assert not any(c.done() for c in calls)
            watch.cancel()

            lock.execute("ROLLBACK")
            lock.close()
            created = await asyncio.wait_for(asyncio.gather(*calls), timeout=20)
            assert len({c.name for c in created}) == IN_FLIGHT

        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        if process.poll() is None:
            process.kill()
