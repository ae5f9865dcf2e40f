"""Helpers shared by the cross-service tests: start services in this process or as processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2, scheduling_pb2_grpc
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import free_port, port_open
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, running, service_settings
from shutterbook_gateway import main as gateway_main
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.settings import SchedulingSettings

COMPANY_A = "0b7e6f3a-1111-4a4a-8a8a-00000000000a"
COMPANY_B = "0b7e6f3a-2222-4b4b-8b8b-00000000000b"


@dataclass
class Slice:
    clients: clients_pb2_grpc.ClientsServiceAsyncStub
    scheduling: scheduling_pb2_grpc.SchedulingServiceAsyncStub
    clients_port: int
    scheduling_port: int
    clients_db: str
    scheduling_db: str


@asynccontextmanager
async def clients_and_scheduling(
    databases: DatabaseFactory, nats_url: str, *, own: SchedulingSettings | None = None, **overrides: object
) -> AsyncIterator[Slice]:
    """The clients and scheduling services in this process, on loopback ports, fresh databases;
    `overrides` replace scheduling's ServiceSettings, `own` its own settings (default: the
    defaults, nothing read from the environment)."""
    clients_db = await databases.new("clients", migrate_with=clients_main.MIGRATIONS)
    scheduling_db = await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS)
    clients_host = clients_main.build(service_settings("clients", clients_db, nats_url))
    async with running(clients_host), grpc.aio.insecure_channel(f"127.0.0.1:{clients_host.port}") as c_ch:
        settings = service_settings("scheduling", scheduling_db, nats_url, **overrides)
        if "upstreams" not in overrides:  # picture days read their families from this clients service
            settings = replace(settings, upstreams={**settings.upstreams, "clients": f"127.0.0.1:{clients_host.port}"})
        scheduling_host = scheduling_main.build(settings, own if own is not None else SchedulingSettings())
        async with running(scheduling_host), grpc.aio.insecure_channel(f"127.0.0.1:{scheduling_host.port}") as s_ch:
            yield Slice(
                clients=clients_pb2_grpc.ClientsServiceStub(c_ch),
                scheduling=scheduling_pb2_grpc.SchedulingServiceStub(s_ch),
                clients_port=clients_host.port,
                scheduling_port=scheduling_host.port,
                clients_db=clients_db,
                scheduling_db=scheduling_db,
            )


async def create_client(
    stub: clients_pb2_grpc.ClientsServiceAsyncStub, company: str, given: str, email: str = ""
) -> clients_pb2.Client:
    client = clients_pb2.Client(given_name=given, family_name="Tester", emails=[email] if email else [])
    return await stub.CreateClient(clients_pb2.CreateClientRequest(client=client), metadata=company_metadata(company))


async def known_client(
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub, company: str, client: clients_pb2.Client
) -> scheduling_pb2.KnownClient | None:
    name = client.name.replace("clients/", "knownClients/")
    try:
        return await stub.GetKnownClient(
            scheduling_pb2.GetKnownClientRequest(name=name), metadata=company_metadata(company)
        )
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


@asynccontextmanager
async def gateway(
    database_url: str, upstreams: dict[str, str], nats_url: str = "nats://127.0.0.1:1"
) -> AsyncIterator[str]:
    """The gateway served by uvicorn in this process on a free loopback port; yields its base URL.
    Its gateway.booking.* events stay in its outbox unless `nats_url` names a real server."""
    port = free_port()
    settings = service_settings("gateway", database_url, nats_url, port=port, upstreams=upstreams)
    server = gateway_main.server(settings)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def service_command(service: str) -> list[str]:
    name = "shutterbook-booking-gateway" if service == "gateway" else f"shutterbook-{service}"
    return [str(Path(sys.executable).parent / name), "serve"]


def start_service_process(
    service: str, database_url: str, nats_url: str, port: int, log: Path, **env: str
) -> subprocess.Popen[bytes]:
    """A service as a real OS process (for kill and signal tests)."""
    full_env = {
        **os.environ,
        f"SHUTTERBOOK_{service.upper()}_DATABASE_URL": database_url,
        "SHUTTERBOOK_NATS_URL": nats_url,
        f"SHUTTERBOOK_{service.upper()}_PORT": str(port),
        **env,
    }
    with open(log, "ab") as out:
        return subprocess.Popen(service_command(service), env=full_env, stdout=out, stderr=out)


async def wait_serving(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Wait until the gRPC service process on `port` answers its health check with SERVING."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while True:
            if process.poll() is not None:
                raise AssertionError(f"process exited early with {process.returncode}")
            if port_open("127.0.0.1", port):
                try:
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"service on port {port} not SERVING after {timeout}s")
            await asyncio.sleep(0.05)
