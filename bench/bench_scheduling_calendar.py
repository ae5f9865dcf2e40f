"""The calendar at scale: one location with 20 schedules and 5,000 sessions in the database;
QueryCalendar for a whole week of the location, as a ratio to GetSession (a primary-key
read: the ceiling) in the same run. SQLite always; PostgreSQL too where
SHUTTERBOOK_TEST_POSTGRES_URL is set (a throwaway database, dropped afterwards).

Setup (location, staff, schedules, a type) goes through the API; the sessions and their
calendar blocks are inserted with SQLAlchemy core in batches, their times computed by the
service's own domain code. Every loop is bounded in count and time; loopback only.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import date, timedelta
from datetime import time as clock
from typing import Any

import grpc

from bench.common import (
    insert_sessions,
    measure,
    on_each_backend,
    photographer_schedules,
    report,
    session_block,
    session_row,
)
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_devstack.caller_keys import company_metadata
from shutterbook_devstack.loopback import service_settings
from shutterbook_kit.migrations import upgrade
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.api.proto_values import to_date, ts
from shutterbook_scheduling.domain import times

SCHEDULES = 20
SESSIONS = 5_000
WEEKS = 26
BATCH = 1_000
COMPANY = "b0000000-0000-4000-8000-000000000002"
ZONE = "America/New_York"
FIRST_DAY = date(2027, 1, 4)  # a Monday
META = company_metadata(COMPANY)


async def setup_studio(stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub) -> tuple[pb.Location, list[str], str]:
    location = await stub.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Bench Studio", time_zone=ZONE)), metadata=META
    )
    schedules = await photographer_schedules(stub, location.name, SCHEDULES, META)
    session_type = await stub.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(display_name="Family Portrait", color="#4A90D9", default_duration_minutes=60)
        ),
        metadata=META,
    )
    return location, schedules, session_type.name


def _session_rows(
    location: pb.Location, schedules: list[str], session_type: str, status: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """5,000 one-hour sessions on distinct (day, schedule, hour) slots over 26 weeks of weekdays."""
    rng = random.Random(11)
    tz = times.zone(ZONE)
    slots = [(w * 7 + d, s, h) for w in range(WEEKS) for d in range(5) for s in range(SCHEDULES) for h in range(9, 17)]
    chosen = rng.sample(slots, SESSIONS)
    sessions: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    for n, (offset, s, hour) in enumerate(chosen):
        day = FIRST_DAY + timedelta(days=offset)
        start = times.local_to_utc(day, clock(hour, 0), tz)
        end = start + timedelta(hours=1)
        session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        client = f"clients/{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        msg = pb.Session(
            name=f"sessions/{session_id}",
            client=client,
            description=f"Session {n}",
            session_type=session_type,
            location=location.name,
            session_date=to_date(day),
            start=pb.TimeOfDay(hours=hour),
            end=pb.TimeOfDay(hours=hour + 1),
            photographer=schedules[s],
            session_number=str(10_000 + n),
            status=status,
            time_zone=ZONE,
            confirmed=n % 3 == 0,
        )
        msg.start_time.CopyFrom(ts(start))
        msg.end_time.CopyFrom(ts(end))
        sessions.append(session_row(COMPANY, session_id, msg, start, end))
        blocks.append(session_block(COMPANY, session_id, schedules[s], location.name, start, end))
    return sessions, blocks


async def seed(url: str, location: pb.Location, schedules: list[str], session_type: str, status: str) -> list[str]:
    sessions, blocks = _session_rows(location, schedules, session_type, status)
    await insert_sessions(url, sessions, blocks, batch=BATCH)
    return [f"sessions/{s['id']}" for s in sessions]


async def run_on(label: str, url: str, nats_url: str) -> None:
    await asyncio.to_thread(upgrade, scheduling_main.MIGRATIONS, url)
    settings = service_settings("scheduling", url, nats_url)
    host = scheduling_main.build(settings)
    await host.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
            t0 = time.perf_counter()
            location, schedules, session_type = await setup_studio(stub)
            statuses = await stub.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=META)
            ids = await seed(url, location, schedules, session_type, statuses.session_statuses[0].name)
            print(f"[{label}] seeded {len(ids)} sessions on {SCHEDULES} schedules in {time.perf_counter() - t0:.1f}s")
            rng = random.Random(5)
            entries: list[int] = []

            async def get() -> object:
                return await stub.GetSession(pb.GetSessionRequest(name=rng.choice(ids)), metadata=META)

            async def week() -> object:
                monday = FIRST_DAY + timedelta(days=7 * rng.randrange(WEEKS))
                calendar = await stub.QueryCalendar(
                    pb.QueryCalendarRequest(
                        location=location.name,
                        start_date=to_date(monday),
                        end_date=to_date(monday + timedelta(days=6)),
                    ),
                    metadata=META,
                )
                entries.append(sum(len(d.entries) for d in calendar.days))
                return calendar

            ceiling = await measure("GetSession (primary key)", get, count=1000, max_seconds=10)
            subject = await measure("QueryCalendar (location week)", week, count=200, max_seconds=20)
            report(
                f"[{label}] a location's calendar week ({SCHEDULES} schedules, {SESSIONS} sessions) vs GetSession",
                subject,
                ceiling,
            )
            print(f"[{label}] entries per week: about {sum(entries) // max(len(entries), 1)}", flush=True)
    finally:
        await host.stop()


async def main() -> None:
    await on_each_backend("scheduling", run_on)
