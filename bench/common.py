"""Shared mechanics of the benchmarks: bounded timing loops, percentiles, ratio reports."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.postgres import throwaway_database

RunOn = Callable[[str, str, str], Awaitable[None]]


@dataclass(frozen=True)
class Timing:
    """Latencies (seconds) of repeated calls, and the wall time they took in all."""

    name: str
    samples: list[float]
    wall: float

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def per_second(self) -> float:
        return len(self.samples) / self.wall if self.wall > 0 else float("inf")


async def measure(
    name: str, call: Callable[[], Awaitable[object]], *, count: int, max_seconds: float, warmup: int = 5
) -> Timing:
    """Call `call` up to `count` times, stopping early after `max_seconds`: every loop is bounded."""
    for _ in range(warmup):
        await call()
    samples: list[float] = []
    start = time.perf_counter()
    while len(samples) < count and time.perf_counter() - start < max_seconds:
        t0 = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - t0)
    return Timing(name, samples, time.perf_counter() - start)


def report(title: str, subject: Timing, ceiling: Timing) -> str:
    """One line per measure: the subject's p50/p95 and throughput as ratios to the ceiling's."""
    lines = [
        f"== {title}",
        f"  ceiling  {ceiling.name}: p50 {ceiling.p50 * 1e3:.3f} ms, p95 {ceiling.p95 * 1e3:.3f} ms, "
        f"{ceiling.per_second:.0f}/s (n={len(ceiling.samples)})",
        f"  subject  {subject.name}: p50 {subject.p50 * 1e3:.3f} ms, p95 {subject.p95 * 1e3:.3f} ms, "
        f"{subject.per_second:.0f}/s (n={len(subject.samples)})",
        f"  ratio    p50 x{subject.p50 / ceiling.p50:.2f}, p95 x{subject.p95 / ceiling.p95:.2f}, "
        f"throughput x{subject.per_second / ceiling.per_second:.3f} of the ceiling",
    ]
    text = "\n".join(lines)
    print(text, flush=True)
    return text


async def on_each_backend(name: str, run_on: RunOn) -> None:
    """Run `run_on(label, database_url, nats_url)` on SQLite, then on a throwaway PostgreSQL
    database where SHUTTERBOOK_TEST_POSTGRES_URL is set, with one embedded nats-server."""
    with tempfile.TemporaryDirectory() as tmp:
        nats = EmbeddedNats(free_port(), Path(tmp) / "nats")
        nats.start()
        try:
            await run_on("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / f'bench-{name}.db'}", nats.url)
            admin = os.environ.get("SHUTTERBOOK_TEST_POSTGRES_URL")
            if admin:
                async with throwaway_database(admin, f"sbbench_{name}") as url:
                    await run_on("postgresql", url, nats.url)
        finally:
            nats.stop()


Metadata = tuple[tuple[str, str], ...]


# --- studio seeding shared by the scheduling benchmarks ------------------------------------------


async def photographer_schedules(
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub, location: str, count: int, meta: Metadata
) -> list[str]:
    """`count` photographers at `location`, each with a staff schedule; their schedule names."""
    schedules: list[str] = []
    for i in range(count):
        staff = await stub.CreateStaffMember(
            pb.CreateStaffMemberRequest(
                staff_member=pb.StaffMember(display_name=f"Photographer {i}", roles=[pb.STAFF_ROLE_PHOTOGRAPHER])
            ),
            metadata=meta,
        )
        schedule = await stub.CreateSchedule(
            pb.CreateScheduleRequest(
                schedule=pb.Schedule(
                    display_name=staff.display_name,
                    kind=pb.SCHEDULE_KIND_STAFF,
                    staff_member=staff.name,
                    location=location,
                )
            ),
            metadata=meta,
        )
        schedules.append(schedule.name)
    return schedules


async def four_weeks_of_slots(
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub,
    *,
    location: str,
    session_type: str,
    schedules: list[str],
    first: date,
    hours: range,
    meta: Metadata,
) -> int:
    """One-hour weekday slots over four weeks from `first`, one pattern per schedule; how many."""
    made = 0
    for schedule_name in schedules:
        row = opb.TimeSlotPatternRow(
            start_date=_pdate(first),
            end_date=_pdate(first + timedelta(days=27)),
            start_time=pb.TimeOfDay(hours=hours.start),
            end_time=pb.TimeOfDay(hours=hours.stop),
            slot_minutes=60,
            excluded_weekdays=[pb.DAY_OF_WEEK_SATURDAY, pb.DAY_OF_WEEK_SUNDAY],
        )
        response = await online.GenerateTimeSlots(
            opb.GenerateTimeSlotsRequest(
                template=opb.TimeSlot(
                    location=location, session_type=session_type, schedules=[schedule_name], published=True
                ),
                rows=[row],
                request_id=str(uuid.uuid4()),
            ),
            metadata=meta,
            timeout=120,
        )
        made += len(response.time_slots)
    return made


def _pdate(d: date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)
