"""Shared mechanics of the benchmarks: bounded timing loops, percentiles, ratio reports."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.postgres import throwaway_database
from shutterbook_kit.db import Database
from shutterbook_scheduling.api import entry_convert
from shutterbook_scheduling.storage import entry_records
from shutterbook_scheduling.storage.models import CalendarBlockRow, SessionRow

RunOn = Callable[[str, str, str], Awaitable[None]]


@dataclass(frozen=True)
class Timing:
    """Latencies (seconds) of repeated calls, and the wall time they took in all."""

    name: str
    samples: list[float]
    wall: float
    cpu: float = 0.0  # CPU seconds of this process (server and client, when both run here) in all

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def cpu_per_call(self) -> float:
        return self.cpu / len(self.samples) if self.samples else 0.0

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
    cpu = time.process_time()
    while len(samples) < count and time.perf_counter() - start < max_seconds:
        t0 = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - t0)
    return Timing(name, samples, time.perf_counter() - start, time.process_time() - cpu)


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
    if subject.cpu and ceiling.cpu:
        lines.append(
            f"  cpu      {subject.cpu_per_call * 1e3:.2f} ms vs {ceiling.cpu_per_call * 1e3:.2f} ms a call in this "
            f"process: x{ceiling.cpu_per_call / subject.cpu_per_call:.3f} of the ceiling's calls per CPU second"
        )
    text = "\n".join(lines)
    print(text, flush=True)
    return text


async def on_each_backend(name: str, run_on: RunOn) -> None:
    """Run `run_on(label, database_url, nats_url)` on SQLite, then on a throwaway PostgreSQL
    database where SHUTTERBOOK_TEST_POSTGRES_URL is set, with one embedded nats-server.
    `BENCH_BACKENDS` (optional, comma-separated: `sqlite`, `postgresql`) runs only those."""
    wanted = {b.strip() for b in os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")}
    with tempfile.TemporaryDirectory() as tmp:
        nats = EmbeddedNats(free_port(), Path(tmp) / "nats")
        nats.start()
        try:
            if "sqlite" in wanted:
                await run_on("sqlite", f"sqlite+aiosqlite:///{Path(tmp) / f'bench-{name}.db'}", nats.url)
            admin = os.environ.get("SHUTTERBOOK_TEST_POSTGRES_URL")
            if admin and "postgresql" in wanted:
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


def session_columns(msg: pb.Session) -> dict[str, Any]:
    """The columns of a sessions row written from `msg` (for bulk inserts; no child rows)."""
    row = SessionRow()
    entry_records.write_session(row, entry_convert.session(msg))
    return {c.key: getattr(row, c.key) for c in SessionRow.__table__.columns if c.key in vars(row)}


def session_row(company: str, session_id: str, msg: pb.Session, start: datetime, end: datetime) -> dict[str, Any]:
    """A live sessions row of `msg` (its UTC `start` and `end`; no reminder), for bulk inserts."""
    now = datetime.now(start.tzinfo)
    return {
        **session_columns(msg),
        "id": session_id,
        "company_id": company,
        "start_at": start,
        "end_at": end,
        "on_hold": False,
        "cancelled": False,
        "reminder_at": None,
        "reminder_emitted_at": None,
        "created_at": now,
        "updated_at": now,
    }


def session_block(
    company: str, session_id: str, schedule: str, location: str, start: datetime, end: datetime
) -> dict[str, Any]:
    """The calendar block of a one-block session (`schedule`, `location`: resource names)."""
    return {
        "company_id": company,
        "schedule_id": schedule.removeprefix("schedules/"),
        "location_id": location.removeprefix("locations/"),
        "entry_kind": "session",
        "entry_id": session_id,
        "block_index": 0,
        "start_at": start,
        "end_at": end,
        "occupied_start": start,
        "occupied_end": end,
        "occupies": True,
        "allow_conflict": False,
    }


async def insert_sessions(url: str, sessions: list[dict[str, Any]], blocks: list[dict[str, Any]], batch: int) -> None:
    """Sessions and their blocks with SQLAlchemy core in batches, then ANALYZE (a bulk load
    leaves the planner without statistics)."""
    db = Database(url)
    try:
        for start in range(0, len(sessions), batch):
            async with db.engine.begin() as conn:
                await conn.execute(insert(SessionRow), sessions[start : start + batch])
                await conn.execute(insert(CalendarBlockRow), blocks[start : start + batch])
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await db.dispose()
