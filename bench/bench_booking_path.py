"""The open-slot read model's lag and the booking path, against ceilings measured in the same run
(issue 19: the lag from a booking's commit to the slot leaving the gateway's answer, p99 under
1 s; bookings over distinct slots >= 40/s on PostgreSQL).

The studio and the gateway process of `bench_gateway_open_slots` (for parts 1 and 2
scheduling, clients and billing in this process; the gateway as its own, one uvicorn worker,
default settings but the rate limit raised). Three parts, each bounded in count and time:

1. Lag: a slot of the first day is held through scheduling directly (the booking's first
   commit; the gateway takes no part, so only `scheduling.slot.held` can tell it), then the
   gateway's answer for that day is read back to back on one keep-alive connection until the
   slot is gone; then the hold is released and read until it is back. The lag counts from
   the moment scheduling's answer arrived (its commit is before that). The ceiling: a bare
   core-NATS publish to a subscriber on the same server, the transport's floor.
2. What one booking costs: bookings one at a time through a second gateway served in this
   process (same database and upstreams), counting every database commit and statement of
   the four services (SQLAlchemy engine events) and every gRPC call the services serve, and
   which call each statement ran in (`BENCH_BOOKING_TRACE=BookOnline` lists one call's).
3. Bookings per second: as deployed, each service its own process (on fresh databases), the
   load generator here; 4 concurrent clients booking distinct slots through the gateway,
   against the one write a booking cannot avoid: scheduling's HoldSlot called directly with
   the same concurrency. Each process's CPU per call (/proc) and the whole machine's
   (PostgreSQL and NATS in it) are printed beside the rates.

SQLite; PostgreSQL too where SHUTTERBOOK_TEST_POSTGRES_URL is set. Loopback only.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import grpc
import httpx
import nats
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from bench.bench_gateway import REQUEST_TIMEOUT, Connection, connections, cpu_seconds, load
from bench.bench_gateway_open_slots import META, Bench, bench_stack
from bench.common import Timing, on_each_backend, report
from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.loopback import service_settings
from shutterbook_devstack.nats_server import free_port
from shutterbook_devstack.postgres import throwaway_database
from shutterbook_gateway import main as gateway_main
from shutterbook_kit.grpc_server import KitServerInterceptor
from shutterbook_kit.schema import utcnow
from shutterbook_kit.telemetry import configure_telemetry

LAG_COUNT, LAG_SECONDS = 50, 120.0  # hold/release pairs
VISIBLE_SECONDS = 10.0  # one change not seen within this: reported as a miss
NATS_COUNT = 200
COUNTED_BOOKINGS = 20
BOOKING_CLIENTS, BOOKING_COUNT, BOOKING_SECONDS = 4, 120, 30.0
STATEMENT_CHARS, TOP_STATEMENTS = int(os.environ.get("BENCH_STATEMENT_CHARS", "110")), 25
# BENCH_BOOKING_PARTS (optional, comma-separated: lag, cost, rate) runs only those parts
# BENCH_BOOKING_TRACE (optional, a method such as BookOnline): the cost part prints the
# statements of that call in the last booking, in order
TRACE_CALL = os.environ.get("BENCH_BOOKING_TRACE", "")
PARTS = {p.strip() for p in os.environ.get("BENCH_BOOKING_PARTS", "lag,cost,rate").split(",")}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, samples: list[float]) -> str:
    if not samples:
        return f"  {name}: no samples"
    return (
        f"  {name}: p50 {statistics.median(samples) * 1e3:.1f} ms, p99 {percentile(samples, 0.99) * 1e3:.1f} ms, "
        f"max {max(samples) * 1e3:.1f} ms (n={len(samples)})"
    )


# ---------------------------------------------------------------- counting


@dataclass
class Counts:
    commits: int = 0
    statements: int = 0
    rpcs: Counter[str] = field(default_factory=Counter)
    # per service (the database's name) and per (service, statement text)
    service_commits: Counter[str] = field(default_factory=Counter)
    service_statements: Counter[str] = field(default_factory=Counter)
    texts: Counter[tuple[str, str]] = field(default_factory=Counter)
    # statements by the gRPC call served when they ran ("relays, consumers, gateway" outside one)
    by_call: Counter[str] = field(default_factory=Counter)
    traced: list[str] = field(default_factory=list)  # the statements of TRACE_CALL calls, in order

    def snapshot(self) -> tuple[int, int, Counter[str]]:
        return self.commits, self.statements, Counter(self.rpcs)

    def detail(self) -> tuple[Counter[str], Counter[str], Counter[tuple[str, str]]]:
        return Counter(self.service_commits), Counter(self.service_statements), Counter(self.texts)


serving: contextvars.ContextVar[str] = contextvars.ContextVar("serving", default="outside a call")


def statement_text(statement: str) -> str:
    """A statement's text shortened to what tells it apart (its verb and table)."""
    words = " ".join(statement.split())
    return words if len(words) <= STATEMENT_CHARS else words[: STATEMENT_CHARS - 3] + "..."


@asynccontextmanager
async def counting(services: dict[str, str] | None = None) -> AsyncIterator[Counts]:
    """Every commit and statement of any engine in this process, and every shutterbook gRPC
    call served here, while inside (instruments, changes nothing). `services`: database URL
    -> service name, for the per-service breakdown."""
    counts = Counts()
    by_database = {make_url(url).database or "": name for name, url in (services or {}).items()}

    def service_of(conn: Any) -> str:
        return by_database.get(conn.engine.url.database or "", "other")

    def on_commit(conn: Any) -> None:
        counts.commits += 1
        counts.service_commits[service_of(conn)] += 1

    def on_statement(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counts.statements += 1
        service = service_of(conn)
        counts.service_statements[service] += 1
        counts.texts[(service, statement_text(statement))] += 1
        call = serving.get()
        counts.by_call[call] += 1
        if call == TRACE_CALL:
            counts.traced.append(f"{service:<10} {statement_text(statement)}")

    original = KitServerInterceptor.intercept_service

    async def counted(self: KitServerInterceptor, continuation: Any, details: grpc.HandlerCallDetails) -> Any:
        if not details.method.startswith("/shutterbook."):
            return await original(self, continuation, details)
        method = details.method.rsplit("/", 1)[-1]
        counts.rpcs[method] += 1
        handler: Any = await original(self, continuation, details)  # a namedtuple: _replace below
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary

        async def unary(request: Any, context: Any) -> Any:
            token = serving.set(method)
            try:
                return await inner(request, context)
            finally:
                serving.reset(token)

        return handler._replace(unary_unary=unary)

    event.listen(Engine, "commit", on_commit)
    event.listen(Engine, "before_cursor_execute", on_statement)
    KitServerInterceptor.intercept_service = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        KitServerInterceptor.intercept_service = original  # type: ignore[method-assign]
        event.remove(Engine, "commit", on_commit)
        event.remove(Engine, "before_cursor_execute", on_statement)


@asynccontextmanager
async def gateway_here(b: Bench, nats_url: str) -> AsyncIterator[int]:
    """A second gateway, served by uvicorn in this process (so its commits are counted)."""
    os.environ["SHUTTERBOOK_GATEWAY_RATE_LIMIT_PER_MINUTE"] = "100000000"
    port = free_port()
    upstreams = {name: f"127.0.0.1:{b.ports[name]}" for name in ("clients", "scheduling", "billing")}
    server = gateway_main.server(
        service_settings("gateway", b.urls["gateway"], nats_url, port=port, upstreams=upstreams)
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


# ---------------------------------------------------------------- helpers


def client(n: int) -> clients_pb2.Client:
    made = clients_pb2.Client(name=f"clients/{uuid.uuid4()}", given_name=f"Lag{n}", family_name="Bench")
    made.update_time.FromDatetime(utcnow())
    made.create_time.FromDatetime(utcnow())
    return made


def slot_ids(content: bytes) -> list[str]:
    return [s["id"] for s in json.loads(content)["slots"]]


def booking_body(slot_id: str, n: int, label: str) -> bytes:
    person = {"given_name": f"Bench{n}", "family_name": "Path", "email": f"path.{label}.{n}@example.com"}
    return json.dumps({"slot_id": slot_id, "client": person}).encode()


def booking_headers(auth: dict[str, str]) -> dict[str, str]:
    return {**auth, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}


def listed(slot_id: str, *, present: bool = True) -> Callable[[bytes], bool]:
    """Whether an answer lists the slot (or, `present=False`, leaves it out)."""
    needle = slot_id.encode()
    return lambda content: (needle in content) == present


async def until(read: Callable[[], Awaitable[bytes]], wanted: Callable[[bytes], bool]) -> float | None:
    """Read until `wanted` (bounded by VISIBLE_SECONDS); when it held, or None."""
    deadline = time.perf_counter() + VISIBLE_SECONDS
    while time.perf_counter() < deadline:
        if wanted(await read()):
            return time.perf_counter()
        await asyncio.sleep(0.001)
    return None


# ---------------------------------------------------------------- the parts


async def nats_floor(nats_url: str) -> list[float]:
    """Publish-to-delivery of a bare core-NATS message, one at a time."""
    nc = await nats.connect(nats_url)
    arrived: asyncio.Queue[float] = asyncio.Queue()

    async def heard(_msg: Any) -> None:
        arrived.put_nowait(time.perf_counter())

    try:
        await nc.subscribe("bench.lag.floor", cb=heard)
        await nc.flush()
        samples = []
        for _ in range(NATS_COUNT):
            sent = time.perf_counter()
            await nc.publish("bench.lag.floor", b"x")
            samples.append(await asyncio.wait_for(arrived.get(), 5.0) - sent)
        return samples
    finally:
        await nc.close()


async def lag(label: str, b: Bench, nats_url: str) -> None:
    scheduling: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(b.channel)
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(b.channel)
    params = {"start_date": b.first.isoformat(), "end_date": b.first.isoformat(), "location": b.location_id}
    target = f"/v1/session-types/{b.type_id}/open-slots?{urlencode(params)}"
    holder = client(0)
    await scheduling.EnsureKnownClient(pb.EnsureKnownClientRequest(client=holder), metadata=META)
    taken: list[float] = []
    back: list[float] = []
    calls: list[float] = []
    misses = 0
    async with connections(b.gateway_port, 1) as (conn,):

        async def read() -> bytes:
            status, content = await conn.request("GET", target, b.auth)
            if status != 200:
                raise RuntimeError(f"[{label}] open slots of a day: HTTP {status}")
            return content

        ids = slot_ids(await read())
        if not ids:
            raise RuntimeError(f"[{label}] no open slots on {b.first}")
        start = time.perf_counter()
        for i in range(LAG_COUNT):
            if time.perf_counter() - start > LAG_SECONDS:
                break
            slot_id = ids[i % len(ids)]
            await until(read, listed(slot_id))  # open before the change (bounded)
            sent = time.perf_counter()
            hold = await online.HoldSlot(
                opb.HoldSlotRequest(time_slot=f"timeSlots/{slot_id}", client=holder.name, request_id=str(uuid.uuid4())),
                metadata=META,
            )
            committed = time.perf_counter()
            calls.append(committed - sent)
            seen = await until(read, listed(slot_id, present=False))
            if seen is None:
                misses += 1
            else:
                taken.append(seen - committed)
            await online.ReleaseHold(opb.ReleaseHoldRequest(name=hold.name), metadata=META)
            released = time.perf_counter()
            seen = await until(read, listed(slot_id))
            if seen is None:
                misses += 1
            else:
                back.append(seen - released)
        read_timing = Timing("one read of the day (warm)", [], 0.0)
        for _ in range(50):
            t0 = time.perf_counter()
            await read()
            read_timing.samples.append(time.perf_counter() - t0)
    floor = await nats_floor(nats_url)
    p99 = percentile(taken, 0.99) if taken else float("inf")
    print(
        "\n".join(
            [
                f"== [{label}] the read model's lag: a hold committed in scheduling until the gateway's answer "
                "leaves the slot out (and a release until it is back)",
                line("ceiling  bare core-NATS publish to delivery", floor),
                line("HoldSlot call (sent to answered)", calls),
                line("subject  hold committed -> slot gone from the gateway's answer", taken),
                line("subject  hold released -> slot back in the gateway's answer", back),
                line("one read of the day through the gateway (warm)", read_timing.samples),
                f"  ratio    lag p50 x{statistics.median(taken) / statistics.median(floor):.1f}, "
                f"p99 x{p99 / percentile(floor, 0.99):.1f} of the NATS floor; "
                f"p99 {p99 * 1e3:.0f} ms against the issue's 1,000 ms; misses {misses}",
            ]
        ),
        flush=True,
    )


async def booking_cost(label: str, b: Bench, nats_url: str, slots: list[str]) -> None:
    async with (
        gateway_here(b, nats_url) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=REQUEST_TIMEOUT) as http,
    ):
        # the slots listed through this gateway first, as a customer picks one (its open-slot
        # model has read them: a booking takes the slot from there, no GetTimeSlot)
        await slots_of(b, port)
        # warm: one booking (caches of keys, types and locations; connections)
        warm = await http.post(
            "/v1/bookings", content=booking_body(slots[0], 0, label), headers=booking_headers(b.auth)
        )
        if warm.status_code != 201:
            raise RuntimeError(f"[{label}] warm-up booking: HTTP {warm.status_code} {warm.text[:300]}")
        await asyncio.sleep(1.0)  # its events published
        async with counting(b.urls) as counts:
            await asyncio.sleep(2.0)
            idle = counts.snapshot()  # background work over 2 s (relays, workers)
            idle_detail = counts.detail()
            before = counts.snapshot()
            before_detail = counts.detail()
            t0 = time.perf_counter()
            for n, slot_id in enumerate(slots[1 : COUNTED_BOOKINGS + 1], start=1):
                counts.traced.clear()
                answer = await http.post(
                    "/v1/bookings", content=booking_body(slot_id, n, label), headers=booking_headers(b.auth)
                )
                if answer.status_code != 201:
                    raise RuntimeError(f"[{label}] booking {n}: HTTP {answer.status_code} {answer.text[:300]}")
            await asyncio.sleep(1.0)  # the bookings' events published (the relays' commits count)
            elapsed = time.perf_counter() - t0
            after = counts.snapshot()
            after_detail = counts.detail()
    n = COUNTED_BOOKINGS
    idle_commits = idle[0] * elapsed / 2.0
    rpcs = after[2] - before[2]
    calls = counts.by_call
    per_call = ", ".join(f"{name} {count / n:.1f}" for name, count in calls.most_common())
    top = ", ".join(f"{method} {count / n:.1f}" for method, count in rpcs.most_common(12))
    print(
        "\n".join(
            [
                f"== [{label}] one booking (no payment), {n} one at a time through a gateway in this process",
                f"  commits per booking {(after[0] - before[0]) / n:.1f} (of which background at the idle rate "
                f"{idle_commits / n:.1f}), statements {(after[1] - before[1]) / n:.1f}",
                f"  gRPC calls served per booking {sum(rpcs.values()) / n:.1f}: {top}",
                f"  statements per booking by the call they ran in (idle time included): {per_call}",
                *breakdown(n, elapsed, idle_detail, before_detail, after_detail),
                *([f"  statements of the last booking's {TRACE_CALL}, in order:"] if TRACE_CALL else []),
                *(f"    {text}" for text in counts.traced),
            ]
        ),
        flush=True,
    )


Detail = tuple[Counter[str], Counter[str], Counter[tuple[str, str]]]


def breakdown(n: int, elapsed: float, idle: Detail, before: Detail, after: Detail) -> list[str]:
    """Per service: commits and statements per booking (and the idle rate's share); then the
    statement texts run most per booking."""
    commits, statements, texts = after[0] - before[0], after[1] - before[1], after[2] - before[2]
    lines = ["  per service (per booking; background at the idle rate in brackets):"]
    for service in sorted(set(commits) | set(statements)):
        lines.append(
            f"    {service:<10} commits {commits[service] / n:5.1f} ({idle[0][service] * elapsed / 2.0 / n:.1f}), "
            f"statements {statements[service] / n:6.1f} ({idle[1][service] * elapsed / 2.0 / n:.1f})"
        )
    lines.append(f"  statements run most (per booking, top {TOP_STATEMENTS}):")
    for (service, text), count in texts.most_common(TOP_STATEMENTS):
        lines.append(f"    {count / n:5.2f} {service:<10} {text}")
    return lines


def machine_busy_seconds() -> float:
    """CPU seconds this machine's cores have spent busy so far (Linux /proc/stat; 0 elsewhere)."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return 0.0
    ticks = [int(v) for v in stat.read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_now(processes: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in processes.items()} | {"whole machine": machine_busy_seconds()}


def cpu_line(before: dict[str, float], after: dict[str, float], n: int) -> str:
    """CPU ms per call of each process and of the whole machine (PostgreSQL and NATS in it)."""
    per = {name: (after[name] - before[name]) * 1e3 / max(n, 1) for name in before}
    return "  CPU per call: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in per.items())


async def booking_rate(label: str, b: Bench, slots: list[str]) -> None:
    scheduling: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(b.channel)
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(b.channel)
    half = len(slots) // 2
    to_hold, to_book = list(slots[:half]), list(slots[half:])
    holders = [client(n) for n in range(half)]
    for holder in holders:
        await scheduling.EnsureKnownClient(pb.EnsureKnownClientRequest(client=holder), metadata=META)
    failures: list[str] = []
    pairs = list(zip(to_hold, holders, strict=True))

    async def hold() -> None:
        if not pairs:
            return
        slot_id, holder = pairs.pop()
        await online.HoldSlot(
            opb.HoldSlotRequest(time_slot=f"timeSlots/{slot_id}", client=holder.name, request_id=str(uuid.uuid4())),
            metadata=META,
        )

    numbers = iter(range(10_000, 1_000_000))
    async with connections(b.gateway_port, BOOKING_CLIENTS) as to_gw:

        def book_on(conn: Connection) -> Callable[[], Awaitable[None]]:
            async def book() -> None:
                if not to_book:
                    return
                slot_id = to_book.pop()
                status, content = await conn.request(
                    "POST", "/v1/bookings", booking_headers(b.auth), booking_body(slot_id, next(numbers), label)
                )
                if status != 201:
                    failures.append(f"HTTP {status} {content[:200]!r}")

            return book

        count = min(BOOKING_COUNT, half)
        processes = {name: p.pid for name, p in b.services.items()} | {"gateway": b.gateway.pid, "load": os.getpid()}
        before = cpu_now(processes)
        ceiling = await load(
            f"HoldSlot directly ({BOOKING_CLIENTS} concurrent)",
            [hold] * BOOKING_CLIENTS,
            count=count,
            max_seconds=BOOKING_SECONDS,
        )
        between = cpu_now(processes)
        subject = await load(
            f"POST /v1/bookings, distinct slots ({BOOKING_CLIENTS} connections)",
            [book_on(c) for c in to_gw],
            count=count,
            max_seconds=BOOKING_SECONDS,
        )
        after = cpu_now(processes)
    if failures:
        raise RuntimeError(f"[{label}] {len(failures)} bookings failed, first: {failures[0]}")
    report(f"[{label}] bookings per second through the gateway vs scheduling's HoldSlot alone", subject, ceiling)
    print(cpu_line(before, between, len(ceiling.samples)).replace("per call", "per HoldSlot"), flush=True)
    print(cpu_line(between, after, len(subject.samples)).replace("per call", "per booking"), flush=True)
    print(f"  bookings {subject.per_second:.1f}/s (the issue's target on PostgreSQL: 40/s)", flush=True)


async def slots_of(b: Bench, port: int | None = None) -> list[str]:
    """The ids of the open slots of days 7 to 27 of the bench's studio (one page), as the
    gateway on `port` (else the bench's) lists them."""
    params = {
        "start_date": (b.first + timedelta(days=7)).isoformat(),
        "end_date": (b.first + timedelta(days=27)).isoformat(),
        "location": b.location_id,
        "page_size": "1000",
    }
    base_url = f"http://127.0.0.1:{port or b.gateway_port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as http:
        answer = await http.get(f"/v1/session-types/{b.type_id}/open-slots?{urlencode(params)}", headers=b.auth)
    return slot_ids(answer.content)


@asynccontextmanager
async def fresh_database(url: str) -> AsyncIterator[str]:
    """A second empty scheduling database (on SQLite in a folder of its own, so the other
    services' files beside it are new too)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database
        folder = Path(parsed.database).parent / "rate"
        folder.mkdir(exist_ok=True)
        yield f"sqlite+aiosqlite:///{folder / 'bench-rate.db'}"
        return
    async with throwaway_database(os.environ["SHUTTERBOOK_TEST_POSTGRES_URL"], "sbbench_rate") as fresh:
        yield fresh


async def run_on(label: str, url: str, nats_url: str) -> None:
    if PARTS & {"lag", "cost"}:
        async with AsyncExitStack() as stack:
            b = await bench_stack(stack, url, nats_url)
            print(f"[{label}] {b.made} slots over four weeks", flush=True)
            if "lag" in PARTS:
                await lag(label, b, nats_url)
            if "cost" in PARTS:
                await booking_cost(label, b, nats_url, (await slots_of(b))[: COUNTED_BOOKINGS + 1])
    if "rate" in PARTS:
        # as deployed: each service its own process (one core each at most), the load here
        async with AsyncExitStack() as stack:
            fresh = await stack.enter_async_context(fresh_database(url))
            b = await bench_stack(stack, fresh, nats_url, in_process=False)
            print(f"[{label}] {b.made} slots over four weeks, each service its own process", flush=True)
            await booking_rate(label, b, (await slots_of(b))[: 2 * BOOKING_COUNT])


async def main() -> None:
    # the services here as their command line runs them (kit cli.py): the tracer provider from
    # OTEL_* (no exporter: no span recorded), so their interceptors and engines are a service's
    configure_telemetry("bench")
    await on_each_backend("booking_path", run_on)


if __name__ == "__main__":
    asyncio.run(main())
