"""1,000 clients in one job; the scheduling service (a real OS process) is SIGKILLed when
about half are booked and started again: the job finishes by itself with exactly 1,000
sessions, unique numbers, and one `scheduling.session.booked` event per session."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any, cast

import grpc

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import bulk_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_scheduling import main as scheduling_main
from tests.bulk_support import (
    day,
    seed_known_clients,
    session_count,
    session_numbers,
    template,
    wait_finished,
    weekday_rows,
)
from tests.helpers import start_service_process, wait_serving
from tests.scheduling_support import COMPANY_A, A, SchedulingService, make_studio

CLIENTS = 1000
LEASE = {"SHUTTERBOOK_SCHEDULING_BULK_LEASE_SECONDS": "1"}


async def test_a_job_killed_halfway_finishes_without_duplicates(
    databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    url = await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS)
    port = free_port()
    first = start_service_process("scheduling", url, nats_server.url, port, tmp_path / "scheduling-1.log", **LEASE)
    try:
        await wait_serving(port, first)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
            bulk: bulk_pb2_grpc.BulkSchedulingServiceAsyncStub = bulk_pb2_grpc.BulkSchedulingServiceStub(channel)
            studio = await make_studio(cast(SchedulingService, SimpleService(stub)))
            clients = await seed_known_clients(url, COMPANY_A, CLIENTS)
            # weekdays 08:00-18:00 with a lunch break, 10 minutes each: 54 a day, 20 weekdays -> 1,080
            rows = weekday_rows(day(2030, 9, 2), day(2030, 9, 27))
            verified = await bulk.VerifyBulkSchedule(
                bpb.VerifyBulkScheduleRequest(template=template(studio), time_slot_rows=rows, clients=clients),
                metadata=A,
            )
            assert (verified.slot_count, verified.enough_slots, len(verified.conflicts)) == (1080, True, 0)
            job = await bulk.CreateBulkJob(
                bpb.CreateBulkJobRequest(
                    bulk_job=bpb.BulkJob(template=template(studio), time_slot_rows=rows),
                    clients=clients,
                    request_id="crash-test-job-0001",
                ),
                metadata=A,
            )

            async def about_half() -> bpb.BulkJob | None:
                progress = await bulk.GetBulkJob(bpb.GetBulkJobRequest(name=job.name), metadata=A)
                return progress if progress.done >= CLIENTS // 2 else None

            halfway = await eventually(about_half, timeout=120, interval=0.05, what="half of the job")
            first.send_signal(signal.SIGKILL)
            assert await asyncio.to_thread(first.wait, 30) == -signal.SIGKILL
        assert halfway.done < CLIENTS, "the job should still have been running when killed"
        booked_before_restart = await session_count(url)
        assert CLIENTS // 2 <= booked_before_restart < CLIENTS

        second = start_service_process("scheduling", url, nats_server.url, port, tmp_path / "scheduling-2.log", **LEASE)
        try:
            await wait_serving(port, second)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                bulk = bulk_pb2_grpc.BulkSchedulingServiceStub(channel)
                done = await wait_finished(bulk, job.name, A, timeout=180)
                assert (done.total, done.done, done.failures) == (CLIENTS, CLIENTS, 0)
                svc = SchedulingService(
                    scheduling_pb2_grpc.SchedulingServiceStub(channel),
                    url,
                    nats_server.url,
                    cast(Any, None),
                )
                outbox = await svc.outbox()
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.to_thread(second.wait, 30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)

    numbers = await session_numbers(url, COMPANY_A)
    assert len(numbers) == CLIENTS
    assert len(set(numbers)) == CLIENTS
    booked = [e for e in outbox if e.subject == "scheduling.session.booked"]
    assert len(booked) == CLIENTS
    assert len({e.event_id for e in booked}) == CLIENTS
    sessions = set()
    clients_booked = set()
    for envelope in booked:
        payload = ev.SessionBookedEvent()
        envelope.payload.Unpack(payload)
        sessions.add(payload.session.session)
        clients_booked.add(payload.session.client)
    assert len(sessions) == CLIENTS  # no two events for one session
    assert clients_booked == set(clients)
    assert len([e for e in outbox if e.subject == "scheduling.bulk_job.completed"]) == 1


class SimpleService:
    """What make_studio uses of a SchedulingService: its stub."""

    def __init__(self, stub: Any) -> None:
        self.stub = stub
