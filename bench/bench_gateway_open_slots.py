"""The gateway's open-slot query (a week and a month) against a bare Litestar endpoint returning
the same bytes, over real HTTP, in one run (issue 19's target: >= 0.5x the bare throughput).

Scheduling (in this process, on loopback) gets a location, 4 photographers and four weeks of
weekday slots from 08:00 to 18:00 (200 a week, 800 a month), a session type offered online.
The gateway runs as its own process (`shutterbook-booking-gateway serve`, one uvicorn worker,
its default settings but the rate limit raised out of the way); the ceiling is
`bench/bare_litestar.py` (same uvicorn settings), started once per query with the gateway's
own answer as its body. Both get the same load: 8 keep-alive HTTP/1.1 connections from the
minimal client of `bench_gateway`, bounded in count and time. Printed per query: both
throughputs and latencies, the ratio, and each server's CPU time per request.

`BENCH_GATEWAY_PYTHONPATH` (optional): put these source folders first on the gateway
process's path, to measure another version of the gateway under the same load, e.g. the one
before the read model: `git worktree add /tmp/base <commit>` and
`BENCH_GATEWAY_PYTHONPATH=/tmp/base/services/booking-gateway/src:/tmp/base/libs/kit/src`.

SQLite; PostgreSQL too where SHUTTERBOOK_TEST_POSTGRES_URL is set. Loopback only.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import grpc
import httpx

from bench import bench_gateway
from bench.bench_gateway import (
    QUERY_CLIENTS,
    REQUEST_TIMEOUT,
    WARMUP,
    Connection,
    connections,
    cpu_seconds,
    expect,
    grpc_process,
    hosted,
    http_process,
    load,
    service_databases,
)
from bench.common import Timing, four_weeks_of_slots, on_each_backend, photographer_schedules, report
from shutterbook.scheduling.v1 import online_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_billing import main as billing_main
from shutterbook_clients import main as clients_main
from shutterbook_devstack.caller_keys import company_metadata
from shutterbook_devstack.loopback import service_settings
from shutterbook_devstack.nats_server import free_port
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application.api_keys import issue_key
from shutterbook_kit.db import Database
from shutterbook_kit.migrations import upgrade
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling import main as scheduling_main

# a gateway process may take over 30 s to start on this shared 2-core machine at a load of 15+
bench_gateway.START_SECONDS = 120.0
COMPANY = "b0000000-0000-4000-8000-000000000019"
META = company_metadata(COMPANY)
ZONE = "America/New_York"
SCHEDULES = 4
HOURS = range(8, 18)
CEILING_COUNT, QUERY_COUNT, QUERY_SECONDS = 4_000, 4_000, 12.0
LOG_LEVEL = "WARNING"


def first_monday() -> date:
    today = utcnow().date() + timedelta(days=7)
    return today + timedelta(days=(7 - today.weekday()) % 7)


async def setup(channel: grpc.aio.Channel, first: date) -> tuple[str, str, int]:
    """(location id, session type id, slots made)."""
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(channel)
    location = await stub.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Bench Studio", time_zone=ZONE)), metadata=META
    )
    schedules = await photographer_schedules(stub, location.name, SCHEDULES, META)
    statuses = [
        await stub.CreateSessionStatus(
            pb.CreateSessionStatusRequest(session_status=pb.SessionStatus(display_name=label)), metadata=META
        )
        for label in ("Booked - Online", "Cancelled - Online", "Rescheduled - Online")
    ]
    session_type = await stub.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(
                display_name="Family Portrait",
                color="#4A90D9",
                default_duration_minutes=60,
                online=pb.OnlineBookingSettings(
                    available_online=True,
                    auto_remove_conflicting_slots=True,
                    booked_online_status=statuses[0].name,
                    cancelled_online_status=statuses[1].name,
                    rescheduled_online_status=statuses[2].name,
                    location=location.name,
                ),
            )
        ),
        metadata=META,
    )
    made = await four_weeks_of_slots(
        online,
        location=location.name,
        session_type=session_type.name,
        schedules=schedules,
        first=first,
        hours=HOURS,
        meta=META,
    )
    return location.name.removeprefix("locations/"), session_type.name.removeprefix("sessionTypes/"), made


def getter(
    connection: Connection, url_path: str, auth: dict[str, str], size: int, failures: list[str]
) -> Callable[[], Awaitable[None]]:
    """One GET on a connection; anything but a 200 of the expected size is a failure."""

    async def call() -> None:
        status, content = await connection.request("GET", url_path, auth)
        if status != 200 or len(content) != size:
            failures.append(f"GET {url_path}: HTTP {status}, {len(content)} bytes")

    return call


async def measured(
    name: str, process: subprocess.Popen[bytes], calls: list[Callable[[], Awaitable[None]]], count: int
) -> tuple[Timing, float]:
    """The load's timing, and the server's CPU seconds per request in it."""
    await asyncio.gather(*(call() for call in calls for _ in range(WARMUP)))
    cpu = cpu_seconds(process.pid)
    timing = await load(name, calls, count=count, max_seconds=QUERY_SECONDS)
    return timing, (cpu_seconds(process.pid) - cpu) / max(len(timing.samples), 1)


@dataclass
class Bench:
    """The services in this process, the studio, the gateway as its own process."""

    urls: dict[str, str]
    ports: dict[str, int]
    channel: grpc.aio.Channel
    first: date
    location_id: str
    type_id: str
    made: int
    auth: dict[str, str]
    gateway: subprocess.Popen[bytes]
    gateway_port: int
    tmp: Path
    common_env: dict[str, str]
    services: dict[str, subprocess.Popen[bytes]]  # clients, scheduling, billing when not in this process


async def bench_stack(stack: AsyncExitStack, url: str, nats_url: str, *, in_process: bool = True) -> Bench:
    """Migrated databases, clients, scheduling and billing served here (or, `in_process`
    false, each as its own process, as deployed), the studio of `setup`, a partner key, and
    the gateway started as its own process (bounded start)."""
    urls = await stack.enter_async_context(service_databases(url))
    for service, migrations in (
        ("clients", clients_main.MIGRATIONS),
        ("scheduling", scheduling_main.MIGRATIONS),
        ("billing", billing_main.MIGRATIONS),
        ("gateway", gateway_main.MIGRATIONS),
    ):
        await asyncio.to_thread(upgrade, migrations, urls[service])
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    common_env = {"SHUTTERBOOK_LOG_LEVEL": LOG_LEVEL, "OTEL_TRACES_EXPORTER": "none"}
    services: dict[str, subprocess.Popen[bytes]] = {}
    if in_process:
        ports = {
            name: await stack.enter_async_context(hosted(module.build(service_settings(name, urls[name], nats_url))))
            for name, module in (("clients", clients_main), ("scheduling", scheduling_main), ("billing", billing_main))
        }
    else:
        ports = {name: free_port() for name in ("clients", "scheduling", "billing")}
        addresses = {f"SHUTTERBOOK_{name.upper()}_ADDR": f"127.0.0.1:{port}" for name, port in ports.items()}
        for name, port in ports.items():
            upper = name.upper()
            env = {
                **common_env,
                **addresses,
                f"SHUTTERBOOK_{upper}_DATABASE_URL": urls[name],
                f"SHUTTERBOOK_{upper}_HOST": "127.0.0.1",
                f"SHUTTERBOOK_{upper}_PORT": str(port),
                "SHUTTERBOOK_NATS_URL": nats_url,
                "SHUTTERBOOK_SHUTDOWN_GRACE_SECONDS": "5",
            }
            command = [str(Path(sys.executable).parent / f"shutterbook-{name}"), "serve"]
            log = tmp / f"{name}.log"
            services[name] = await stack.enter_async_context(grpc_process(name, command, env, port, log))
    channel = await stack.enter_async_context(grpc.aio.insecure_channel(f"127.0.0.1:{ports['scheduling']}"))
    first = first_monday()
    location_id, type_id, made = await setup(channel, first)
    db = Database(urls["gateway"])
    try:
        auth = {"X-Api-Key": await issue_key(db, COMPANY, "bench")}
    finally:
        await db.dispose()

    gateway_port = free_port()
    gateway_env = {
        **common_env,
        "SHUTTERBOOK_GATEWAY_DATABASE_URL": urls["gateway"],
        "SHUTTERBOOK_GATEWAY_HOST": "127.0.0.1",
        "SHUTTERBOOK_GATEWAY_PORT": str(gateway_port),
        "SHUTTERBOOK_GATEWAY_RATE_LIMIT_PER_MINUTE": "100000000",
        "SHUTTERBOOK_CLIENTS_ADDR": f"127.0.0.1:{ports['clients']}",
        "SHUTTERBOOK_SCHEDULING_ADDR": f"127.0.0.1:{ports['scheduling']}",
        "SHUTTERBOOK_BILLING_ADDR": f"127.0.0.1:{ports['billing']}",
        "SHUTTERBOOK_NATS_URL": nats_url,
        "SHUTTERBOOK_SHUTDOWN_GRACE_SECONDS": "5",
    }
    if os.environ.get("BENCH_GATEWAY_PYTHONPATH"):
        gateway_env["PYTHONPATH"] = os.environ["BENCH_GATEWAY_PYTHONPATH"]
    command = [str(Path(sys.executable).parent / "shutterbook-booking-gateway"), "serve"]
    gateway = await stack.enter_async_context(
        http_process(
            "gateway",
            command,
            gateway_env,
            f"http://127.0.0.1:{gateway_port}/healthz",
            tmp / "gateway.log",
        )
    )
    return Bench(
        urls, ports, channel, first, location_id, type_id, made, auth, gateway, gateway_port, tmp, common_env, services
    )


async def run_on(label: str, url: str, nats_url: str) -> None:
    async with AsyncExitStack() as stack:
        b = await bench_stack(stack, url, nats_url)
        first, type_id, location_id, made, auth = b.first, b.type_id, b.location_id, b.made, b.auth
        gateway, gateway_port, tmp, common_env = b.gateway, b.gateway_port, b.tmp, b.common_env
        print(f"[{label}] {made} slots over four weeks on {SCHEDULES} schedules", flush=True)
        path = f"/v1/session-types/{type_id}/open-slots"
        for what, days in (("week", 7), ("month", 28)):
            params = {
                "start_date": first.isoformat(),
                "end_date": (first + timedelta(days=days - 1)).isoformat(),
                "location": location_id,
                "page_size": "1000",
            }
            target = f"{path}?{urlencode(params)}"
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", timeout=REQUEST_TIMEOUT) as http:
                answer = await http.get(target, headers=auth)
            expect(answer, 200, f"open slots of a {what}")
            slots = answer.json()["slots"]
            if not slots or answer.json().get("next_page_token"):
                raise RuntimeError(f"the {what}'s open slots are not one non-empty page")
            body_file = tmp / f"{what}.json"
            body_file.write_bytes(answer.content)
            bare_port = free_port()
            async with http_process(
                "bare litestar",
                [sys.executable, "-m", "bench.bare_litestar", "--port", str(bare_port), "--body", str(body_file)],
                common_env,
                f"http://127.0.0.1:{bare_port}/bare",
                tmp / f"bare-{what}.log",
            ) as bare:
                failures: list[str] = []
                size = len(answer.content)
                # each load on connections of its own, opened just before it: a connection left
                # idle past the server's keep-alive (5 s) while the other load runs is closed
                async with connections(bare_port, QUERY_CLIENTS) as to_bare:
                    ceiling, bare_cpu = await measured(
                        f"GET /bare ({QUERY_CLIENTS} connections)",
                        bare,
                        [getter(c, "/bare", auth, size, failures) for c in to_bare],
                        CEILING_COUNT,
                    )
                async with connections(gateway_port, QUERY_CLIENTS) as to_gw:
                    query, gateway_cpu = await measured(
                        f"GET open-slots, a {what} ({QUERY_CLIENTS} connections)",
                        gateway,
                        [getter(c, target, auth, size, failures) for c in to_gw],
                        QUERY_COUNT,
                    )
            if failures:
                raise RuntimeError(f"[{label}] {len(failures)} failed requests, first: {failures[0]}")
            report(
                f"[{label}] open slots of a {what} ({len(slots)} slots, {len(answer.content)} bytes) through the "
                "gateway vs a bare Litestar endpoint with the same body",
                query,
                ceiling,
            )
            print(
                f"  server CPU per request: gateway {gateway_cpu * 1e3:.2f} ms, bare {bare_cpu * 1e3:.2f} ms",
                flush=True,
            )


async def main() -> None:
    await on_each_backend("gateway_open_slots", run_on)


if __name__ == "__main__":
    asyncio.run(main())
