"""Scale-out, acted out on loopback as the cluster would run it: two replicas of a service
behind client-side round robin (the address list a headless Service resolves to), one
replica SIGKILLed under load. No call fails that a retry could have saved, and every event
is published and applied exactly once.

The load is CreateClient with a request_id (retry-safe, so the channel's retry policy may
repeat it on UNAVAILABLE) against two clients replicas, with two scheduling replicas sharing
the durable consumer of the clients' events."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import func, select

from shutterbook.clients.v1 import clients_pb2, clients_pb2_grpc
from shutterbook_clients import main as clients_main
from shutterbook_clients.storage.models import ClientRow
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, eventually
from shutterbook_gateway.upstreams import CLIENTS_IDEMPOTENT, CLIENTS_SERVICE
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_client import open_channel
from shutterbook_kit.messaging import NatsConnection
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.storage.models import KnownClientRow
from tests.helpers import COMPANY_A, start_service_process, wait_serving

CALLS = 240
CONCURRENCY = 8
KILL_AFTER = CALLS // 3
FAST = {"SHUTTERBOOK_OUTBOX_LEASE_SECONDS": "2", "SHUTTERBOOK_CONSUMER_ACK_WAIT_SECONDS": "2"}


async def _count(url: str, model: type[ClientRow] | type[KnownClientRow], **where: object) -> int:
    db = Database(url)
    try:
        async with db.sessions() as session:
            query = select(func.count()).select_from(model)
            for column, value in where.items():
                query = query.where(getattr(model, column) == value)
            return int(await session.scalar(query) or 0)
    finally:
        await db.dispose()


async def test_replica_killed_under_load_loses_nothing(
    databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    clients_db = await databases.new("clients", migrate_with=clients_main.MIGRATIONS)
    scheduling_db = await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS)
    replicas: dict[str, subprocess.Popen[bytes]] = {}
    ports: dict[str, int] = {}
    for name in ("clients-a", "clients-b", "scheduling-a", "scheduling-b"):
        service = name.split("-")[0]
        ports[name] = free_port()
        url = clients_db if service == "clients" else scheduling_db
        replicas[name] = start_service_process(
            service, url, nats_server.url, ports[name], tmp_path / f"{name}.log", **FAST
        )
    try:
        for name, process in replicas.items():
            await wait_serving(ports[name], process)
        target = f"ipv4:127.0.0.1:{ports['clients-a']},127.0.0.1:{ports['clients-b']}"
        channel = open_channel(target, CLIENTS_SERVICE, CLIENTS_IDEMPOTENT)
        stub: clients_pb2_grpc.ClientsServiceAsyncStub = clients_pb2_grpc.ClientsServiceStub(channel)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(CALLS):
            queue.put_nowait(i)
        done = 0
        failures: list[str] = []
        killed = asyncio.Event()

        async def worker() -> None:
            nonlocal done
            while not queue.empty():
                i = queue.get_nowait()
                request = clients_pb2.CreateClientRequest(
                    client=clients_pb2.Client(given_name=f"Load{i}"),
                    request_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"load-{i}")),
                )
                try:
                    await stub.CreateClient(request, metadata=company_metadata(COMPANY_A), timeout=20)
                except Exception as exc:  # recorded, asserted below
                    failures.append(f"{i}: {exc!r}")
                done += 1
                if done == KILL_AFTER and not killed.is_set():
                    killed.set()
                    replicas["clients-a"].send_signal(signal.SIGKILL)
                    replicas["scheduling-a"].send_signal(signal.SIGKILL)

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(CONCURRENCY))), timeout=120)
        await channel.close()
        assert killed.is_set()
        assert replicas["clients-a"].wait(10) == -signal.SIGKILL
        assert failures == []  # every call succeeded: the retry policy carried the killed replica's calls over

        assert await _count(clients_db, ClientRow) == CALLS  # and none was applied twice

        async def all_applied() -> bool:
            return await _count(scheduling_db, KnownClientRow) == CALLS

        await eventually(all_applied, timeout=60, what="every event applied by the surviving scheduling replica")
        await asyncio.sleep(3)  # room for a late redelivery to show up as a second effect
        assert await _count(scheduling_db, KnownClientRow, revision=1) == CALLS  # each applied exactly once

        probe = NatsConnection(nats_server.url, name="probe")
        probe.start()
        info = await (await probe.jetstream()).stream_info("CLIENTS")
        await probe.close()
        assert info.state.messages == CALLS  # each event published once, whichever replica relayed it
    finally:
        for process in replicas.values():
            if process.poll() is None:
                process.terminate()
        for process in replicas.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
