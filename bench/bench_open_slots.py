"""The open-slot query at scale: 2,000 online time slots in one month on 10 schedules and
10,000 sessions in the database (26 weeks); ListOpenSlots for the whole month, served from
scheduling's read model of answers, as a ratio to two bare `grpc.aio` RPCs served the same way
(a grpc.aio server on loopback) in the same run: an echo of the request, and one returning the
same answer's bytes. Every client sends and receives bytes (no message built on the client).
The month computed (a second host on the same database with the model off, TTL 0) against the
echo of the request, as before the model. SQLite always; PostgreSQL too where
SHUTTERBOOK_TEST_POSTGRES_URL is set (a throwaway database, dropped afterwards).

Then a scaling table on a second studio (4 schedules, 800 slots over four weeks, as in
`bench_busy_history`): the month's query with 0, 100 and 40,000 past sessions, then 10,000
and 40,000 sessions after the month, and the query over one, two and four weeks (slots per
query); each row computed (its p50 as a ratio to the first row's, and per slot returned) and
from the model.

Setup (location, staff, schedules, an online type, the slots from pattern rows) goes through
the API; the sessions and their calendar blocks are inserted with SQLAlchemy core in batches.
Every loop is bounded in count and time; loopback only.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from datetime import time as clock
from typing import Any

import grpc

from bench.bench_busy_history import COMPANY as COMPANY_OF_BUSY
from bench.bench_busy_history import META as BUSY_META
from bench.bench_busy_history import busy_studio, past_rows
from bench.common import (
    Timing,
    four_weeks_of_slots,
    insert_sessions,
    measure,
    on_each_backend,
    photographer_schedules,
    report,
    session_block,
    session_row,
)
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.caller_keys import company_metadata
from shutterbook_devstack.loopback import service_settings
from shutterbook_kit.migrations import upgrade
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.api import online_booking
from shutterbook_scheduling.api.proto_values import to_date, ts
from shutterbook_scheduling.domain import times
from shutterbook_scheduling.settings import OpenSlotAnswerSettings, SchedulingSettings

SCHEDULES = 10
SESSIONS = 10_000
WEEKS = 26
HOURS = range(8, 18)  # 10 one-hour slots a day
BATCH = 1_000
COMPANY = "b0000000-0000-4000-8000-000000000006"
ZONE = "America/New_York"
META = company_metadata(COMPANY)
ECHO = "/bench.Echo/Echo"
ANSWER = "/bench.Echo/Answer"
OPEN_SLOTS = "/shutterbook.scheduling.v1.OnlineBookingService/ListOpenSlots"
Bump = Callable[[str], None]


def first_monday() -> date:
    today = utcnow().date() + timedelta(days=7)
    return today + timedelta(days=(7 - today.weekday()) % 7)


async def setup_studio(channel: grpc.aio.Channel, first: date) -> tuple[pb.Location, list[str], str, int]:
    stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(channel)
    location = await stub.CreateLocation(
        pb.CreateLocationRequest(location=pb.Location(display_name="Bench Studio", time_zone=ZONE)), metadata=META
    )
    schedules = await photographer_schedules(stub, location.name, SCHEDULES, META)
    session_type = await stub.CreateSessionType(
        pb.CreateSessionTypeRequest(
            session_type=pb.SessionType(
                display_name="Family Portrait",
                color="#4A90D9",
                default_duration_minutes=60,
                online=pb.OnlineBookingSettings(available_online=True, auto_remove_conflicting_slots=True),
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
    return location, schedules, session_type.name, made


def _session_rows(
    first: date, location: pb.Location, schedules: list[str], session_type: str, status: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """10,000 one-hour sessions on distinct (day, schedule, hour) over 26 weeks of weekdays."""
    rng = random.Random(17)
    tz = times.zone(ZONE)
    cells = [(w * 7 + d, s, h) for w in range(WEEKS) for d in range(5) for s in range(SCHEDULES) for h in HOURS]
    sessions: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    for n, (offset, s, hour) in enumerate(rng.sample(cells, SESSIONS)):
        day = first + timedelta(days=offset)
        start = times.local_to_utc(day, clock(hour, 0), tz)
        end = start + timedelta(hours=1)
        session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        client = f"clients/{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        msg = pb.Session(
            name=f"sessions/{session_id}",
            client=client,
            session_type=session_type,
            location=location.name,
            session_date=to_date(day),
            start=pb.TimeOfDay(hours=hour),
            end=pb.TimeOfDay(hours=hour + 1),
            photographer=schedules[s],
            session_number=str(10_000 + n),
            status=status,
            time_zone=ZONE,
        )
        msg.start_time.CopyFrom(ts(start))
        msg.end_time.CopyFrom(ts(end))
        sessions.append(session_row(COMPANY, session_id, msg, start, end))
        blocks.append(session_block(COMPANY, session_id, schedules[s], location.name, start, end))
    return sessions, blocks


async def seed(url: str, rows: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    await insert_sessions(url, *rows, batch=BATCH)


async def _echo_server(answer: bytes) -> tuple[grpc.aio.Server, int]:
    """Bare grpc.aio RPCs on loopback, the ceilings: `Echo` returns the request's bytes, `Answer`
    the bytes of a ListOpenSlots answer (kept from one call)."""

    async def echo(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return request

    async def kept(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return answer

    server = grpc.aio.server()
    handler = grpc.method_handlers_generic_handler(
        "bench.Echo",
        {"Echo": grpc.unary_unary_rpc_method_handler(echo), "Answer": grpc.unary_unary_rpc_method_handler(kept)},
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


def raw_open_slots(channel: grpc.aio.Channel) -> grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]:
    """ListOpenSlots sending and receiving bytes, as the echo ceilings do (no message built on
    the client: the comparison is of what the servers do)."""
    return channel.unary_unary(OPEN_SLOTS)


def model_off(own: SchedulingSettings) -> SchedulingSettings:
    """`own` without the read model of answers: every ListOpenSlots computes its answer."""
    return replace(own, open_slots=replace(own.open_slots, ttl_seconds=0.0))


async def scaling(label: str, url: str, channel: grpc.aio.Channel, computed: grpc.aio.Channel, bump: Bump) -> None:
    """The month's query as history and future grow, and as the range grows (see the docstring):
    computed (a second host on the database with the model off) and from the model."""
    online: online_pb2_grpc.OnlineBookingServiceAsyncStub = online_pb2_grpc.OnlineBookingServiceStub(channel)
    studio = await busy_studio(channel, url)
    rows: list[tuple[str, int, Timing, Timing]] = []

    async def timed(what: str, request: opb.ListOpenSlotsRequest) -> None:
        bump(COMPANY_OF_BUSY)  # the rows were inserted behind the service's back: no answer kept from before
        found = await online.ListOpenSlots(request, metadata=BUSY_META, timeout=60)
        payload = request.SerializeToString()
        cold = raw_open_slots(computed)
        warm = raw_open_slots(channel)

        async def call_cold() -> object:
            return await cold(payload, metadata=BUSY_META, timeout=60)

        async def call_warm() -> object:
            return await warm(payload, metadata=BUSY_META, timeout=60)

        timing = await measure(what, call_cold, count=40, max_seconds=15, warmup=2)
        kept = await measure(what, call_warm, count=400, max_seconds=5, warmup=2)
        rows.append((what, len(found.time_slots), timing, kept))

    def weeks(n: int) -> opb.ListOpenSlotsRequest:
        request = opb.ListOpenSlotsRequest()
        request.CopyFrom(studio.month)
        request.end_date.CopyFrom(to_date(studio.first + timedelta(days=7 * n - 1)))
        return request

    await timed("month, no history", studio.month)
    past = 0
    for size in (100, 40_000):
        await insert_sessions(url, *past_rows(size - past, past, studio.first, studio.ids), batch=BATCH * 2)
        past = size
        await timed(f"month, {size} past", studio.month)
    after = studio.first + timedelta(days=28)
    ahead = 0
    for size in (10_000, 40_000):
        await insert_sessions(url, *past_rows(size - ahead, ahead, after, studio.ids, ahead=True), batch=BATCH * 2)
        ahead = size
        await timed(f"month, 40000 past, {size} after it", studio.month)
    for n in (1, 2):
        await timed(f"{n} week{'s' if n > 1 else ''}, 40000 past, 40000 after", weeks(n))
    base = rows[0][2].p50
    print(f"== [{label}] scaling of ListOpenSlots ({studio.made} slots on {len(studio.schedules)} schedules)")
    print("  computed: a host with the model off (TTL 0); kept: the model's answer (both over gRPC, bytes)")
    cpu_base = rows[0][2].cpu_per_call
    print(
        f"  {'query':<44} {'open':>5} {'p50 ms':>8} {'x first':>8} {'cpu ms':>8} {'x first':>8} {'cpu us/slot':>11}"
        f" {'kept p50 ms':>11} {'kept cpu ms':>11}"
    )
    for what, count, timing, kept in rows:
        cpu = timing.cpu_per_call
        per_slot = cpu / count * 1e6 if count else 0.0
        print(
            f"  {what:<44} {count:>5} {timing.p50 * 1e3:>8.2f} {timing.p50 / base:>8.2f} "
            f"{cpu * 1e3:>8.2f} {cpu / cpu_base:>8.2f} {per_slot:>11.1f}"
            f" {kept.p50 * 1e3:>11.3f} {kept.cpu_per_call * 1e3:>11.3f}"
        )


async def run_on(label: str, url: str, nats_url: str) -> None:
    await asyncio.to_thread(upgrade, scheduling_main.MIGRATIONS, url)
    own = SchedulingSettings.from_env()
    if own.open_slots.ttl_seconds <= 0:  # the bench measures the model: on, whatever the environment says
        own = replace(own, open_slots=OpenSlotAnswerSettings())
    host = scheduling_main.build(service_settings("scheduling", url, nats_url), own)
    computing = scheduling_main.build(service_settings("scheduling", url, nats_url), model_off(own))
    await host.start()
    await computing.start()
    answers = online_booking.answers_for(host.parts.db, own)
    echo_server: grpc.aio.Server | None = None
    try:
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{computing.port}") as computed_channel,
        ):
            stub: scheduling_pb2_grpc.SchedulingServiceAsyncStub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
            first = first_monday()
            t0 = time.perf_counter()
            location, schedules, session_type, made = await setup_studio(channel, first)
            statuses = await stub.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=META)
            status = statuses.session_statuses[0].name if statuses.session_statuses else ""
            await seed(url, _session_rows(first, location, schedules, session_type, status))
            answers.bump(COMPANY)  # the sessions went in behind the service's back
            print(f"[{label}] {made} slots, {SESSIONS} sessions seeded in {time.perf_counter() - t0:.1f}s")
            request = opb.ListOpenSlotsRequest(
                session_type=session_type,
                location=location.name,
                start_date=to_date(first),
                end_date=to_date(first + timedelta(days=30)),
            )
            payload = request.SerializeToString()
            month = raw_open_slots(channel)
            computed_month = raw_open_slots(computed_channel)
            answer = await month(payload, metadata=META, timeout=60)
            assert answer == await computed_month(payload, metadata=META, timeout=60)
            open_count = len(opb.ListOpenSlotsResponse.FromString(answer).time_slots)
            echo_server, echo_port = await _echo_server(answer)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{echo_port}") as echo_channel:
                echo: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = echo_channel.unary_unary(ECHO)
                kept_echo: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = echo_channel.unary_unary(ANSWER)

                async def ping() -> object:
                    return await echo(payload)

                async def same_bytes() -> object:
                    return await kept_echo(payload)

                async def from_model() -> object:
                    return await month(payload, metadata=META, timeout=60)

                async def computed() -> object:
                    return await computed_month(payload, metadata=META, timeout=60)

                ceiling = await measure("echo of the request (bare grpc.aio)", ping, count=2000, max_seconds=10)
                what = f"echo of the answer's {len(answer):,} bytes (bare grpc.aio)"
                answer_ceiling = await measure(what, same_bytes, count=2000, max_seconds=10)
                hits = answers.hits
                subject = await measure("ListOpenSlots (one month), read model", from_model, count=2000, max_seconds=10)
                served = len(subject.samples)
                baseline = await measure("ListOpenSlots (one month), computed", computed, count=100, max_seconds=30)
            title = f"[{label}] open slots for a month ({made} slots, {SESSIONS} sessions, {open_count} open)"
            report(f"{title}, read model, vs an echo of the request", subject, ceiling)
            report(f"{title}, read model, vs an echo of the same answer bytes", subject, answer_ceiling)
            report(f"{title}, computed (model off), vs an echo of the request", baseline, ceiling)
            print(
                f"[{label}] read model: {answers.hits - hits} of {served + 5} calls served from memory "
                f"(TTL {own.open_slots.ttl_seconds:g} s)",
                flush=True,
            )
            await scaling(label, url, channel, computed_channel, answers.bump)
    finally:
        if echo_server is not None:
            await echo_server.stop(None)
        await computing.stop()
        await host.stop()


async def main() -> None:
    await on_each_backend("online", run_on)
