"""The console's calendar week at the issue's size (issue 15): one location, 20 schedules and
5,000 sessions in a single week, 400 distinct clients. The subject is what the console's
`GET /api/v1/calendar` does for a week view (`application.calendar.calendar_view`: location,
columns, types and scheduling's QueryCalendar asked together, then the client names, then the
events and shading built), plus encoding its body as JSON; the ceiling is scheduling's
QueryCalendar for the same week alone, over the same gRPC channel. SQLite always; PostgreSQL
too where SHUTTERBOOK_TEST_POSTGRES_URL is set.

Setup goes through the API; the sessions and their calendar blocks are inserted with SQLAlchemy
core (as in bench_scheduling_calendar), their times computed by the service's domain code.
Every loop is bounded in count and time; loopback only.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from datetime import time as clock
from typing import Any, TypeVar

import msgspec

from bench.common import (
    insert_sessions,
    measure,
    on_each_backend,
    photographer_schedules,
    report,
    session_block,
    session_row,
)
from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_console.application.calendar import calendar_view
from shutterbook_console.upstreams import Upstreams
from shutterbook_devstack.caller_keys import caller_metadata, company_metadata
from shutterbook_devstack.loopback import service_settings
from shutterbook_kit.identity import Caller, CallerKind, Role
from shutterbook_kit.migrations import upgrade
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.api.proto_values import to_date, ts
from shutterbook_scheduling.domain import times

SCHEDULES = 20
SESSIONS = 5_000
SLOTS_PER_DAY = SESSIONS // SCHEDULES // 5  # 50 sessions of 15 minutes a weekday per schedule, from 08:00
CLIENTS = 400
COMPANY = "b0000000-0000-4000-8000-000000000015"
ZONE = "America/Chicago"
MONDAY = date(2027, 3, 1)
META = company_metadata(COMPANY)
DESK = Caller(COMPANY, CallerKind.STAFF, "bench-desk", display_name="Bench Desk", roles=frozenset({Role.FRONT_DESK}))
R = TypeVar("R")


class BenchUpstreams(Upstreams):
    """The console's upstreams, calls signed with the test key ring (the bench process is
    not built from the console's settings, so it has no signer of its own)."""

    async def call(
        self, method: Callable[..., Awaitable[R]], request: Any, caller: Caller, *, timeout: float = 30
    ) -> R:
        return await method(request, metadata=caller_metadata(caller), timeout=timeout)


async def seed(url: str, stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub) -> pb.Location:
    location = await stub.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Busy Studio", time_zone=ZONE)), metadata=META
    )
    schedules = await photographer_schedules(stub, location.name, SCHEDULES, META)
    kind = await stub.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(display_name="Mini", color="#27AE60", default_duration_minutes=15)
        ),
        metadata=META,
    )
    statuses = await stub.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=META)
    clients = []
    for i in range(CLIENTS):
        client = clients_pb2.Client(name=f"clients/{uuid.uuid4()}", given_name=f"Client{i}", family_name="Busy")
        client.update_time.FromDatetime(utcnow())
        await stub.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client), metadata=META)
        clients.append(client.name)
    tz = times.zone(ZONE)
    sessions: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    for n in range(SESSIONS):
        s, k = divmod(n, SESSIONS // SCHEDULES)
        day, slot = divmod(k, SLOTS_PER_DAY)
        when = MONDAY + timedelta(days=day)
        minutes = 8 * 60 + slot * 15
        start = times.local_to_utc(when, clock(minutes // 60, minutes % 60), tz)
        end = start + timedelta(minutes=15)
        session_id = str(uuid.uuid4())
        msg = pb.Session(
            name=f"sessions/{session_id}",
            client=clients[n % CLIENTS],
            description=f"Mini {n}",
            session_type=kind.name,
            location=location.name,
            session_date=to_date(when),
            start=pb.TimeOfDay(hours=minutes // 60, minutes=minutes % 60),
            end=pb.TimeOfDay(hours=(minutes + 15) // 60, minutes=(minutes + 15) % 60),
            photographer=schedules[s],
            session_number=str(20_000 + n),
            status=statuses.session_statuses[0].name,
            time_zone=ZONE,
            confirmed=n % 3 == 0,
        )
        msg.start_time.CopyFrom(ts(start))
        msg.end_time.CopyFrom(ts(end))
        sessions.append(session_row(COMPANY, session_id, msg, start, end))
        blocks.append(session_block(COMPANY, session_id, schedules[s], location.name, start, end))
    await insert_sessions(url, sessions, blocks, batch=1_000)
    return location


async def run_on(label: str, url: str, nats_url: str) -> None:
    await asyncio.to_thread(upgrade, scheduling_main.MIGRATIONS, url)
    host = scheduling_main.build(service_settings("scheduling", url, nats_url))
    await host.start()
    target = f"127.0.0.1:{host.port}"
    up = BenchUpstreams({"scheduling": target, "clients": target, "billing": target})
    try:
        stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = up.scheduling
        t0 = time.perf_counter()
        location = await seed(url, stub)
        print(f"[{label}] seeded {SESSIONS} sessions on {SCHEDULES} schedules in {time.perf_counter() - t0:.1f}s")
        location_id = location.name.removeprefix("locations/")
        sizes: list[int] = []

        async def query() -> object:
            request = pb.QueryCalendarRequest(
                location=location.name, start_date=to_date(MONDAY), end_date=to_date(MONDAY + timedelta(days=6))
            )
            return await up.call(stub.QueryCalendar, request, DESK)

        async def week() -> object:
            view = await calendar_view(up, DESK, location_id, MONDAY, MONDAY + timedelta(days=7))
            body = msgspec.json.encode({"events": view.events, "shading": view.shades})
            sizes.append(len(body))
            assert len(view.events) == SESSIONS, len(view.events)
            assert all(e.client_name for e in view.events)
            return body

        ceiling = await measure("QueryCalendar (the week, alone)", query, count=30, max_seconds=60, warmup=2)
        subject = await measure("console calendar_view + JSON (the week)", week, count=30, max_seconds=90, warmup=2)
        report(f"[{label}] the console's week of {SESSIONS} sessions vs scheduling's QueryCalendar", subject, ceiling)
        print(f"[{label}] body about {sum(sizes) // max(len(sizes), 1) // 1024} kB of JSON", flush=True)
    finally:
        await up.close()
        await host.stop()


async def main() -> None:
    await on_each_backend("console_calendar", run_on)


if __name__ == "__main__":
    asyncio.run(main())
