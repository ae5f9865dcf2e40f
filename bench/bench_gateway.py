"""The public booking API through the gateway, over real HTTP.

1. Open-slot queries per second: GET /v1/session-types/{id}/open-slots for one week (partner
   key), scheduling seeded as `bench_open_slots` seeds it (2,000 online slots in a month on
   10 schedules, 10,000 sessions over 26 weeks), as a ratio to a bare Litestar JSON
   endpoint (`bench/bare_litestar.py`) answering with the same JSON document.
2. Bookings per second: POST /v1/bookings of distinct open slots, of a type without payment
   and of a paid type (customer deposit, `tok_sandbox_ok`), p50/p95 latency, as ratios to
   the open-slot query measured in the same run. Afterwards every booked slot must hold
   exactly one live session (counted through scheduling's API) and scheduling must hold no
   online booking beyond the ones answered 201; the bench fails loudly otherwise.

Both HTTP servers run as their own process, the same way: the gateway with its own CLI
(`shutterbook-booking-gateway serve`), the bare endpoint with `python -m bench.bare_litestar`,
each `uvicorn.Server.serve()` with one worker and the same log level. Both get the same
load from this process: N concurrent keep-alive HTTP/1.1 connections (`Connection`, a
minimal client on asyncio streams: httpx would spend more CPU per request than the bare
server and measure itself), bounded in count and time; the servers' CPU time per request is
printed too. The clients, scheduling and billing services run in this process on loopback
ports, one database each. The rate limit is raised far above the load.
SQLite always; PostgreSQL too where SHUTTERBOOK_TEST_POSTGRES_URL is set (throwaway
databases, dropped afterwards). Every loop is bounded in count and time; loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import grpc
import httpx
from google.protobuf import timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

from bench.bench_open_slots import COMPANY, HOURS, SCHEDULES, SESSIONS, ZONE, _session_rows, first_monday, seed
from bench.common import Timing, four_weeks_of_slots, on_each_backend, photographer_schedules, report
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_billing import main as billing_main
from shutterbook_clients import main as clients_main
from shutterbook_devstack.caller_keys import company_metadata
from shutterbook_devstack.loopback import service_settings
from shutterbook_devstack.nats_server import free_port
from shutterbook_devstack.postgres import throwaway_database
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application.api_keys import issue_key
from shutterbook_kit.db import Database
from shutterbook_kit.grpc_server import ServiceHost
from shutterbook_kit.migrations import upgrade
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.api.proto_values import to_date, ts

ROOT = Path(__file__).resolve().parent.parent
META = company_metadata(COMPANY)
PAID_SCHEDULES = 2  # the paid type's own photographers: its slots never meet the seeded sessions
DEPOSIT = money_pb2.Money(currency_code="USD", amount_minor=5_000)
QUERY_CLIENTS = 8  # concurrent keep-alive connections of the query load
BOOKING_CLIENTS = 4  # concurrent clients booking
CEILING_COUNT, QUERY_COUNT, QUERY_SECONDS = 5_000, 1_000, 15.0
BOOKINGS_PER_KIND, BOOKING_SECONDS = 120, 60.0
WARMUP = 3  # untimed requests per connection before each query load
REQUEST_TIMEOUT = 30.0
START_SECONDS = 30.0
LOG_LEVEL = "WARNING"  # both servers: no per-request access log line


# ---------------------------------------------------------------- load


async def load(name: str, calls: list[Callable[[], Awaitable[None]]], *, count: int, max_seconds: float) -> Timing:
    """Run `calls` (one per connection) concurrently, each in a loop, until `count` calls in all
    have been started or `max_seconds` have passed: bounded in count and time."""
    samples: list[float] = []
    started = 0
    start = time.perf_counter()

    async def worker(call: Callable[[], Awaitable[None]]) -> None:
        nonlocal started
        while started < count and time.perf_counter() - start < max_seconds:
            started += 1
            t0 = time.perf_counter()
            await call()
            samples.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker(call) for call in calls))
    return Timing(name, samples, time.perf_counter() - start)


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: writes the request, reads the
    status line, the headers and a Content-Length body, and nothing else. httpx spends about
    0.5 ms of client CPU on a request, more than the bare server does, so with it the ceiling
    would measure the client; this costs a tenth of that. Both servers always send
    Content-Length."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self._streams
        lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "content-length" not in fields:
            raise RuntimeError(f"{method} {target}: a response without Content-Length: {head!r}")
        content = await asyncio.wait_for(reader.readexactly(int(fields["content-length"])), REQUEST_TIMEOUT)
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return int(status_line.split(" ", 2)[1]), content

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@asynccontextmanager
async def connections(port: int, n: int) -> AsyncIterator[list[Connection]]:
    """`n` keep-alive connections to a loopback port."""
    opened = [Connection(port) for _ in range(n)]
    try:
        yield opened
    finally:
        for connection in opened:
            await connection.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return 0.0
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- processes


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=out, cwd=ROOT)


@asynccontextmanager
async def http_process(
    name: str, command: list[str], env: dict[str, str], ready_url: str, log: Path
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """A server process on loopback; waits (bounded) until `ready_url` answers 200, and stops
    it with SIGTERM (then SIGKILL) afterwards."""
    process = await asyncio.to_thread(_spawn, command, env, log)
    try:
        async with httpx.AsyncClient(timeout=2.0) as probe:

            async def ready() -> bool:
                with contextlib.suppress(httpx.TransportError):
                    return (await probe.get(ready_url)).status_code == 200
                return False

            await _until_ready(name, process, log, ready)
        yield process
    finally:
        await _stop(process)


@asynccontextmanager
async def grpc_process(
    name: str, command: list[str], env: dict[str, str], port: int, log: Path
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """A gRPC service process on a loopback port, as its deployment runs it; waits (bounded)
    until its grpc.health.v1 check answers SERVING, and stops it with SIGTERM (then SIGKILL)."""
    process = await asyncio.to_thread(_spawn, command, env, log)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)

            async def ready() -> bool:
                with contextlib.suppress(grpc.aio.AioRpcError):
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
                return False

            await _until_ready(name, process, log, ready)
        yield process
    finally:
        await _stop(process)


async def _until_ready(
    name: str, process: subprocess.Popen[bytes], log: Path, ready: Callable[[], Awaitable[bool]]
) -> None:
    """Poll `ready` until it says so, failing when the process exits or START_SECONDS pass."""
    deadline = time.perf_counter() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early ({process.returncode}); log:\n{_tail(log)}")
        if await ready():
            return
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{name} not ready after {START_SECONDS}s; log:\n{_tail(log)}")
        await asyncio.sleep(0.1)


async def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    process.terminate()
    try:
        await asyncio.to_thread(process.wait, 15)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait, 5)


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@asynccontextmanager
async def service_databases(url: str) -> AsyncIterator[dict[str, str]]:
    """A database per service: scheduling takes the harness's; the others are SQLite files
    beside it, or throwaway databases on the same PostgreSQL server."""
    parsed = make_url(url)
    others = ("clients", "billing", "gateway")
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database
        folder = Path(parsed.database).parent
        yield {"scheduling": url} | {s: f"sqlite+aiosqlite:///{folder / f'bench-gateway-{s}.db'}" for s in others}
        return
    admin = os.environ["SHUTTERBOOK_TEST_POSTGRES_URL"]
    async with AsyncExitStack() as stack:
        urls = {"scheduling": url}
        for service in others:
            urls[service] = await stack.enter_async_context(throwaway_database(admin, f"sbbench_gw_{service}"))
        yield urls


@asynccontextmanager
async def hosted(host: ServiceHost) -> AsyncIterator[int]:
    port = await host.start()
    try:
        yield port
    finally:
        await host.stop()


# ---------------------------------------------------------------- the studio


@dataclass
class Studio:
    location: pb.Location
    free_type: pb.SessionType
    paid_type: pb.SessionType
    free_schedules: list[str]
    paid_schedules: list[str]
    slots_made: dict[str, int] = field(default_factory=dict)

    @property
    def location_id(self) -> str:
        return self.location.name.removeprefix("locations/")


async def setup_studio(channel: grpc.aio.Channel, first: date) -> Studio:
    """A location, 12 photographers, the online statuses, a free and a paid session type
    offered online, and one month of weekday slots from 08:00 to 18:00 on every schedule."""
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(channel)
    location = await stub.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Bench Studio", time_zone=ZONE)),
        metadata=META,
    )
    schedules = await photographer_schedules(stub, location.name, SCHEDULES + PAID_SCHEDULES, META)
    statuses = {}
    for label in ("Booked - Online", "Cancelled - Online", "Rescheduled - Online"):
        statuses[label] = await stub.CreateSessionStatus(
            pb.CreateSessionStatusRequest(session_status=pb.SessionStatus(display_name=label)), metadata=META
        )

    def settings(**payment: Any) -> pb.OnlineBookingSettings:
        return pb.OnlineBookingSettings(
            available_online=True,
            auto_remove_conflicting_slots=True,
            booked_online_status=statuses["Booked - Online"].name,
            cancelled_online_status=statuses["Cancelled - Online"].name,
            rescheduled_online_status=statuses["Rescheduled - Online"].name,
            location=location.name,
            **payment,
        )

    free_type = await stub.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(
                display_name="Family Portrait", color="#4A90D9", default_duration_minutes=60, online=settings()
            )
        ),
        metadata=META,
    )
    paid_type = await stub.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(
                display_name="Headshots",
                color="#D94A4A",
                default_duration_minutes=60,
                online=settings(
                    online_payment=True, payment_option=pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT, payment_amount=DEPOSIT
                ),
            )
        ),
        metadata=META,
    )
    studio = Studio(location, free_type, paid_type, schedules[:SCHEDULES], schedules[SCHEDULES:])
    for type_msg, names in ((free_type, studio.free_schedules), (paid_type, studio.paid_schedules)):
        made = await four_weeks_of_slots(
            online,
            location=location.name,
            session_type=type_msg.name,
            schedules=names,
            first=first,
            hours=HOURS,
            meta=META,
        )
        studio.slots_made[type_msg.name] = made
    return studio


# ---------------------------------------------------------------- the API


def open_slots_path(session_type: pb.SessionType) -> str:
    return f"/v1/session-types/{session_type.name.removeprefix('sessionTypes/')}/open-slots"


def week_params(studio: Studio, first: date, days: int = 7) -> dict[str, str]:
    return {
        "start_date": first.isoformat(),
        "end_date": (first + timedelta(days=days - 1)).isoformat(),
        "location": studio.location_id,
        "page_size": "1000",  # the default page is 100 slots; a week holds more
    }


async def all_open_slots(
    http: httpx.AsyncClient, auth: dict[str, str], session_type: pb.SessionType, params: dict[str, str]
) -> list[dict[str, Any]]:
    """Every open slot in the range, page after page (bounded)."""
    slots: list[dict[str, Any]] = []
    token = ""
    for _ in range(100):
        response = await http.get(
            open_slots_path(session_type), params={**params, **({"page_token": token} if token else {})}, headers=auth
        )
        expect(response, 200, "open slots")
        body = response.json()
        slots += body["slots"]
        token = body.get("next_page_token", "")
        if not token:
            return slots
    raise RuntimeError("open slots: more than 100 pages")


def expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{what}: HTTP {response.status_code} (expected {status}): {response.text[:2000]}")


@dataclass
class Booked:
    slot: dict[str, Any]
    status: int
    body: dict[str, Any]
    paid: bool


def booking_calls(
    http: list[Connection], auth: dict[str, str], slots: deque[dict[str, Any]], paid: bool, label: str
) -> tuple[list[Callable[[], Awaitable[None]]], list[Booked]]:
    """One booking call per connection, each booking the next distinct slot (with its own
    client and Idempotency-Key); the answers are kept for the checks afterwards."""
    results: list[Booked] = []
    numbers = iter(range(1_000_000))
    kind = "paid" if paid else "free"

    def call_on(connection: Connection) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            if not slots:
                return
            slot = slots.popleft()
            n = next(numbers)
            body: dict[str, Any] = {
                "slot_id": slot["id"],
                "client": {
                    "given_name": f"Bench{n}",
                    "family_name": kind.title(),
                    "email": f"bench.{label}.{kind}.{n}@example.com",
                },
                "notes": "bench",
            }
            if paid:
                body["payment_token"] = "tok_sandbox_ok"
            headers = {**auth, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
            status, content = await connection.request("POST", "/v1/bookings", headers, json.dumps(body).encode())
            try:
                answer = json.loads(content)
            except ValueError:
                answer = {"raw": content[:500].decode(errors="replace")}
            results.append(Booked(slot, status, answer if isinstance(answer, dict) else {}, paid))

        return call

    return [call_on(connection) for connection in http], results


async def check_bookings(
    channel: grpc.aio.Channel, studio: Studio, first: date, booked: list[Booked]
) -> tuple[int, list[str]]:
    """Through scheduling's API: each slot answered 201 is booked by that booking's session and
    has exactly one live session starting at it on its schedule; and the online sessions of
    the month are exactly the ones answered 201. Returns (online sessions found, problems)."""
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(channel)
    problems: list[str] = []
    ok = [b for b in booked if b.status == 201]
    for b in booked:
        if b.status != 201:
            problems.append(f"slot {b.slot['id']}: HTTP {b.status} {json.dumps(b.body)[:300]}")
    for b in ok:
        session_name = f"sessions/{b.body.get('id', '')}"
        slot = await online.GetTimeSlot(opb.GetTimeSlotRequest(name=f"timeSlots/{b.slot['id']}"), metadata=META)
        if slot.booked_session != session_name:
            problems.append(f"slot {b.slot['id']}: booked_session {slot.booked_session!r}, answer {session_name!r}")
        end = timestamp_pb2.Timestamp(seconds=slot.start_time.seconds + 1)
        found = await stub.ListSessions(
            pb.ListSessionsRequest(
                location=studio.location.name, start_time=slot.start_time, end_time=end, page_size=1000
            ),
            metadata=META,
        )
        live = [
            s.name for s in found.sessions if not s.cancelled and s.photographer in slot.schedules and not s.on_hold
        ]
        if live != [session_name]:
            problems.append(f"slot {b.slot['id']}: live sessions at its start on its schedule {live}")
        if b.paid and not (b.body.get("payment") or {}).get("deposit_id"):
            problems.append(f"slot {b.slot['id']}: paid booking without a deposit: {b.body.get('payment')}")
    online_sessions = 0
    token = ""
    month_start = datetime.combine(first - timedelta(days=1), clock(0), UTC)
    for _ in range(1000):
        page = await stub.ListSessions(
            pb.ListSessionsRequest(
                location=studio.location.name,
                start_time=ts(month_start),
                end_time=ts(month_start + timedelta(days=31)),
                page_size=1000,
                page_token=token,
            ),
            metadata=META,
        )
        online_sessions += sum(1 for s in page.sessions if s.booked_online and not s.cancelled)
        token = page.next_page_token
        if not token:
            break
    if online_sessions != len(ok):
        problems.append(f"{online_sessions} online sessions in scheduling, {len(ok)} bookings answered 201")
    return online_sessions, problems


# ---------------------------------------------------------------- the run


async def run_on(label: str, url: str, nats_url: str) -> None:
    async with AsyncExitStack() as stack:
        urls = await stack.enter_async_context(service_databases(url))
        for service, migrations in (
            ("clients", clients_main.MIGRATIONS),
            ("scheduling", scheduling_main.MIGRATIONS),
            ("billing", billing_main.MIGRATIONS),
            ("gateway", gateway_main.MIGRATIONS),
        ):
            await asyncio.to_thread(upgrade, migrations, urls[service])
        ports = {
            "clients": await stack.enter_async_context(
                hosted(clients_main.build(service_settings("clients", urls["clients"], nats_url)))
            ),
            "scheduling": await stack.enter_async_context(
                hosted(scheduling_main.build(service_settings("scheduling", urls["scheduling"], nats_url)))
            ),
            "billing": await stack.enter_async_context(
                hosted(billing_main.build(service_settings("billing", urls["billing"], nats_url)))
            ),
        }
        channel = await stack.enter_async_context(grpc.aio.insecure_channel(f"127.0.0.1:{ports['scheduling']}"))
        stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)

        first = first_monday()
        t0 = time.perf_counter()
        statuses = await stub.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=META)
        status = statuses.session_statuses[0].name if statuses.session_statuses else ""
        studio = await setup_studio(channel, first)
        await seed(
            urls["scheduling"],
            _session_rows(first, studio.location, studio.free_schedules, studio.free_type.name, status),
        )
        db = Database(urls["gateway"])
        try:
            key = await issue_key(db, COMPANY, "bench")
        finally:
            await db.dispose()
        auth = {"X-Api-Key": key}
        made = studio.slots_made[studio.free_type.name]
        print(
            f"[{label}] {made} + {studio.slots_made[studio.paid_type.name]} slots, {SESSIONS} sessions seeded "
            f"in {time.perf_counter() - t0:.1f}s",
            flush=True,
        )

        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        gateway_port, bare_port = free_port(), free_port()
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        common_env = {"SHUTTERBOOK_LOG_LEVEL": LOG_LEVEL, "OTEL_TRACES_EXPORTER": "none"}
        gateway = await stack.enter_async_context(
            http_process(
                "gateway",
                [str(Path(sys.executable).parent / "shutterbook-booking-gateway"), "serve"],
                {
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
                },
                f"{gateway_url}/healthz",
                tmp / "gateway.log",
            )
        )

        # the week's answer, checked once; the bare endpoint answers with the same document
        target = f"{open_slots_path(studio.free_type)}?{urlencode(week_params(studio, first))}"
        async with httpx.AsyncClient(base_url=gateway_url, timeout=REQUEST_TIMEOUT) as http:
            week = await http.get(target, headers=auth)
            expect(week, 200, "open slots of the week")
            document = week.json()
            if not document["slots"] or document.get("next_page_token"):
                raise RuntimeError(f"the week's open slots are not one non-empty page: {week.text[:500]}")
            free_slots = await all_open_slots(http, auth, studio.free_type, week_params(studio, first, 28))
            paid_slots = await all_open_slots(http, auth, studio.paid_type, week_params(studio, first, 28))
        body_file = tmp / "week.json"
        body_file.write_bytes(week.content)
        bare = await stack.enter_async_context(
            http_process(
                "bare litestar",
                [sys.executable, "-m", "bench.bare_litestar", "--port", str(bare_port), "--body", str(body_file)],
                common_env,
                f"http://127.0.0.1:{bare_port}/bare",
                tmp / "bare.log",
            )
        )
        print(
            f"[{label}] one week: {len(document['slots'])} open slots, {len(week.content)} bytes of JSON; "
            f"the month: {len(free_slots)} open of {made} (free type), {len(paid_slots)} (paid type)",
            flush=True,
        )

        # 1. open-slot queries vs the bare endpoint: the same client, connections and load
        failures: list[str] = []

        def getter(connection: Connection, path: str) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                status, content = await connection.request("GET", path, auth)
                if status != 200 or len(content) < len(week.content) // 2:
                    failures.append(f"GET {path}: HTTP {status} {content[:300]!r}")

            return call

        async def measured(
            name: str, process: subprocess.Popen[bytes], calls: list[Callable[[], Awaitable[None]]], count: int
        ) -> tuple[Timing, float]:
            """The load's timing, and the server's CPU time per request in it."""
            await asyncio.gather(*(call() for call in calls for _ in range(WARMUP)))
            cpu = cpu_seconds(process.pid)
            timing = await load(name, calls, count=count, max_seconds=QUERY_SECONDS)
            return timing, (cpu_seconds(process.pid) - cpu) / max(len(timing.samples), 1)

        async with connections(bare_port, QUERY_CLIENTS) as to_bare, connections(gateway_port, QUERY_CLIENTS) as to_gw:
            ceiling, bare_cpu = await measured(
                f"GET /bare, bare Litestar ({QUERY_CLIENTS} connections)",
                bare,
                [getter(c, "/bare") for c in to_bare],
                CEILING_COUNT,
            )
            query, gateway_cpu = await measured(
                f"GET open-slots, one week ({QUERY_CLIENTS} connections)",
                gateway,
                [getter(c, target) for c in to_gw],
                QUERY_COUNT,
            )
        # for reading the ratio: the gateway's upstream call alone, the same week and concurrency
        online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(channel)
        direct_request = opb.ListOpenSlotsRequest(
            session_type=studio.free_type.name,
            location=studio.location.name,
            start_date=to_date(first),
            end_date=to_date(first + timedelta(days=6)),
            page_size=1000,
        )

        async def direct_call() -> None:
            found = await online.ListOpenSlots(direct_request, metadata=META, timeout=REQUEST_TIMEOUT)
            if len(found.time_slots) != len(document["slots"]):
                failures.append(
                    f"ListOpenSlots: {len(found.time_slots)} slots, the gateway gave {len(document['slots'])}"
                )

        direct_calls: list[Callable[[], Awaitable[None]]] = [direct_call] * QUERY_CLIENTS
        await asyncio.gather(*(call() for call in direct_calls for _ in range(WARMUP)))
        direct = await load(
            f"ListOpenSlots over gRPC, one week ({QUERY_CLIENTS} concurrent)",
            direct_calls,
            count=QUERY_COUNT,
            max_seconds=QUERY_SECONDS,
        )
        if failures:
            raise RuntimeError(f"[{label}] {len(failures)} failed requests, first: {failures[0]}")
        report(
            f"[{label}] open slots of a week through the gateway ({made} slots, {SESSIONS} sessions) "
            "vs a bare Litestar endpoint with the same body",
            query,
            ceiling,
        )
        print(
            f"  server CPU per request: gateway {gateway_cpu * 1e3:.2f} ms, bare {bare_cpu * 1e3:.2f} ms "
            "(the gateway's upstreams run in the bench process)",
            flush=True,
        )
        print(
            f"  upstream alone: {direct.name}: p50 {direct.p50 * 1e3:.3f} ms, p95 {direct.p95 * 1e3:.3f} ms, "
            f"{direct.per_second:.0f}/s; the gateway's throughput x{query.per_second / direct.per_second:.2f} of it",
            flush=True,
        )

        # 2. bookings of distinct open slots, without and with payment
        booked: list[Booked] = []
        async with connections(gateway_port, BOOKING_CLIENTS) as to_gw:
            for paid, candidates, kind in (
                (False, free_slots, "no payment"),
                (True, paid_slots, f"customer deposit {DEPOSIT.amount_minor / 100:.2f} {DEPOSIT.currency_code}"),
            ):
                # distinct slots spread over the month, in a fixed order
                queue = deque(random.Random(7).sample(candidates, min(BOOKINGS_PER_KIND, len(candidates))))
                calls, results = booking_calls(to_gw, auth, queue, paid, label)
                bookings = await load(
                    f"POST /v1/bookings, {kind} ({BOOKING_CLIENTS} clients)",
                    calls,
                    count=len(queue),
                    max_seconds=BOOKING_SECONDS,
                )
                booked += results
                report(f"[{label}] bookings of distinct open slots ({kind}) vs the open-slot query", bookings, query)
                print(
                    f"  {sum(1 for r in results if r.status == 201)} of {len(results)} answered 201; "
                    f"throughput x{bookings.per_second / ceiling.per_second:.4f} of the bare endpoint",
                    flush=True,
                )
        online_sessions, problems = await check_bookings(channel, studio, first, booked)
        if problems:
            raise RuntimeError(f"[{label}] {len(problems)} booking problems:\n  " + "\n  ".join(problems[:20]))
        print(
            f"[{label}] checked through scheduling: {len(booked)} booked slots, one live session each "
            f"(the one answered); {online_sessions} online sessions in all",
            flush=True,
        )


async def main() -> None:
    await on_each_backend("gateway", run_on)
