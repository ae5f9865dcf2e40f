"""A consumer killed after its effect committed but before its ack: JetStream redelivers
the event, and the inbox keeps the effect from happening twice. The scheduling service runs
as a real process; the failpoint makes it exit abruptly (as SIGKILL would) right after the
commit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
from sqlalchemy import func, select

from shutterbook.clients.v1 import clients_pb2_grpc
from shutterbook_clients import main as clients_main
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory, eventually, running, service_settings
from shutterbook_kit.db import Database
from shutterbook_kit.messaging import NatsConnection
from shutterbook_kit.schema import InboxEntry
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.storage.models import KnownClientRow
from tests.helpers import COMPANY_A, create_client, start_service_process, wait_serving

ACK_WAIT = "2"


async def _state(url: str) -> tuple[dict[str, int], int]:
    db = Database(url)
    try:
        async with db.sessions() as session:
            rows = (await session.scalars(select(KnownClientRow))).all()
            inbox = await session.scalar(select(func.count()).select_from(InboxEntry))
            return {r.client_id: r.revision for r in rows}, int(inbox or 0)
    finally:
        await db.dispose()


async def test_redelivery_after_crash_has_no_second_effect(
    databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    clients_db = await databases.new("clients", migrate_with=clients_main.MIGRATIONS)
    scheduling_db = await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS)
    env = {"SHUTTERBOOK_CONSUMER_ACK_WAIT_SECONDS": ACK_WAIT}
    clients_host = clients_main.build(service_settings("clients", clients_db, nats_server.url))
    async with running(clients_host), grpc.aio.insecure_channel(f"127.0.0.1:{clients_host.port}") as channel:
        stub = clients_pb2_grpc.ClientsServiceStub(channel)

        port = free_port()
        doomed = start_service_process(
            "scheduling",
            scheduling_db,
            nats_server.url,
            port,
            tmp_path / "scheduling-1.log",
            SHUTTERBOOK_FAILPOINTS="consumer.after_commit",
            **env,
        )
        await wait_serving(port, doomed)
        client = await create_client(stub, COMPANY_A, "Crash")
        client_id = client.name.removeprefix("clients/")

        exit_code = await asyncio.to_thread(doomed.wait, 30)
        assert exit_code == 137, "the consumer process should have died at the failpoint"
        revisions, inbox = await _state(scheduling_db)
        assert revisions == {client_id: 1}  # the effect committed before the crash
        assert inbox == 1

        survivor = start_service_process(
            "scheduling", scheduling_db, nats_server.url, port, tmp_path / "scheduling-2.log", **env
        )
        try:
            await wait_serving(port, survivor)
            nats = NatsConnection(nats_server.url, name="test-probe")
            nats.start()
            js = await nats.jetstream()

            async def redelivered_and_acked() -> bool:
                info = await js.consumer_info("CLIENTS", "scheduling")
                assert info.delivered is not None
                assert info.ack_floor is not None
                # consumer_seq counts every delivery: 2 = the first (crashed) one plus the redelivery
                return bool(
                    info.delivered.consumer_seq >= 2
                    and info.num_ack_pending == 0
                    and info.ack_floor.stream_seq == info.delivered.stream_seq == 1
                )

            await eventually(redelivered_and_acked, timeout=30, what="redelivery acked by the new process")
            await nats.close()
            assert await _state(scheduling_db) == ({client_id: 1}, 1)  # no second effect
        finally:
            survivor.terminate()
            assert await asyncio.to_thread(survivor.wait, 30) == 0
