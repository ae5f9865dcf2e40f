"""Bulk scheduling: a job's sessions per second, as a ratio to a loop of single
CreateSession calls (the ceiling: the same use case, one gRPC call each) in the same run.
SQLite always; PostgreSQL too where SHUTTERBOOK_TEST_POSTGRES_URL is set (a throwaway
database, dropped afterwards).

Both book the same studio (one location, photographer, assistant and room) for clients
seeded straight into scheduling's known-clients projection, on disjoint days, so neither
meets a conflict. Every loop is bounded in count and time; loopback only.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid

import grpc

from bench.common import measure, on_each_backend
from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import bulk_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.caller_keys import company_metadata
from shutterbook_devstack.loopback import service_settings
from shutterbook_kit.migrations import upgrade
from shutterbook_scheduling import main as scheduling_main
from tests.bulk_support import seed_known_clients, weekday_rows
from tests.scheduling_support import make_studio

JOB_CLIENTS = 500
SINGLE_CALLS = 300
MAX_SECONDS = 120.0
COMPANY = "b0000000-0000-4000-8000-000000000008"
META = company_metadata(COMPANY)


class _Service:
    def __init__(self, stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub) -> None:
        self.stub = stub


async def run_on(label: str, url: str, nats_url: str) -> None:
    await asyncio.to_thread(upgrade, scheduling_main.MIGRATIONS, url)
    settings = service_settings("scheduling", url, nats_url)
    host = scheduling_main.build(settings)
    await host.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
            bulk: bulk_pb2_grpc.BulkSchedulingServiceAsyncStub = bulk_pb2_grpc.BulkSchedulingServiceStub(channel)
            studio = await make_studio(_Service(stub), META)  # type: ignore[arg-type]
            clients = await seed_known_clients(url, COMPANY, JOB_CLIENTS + SINGLE_CALLS + 5)
            singles = iter(clients[JOB_CLIENTS:])
            # the single calls: 10-minute sessions from 08:00 on consecutive days of 2031
            slots = itertools.count()

            async def create_one() -> object:
                n = next(slots)
                day, minute = divmod(n, 54)
                hour, rest = divmod(8 * 60 + minute * 10, 60)
                return await stub.CreateSession(
                    pb.CreateSessionRequest(
                        session=pb.Session(
                            client=next(singles),
                            location=studio.location.name,
                            session_type=studio.session_type.name,
                            photographer=studio.photographer.name,
                            assistant=studio.assistant.name,
                            camera_room=studio.room.name,
                            description="School portraits",
                            session_date=date_pb2.Date(year=2031, month=1 + day // 28, day=1 + day % 28),
                            start=pb.TimeOfDay(hours=hour, minutes=rest),
                            end=pb.TimeOfDay(hours=hour + (rest + 10) // 60, minutes=(rest + 10) % 60),
                        ),
                        request_id=str(uuid.uuid4()),
                    ),
                    metadata=META,
                )

            single = await measure(
                "CreateSession loop", create_one, count=SINGLE_CALLS, max_seconds=MAX_SECONDS, warmup=5
            )
            rows = weekday_rows(date_pb2.Date(year=2030, month=9, day=2), date_pb2.Date(year=2030, month=10, day=25))
            template = bpb.BulkSessionTemplate(
                location=studio.location.name,
                session_type=studio.session_type.name,
                photographer=studio.photographer.name,
                assistant=studio.assistant.name,
                camera_room=studio.room.name,
                description="School portraits",
            )
            t0 = time.perf_counter()
            job = await bulk.CreateBulkJob(
                bpb.CreateBulkJobRequest(
                    bulk_job=bpb.BulkJob(template=template, time_slot_rows=rows),
                    clients=clients[:JOB_CLIENTS],
                    request_id=str(uuid.uuid4()),
                ),
                metadata=META,
            )
            while job.state != bpb.BULK_JOB_STATE_SUCCEEDED and time.perf_counter() - t0 < MAX_SECONDS:
                await asyncio.sleep(0.05)
                job = await bulk.GetBulkJob(bpb.GetBulkJobRequest(name=job.name), metadata=META)
            wall = time.perf_counter() - t0
            finished = job.done + job.failures
            job_rate = finished / wall if wall > 0 else float("inf")
            print(
                f"== bulk scheduling [{label}]\n"
                f"  ceiling  {single.name}: {single.per_second:.0f} sessions/s (n={len(single.samples)}, "
                f"p50 {single.p50 * 1e3:.2f} ms)\n"
                f"  subject  bulk job: {job_rate:.0f} sessions/s (done {job.done}, failures {job.failures}, "
                f"total {job.total}, {'finished' if job.state == bpb.BULK_JOB_STATE_SUCCEEDED else 'NOT finished'})\n"
                f"  ratio    throughput x{job_rate / single.per_second:.2f} of the single-call loop",
                flush=True,
            )
    finally:
        await host.stop()


async def main() -> None:
    await on_each_backend("bulk", run_on)


if __name__ == "__main__":
    asyncio.run(main())
