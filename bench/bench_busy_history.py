"""The busy check against years of history: the same month's open-slot query (ListOpenSlots)
and conflict check (a CreateSession refused for a conflict, which writes nothing) with 100 and
then with 40,000 past sessions on the schedules. The ratio (40,000 vs 100) should stay near
x1: the queries bound blocks from below as well as above, so their cost follows the future,
not the past. SQLite always; PostgreSQL too where SHUTTERBOOK_TEST_POSTGRES_URL is set.

Setup (location, 4 photographers, an online type, four weeks of slots, one future session to
conflict with) goes through the API; past sessions and their calendar blocks are inserted with
SQLAlchemy core. Every loop is bounded in count and time; loopback only.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock
from typing import Any

import grpc

from bench.common import (
    Timing,
    four_weeks_of_slots,
    insert_sessions,
    measure,
    on_each_backend,
    photographer_schedules,
    report,
    session_block,
    session_columns,
)
from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.caller_keys import company_metadata
from shutterbook_devstack.loopback import service_settings
from shutterbook_kit.migrations import upgrade
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.api.proto_values import to_date, ts
from shutterbook_scheduling.domain import times

SCHEDULES = 4
HOURS = range(8, 18)
SIZES = (100, 40_000)
BATCH = 2_000
COMPANY = "b0000000-0000-4000-8000-000000000013"
ZONE = "America/New_York"
META = company_metadata(COMPANY)


def first_monday() -> date:
    today = utcnow().date() + timedelta(days=7)
    return today + timedelta(days=(7 - today.weekday()) % 7)


def past_rows(
    count: int, skip: int, first: date, ids: dict[str, str], *, ahead: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`count` one-hour sessions before `first` (weekday cells going back from it, after the
    `skip` cells already used), on the schedules in turn; `ahead`: from the Monday `first` on."""
    tz = times.zone(ZONE)
    now = utcnow()
    rng = random.Random(skip + (1 << 40 if ahead else 0))  # distinct ids ahead and back
    sessions: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    per_day = SCHEDULES * len(HOURS)
    for n in range(skip, skip + count):
        weekday_index, cell = divmod(n, per_day)
        weeks, weekday = divmod(weekday_index, 5)
        day = first + timedelta(days=7 * (weeks if ahead else -(weeks + 1)) + weekday)
        schedule = ids["schedules"].split(",")[cell % SCHEDULES]
        hour = HOURS.start + cell // SCHEDULES
        start = times.local_to_utc(day, clock(hour, 0), tz)
        end = start + timedelta(hours=1)
        session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        msg = pb.Session(
            name=f"sessions/{session_id}",
            client=f"clients/{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            session_type=ids["type"],
            location=ids["location"],
            session_date=to_date(day),
            start=pb.TimeOfDay(hours=hour),
            end=pb.TimeOfDay(hours=hour + 1),
            photographer=f"schedules/{schedule}",
            session_number=f"{'F' if ahead else 'P'}{n}",
            status=ids["status"],
            time_zone=ZONE,
        )
        msg.start_time.CopyFrom(ts(start))
        msg.end_time.CopyFrom(ts(end))
        sessions.append(
            {
                "id": session_id,
                "company_id": COMPANY,
                "start_at": start,
                "end_at": end,
                "reminder_at": None,
                "reminder_emitted_at": None,
                "created_at": now,
                "updated_at": now,
                **session_columns(msg),
            }
        )
        blocks.append(session_block(COMPANY, session_id, f"schedules/{schedule}", ids["location"], start, end))
    return sessions, blocks


async def seed(url: str, rows: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    await insert_sessions(url, *rows, batch=BATCH)


@dataclass
class BusyStudio:
    """A studio of 4 photographers with four weeks of slots from `first`, one known client,
    and one future session on the first hour of the first schedule (what the probe hits)."""

    first: date
    made: int
    ids: dict[str, str]
    schedules: list[str]
    month: opb.ListOpenSlotsRequest
    probe: pb.CreateSessionRequest


async def busy_studio(channel: grpc.aio.Channel, url: str, meta: tuple[tuple[str, str], ...] = META) -> BusyStudio:
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(channel)
    first = first_monday()
    location = await stub.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Bench Studio", time_zone=ZONE)),
        metadata=meta,
    )
    schedules = await photographer_schedules(stub, location.name, SCHEDULES, meta)
    session_type = await stub.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(
                display_name="Family Portrait",
                default_duration_minutes=60,
                online=pb.OnlineBookingSettings(available_online=True),
            )
        ),
        metadata=meta,
    )
    made = await four_weeks_of_slots(
        online,
        location=location.name,
        session_type=session_type.name,
        schedules=schedules,
        first=first,
        hours=HOURS,
        meta=meta,
    )
    client = clients_pb2.Client(name=f"clients/{uuid.uuid4()}", given_name="Probe")
    client.update_time.FromDatetime(utcnow())
    await stub.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client), metadata=meta)
    statuses = await stub.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=meta)
    ids = {
        "schedules": ",".join(s.removeprefix("schedules/") for s in schedules),
        "type": session_type.name,
        "location": location.name,
        "status": statuses.session_statuses[0].name,
    }
    await seed(url, _future_session(first, ids))
    month = opb.ListOpenSlotsRequest(
        session_type=session_type.name,
        location=location.name,
        start_date=to_date(first),
        end_date=to_date(first + timedelta(days=27)),
    )
    probe = pb.CreateSessionRequest(
        session=pb.Session(
            client=client.name,
            session_type=session_type.name,
            location=location.name,
            session_date=to_date(first),
            start=pb.TimeOfDay(hours=HOURS.start),
            photographer=schedules[0],
        )
    )
    return BusyStudio(first, made, ids, schedules, month, probe)


async def run_on(label: str, url: str, nats_url: str) -> None:
    await asyncio.to_thread(upgrade, scheduling_main.MIGRATIONS, url)
    host = scheduling_main.build(service_settings("scheduling", url, nats_url))
    await host.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
            stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
            online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(channel)
            studio = await busy_studio(channel, url)

            async def month() -> object:
                return await online.ListOpenSlots(studio.month, metadata=META, timeout=60)

            async def conflict() -> object:
                try:
                    await stub.CreateSession(studio.probe, metadata=META, timeout=60)
                except grpc.aio.AioRpcError as err:
                    if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
                        raise
                    return err.code()
                raise AssertionError("the probe booked a session: it must conflict")

            timings: dict[int, tuple[Timing, Timing]] = {}
            seeded = 0
            for size in SIZES:
                await seed(url, past_rows(size - seeded, seeded, studio.first, studio.ids))
                seeded = size
                timings[size] = (
                    await measure(f"ListOpenSlots, a month, {size} past", month, count=60, max_seconds=30, warmup=3),
                    await measure(f"conflict check, {size} past", conflict, count=100, max_seconds=30, warmup=3),
                )
            small, large = SIZES
            print(f"[{label}] {studio.made} slots; past sessions {small} then {large}", flush=True)
            for i, what in enumerate(("open slots of a month", "conflict check")):
                report(f"[{label}] {what}: {large} vs {small} past sessions", timings[large][i], timings[small][i])
    finally:
        await host.stop()


def _future_session(first: date, ids: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The session the probe conflicts with: the first Monday's first hour on the first schedule."""
    sessions, blocks = past_rows(1, 0, first + timedelta(days=7), ids)
    session_id = str(uuid.uuid4())
    sessions[0].update(id=session_id, session_number="FUTURE")
    blocks[0]["entry_id"] = session_id
    return sessions, blocks


async def main() -> None:
    await on_each_backend("busy_history", run_on)
