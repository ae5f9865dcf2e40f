"""100 concurrent bookings of one photographer at one time: exactly one session, on SQLite
(serialized write transactions) and PostgreSQL (the exclusion constraint); with
allow_conflicts, all of them, each with its own session number."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_scheduling import main as scheduling_main
from shutterbook_scheduling.storage.models import CalendarBlockRow
from tests.scheduling_support import A, at, day, make_known_client, make_studio, scheduling_service, session_request

CONCURRENT = 100


async def test_hundred_concurrent_bookings_one_wins(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        studio = await make_studio(svc)
        client = await make_known_client(svc, "0b7e6f3a-1111-4a4a-8a8a-00000000000a", "Cy")

        async def book(when: int, allow: bool) -> pb.Session | grpc.StatusCode:
            request = pb.CreateSessionRequest(
                session=session_request(studio, client, day(2026, 7, when), at(10)), allow_conflicts=allow
            )
            try:
                return await svc.stub.CreateSession(request, metadata=A, timeout=60)
            except grpc.aio.AioRpcError as err:
                return err.code()

        results = await asyncio.gather(*(book(6, False) for _ in range(CONCURRENT)))
        booked = [r for r in results if isinstance(r, pb.Session)]
        refused = [r for r in results if not isinstance(r, pb.Session)]
        assert len(booked) == 1
        assert set(refused) == {grpc.StatusCode.FAILED_PRECONDITION}
        listed = await svc.stub.ListSessions(pb.ListSessionsRequest(client=client.name), metadata=A)
        assert [s.name for s in listed.sessions] == [booked[0].name]

        forced = await asyncio.gather(*(book(7, True) for _ in range(CONCURRENT)))
        assert all(isinstance(r, pb.Session) for r in forced)
        numbers = {r.session_number for r in forced if isinstance(r, pb.Session)}
        assert len(numbers) == CONCURRENT
        calendar = await svc.stub.QueryCalendar(
            pb.QueryCalendarRequest(
                location=studio.location.name, start_date=day(2026, 7, 7), end_date=day(2026, 7, 7)
            ),
            metadata=A,
        )
        assert len(calendar.days[0].entries) == CONCURRENT


async def test_postgres_refuses_overlapping_blocks_itself(databases: DatabaseFactory) -> None:
    """The database, not only Python: two occupying blocks overlapping on one schedule are
    refused by the exclusion constraint; back-to-back, allowed-conflict and freed blocks pass."""
    if databases.backend != "postgres":
        pytest.skip("SQLite has no exclusion constraints; its writers are serialized (test above)")
    url = await databases.new("scheduling", migrate_with=scheduling_main.MIGRATIONS)
    db = Database(url)
    t = datetime(2026, 7, 6, 14, tzinfo=UTC)
    schedule = str(uuid.uuid4())

    def block(start: datetime, end: datetime, *, occupies: bool = True, allow: bool = False) -> dict[str, object]:
        return {
            "company_id": "c",
            "schedule_id": schedule,
            "location_id": "l",
            "entry_kind": "session",
            "entry_id": str(uuid.uuid4()),
            "block_index": 0,
            "start_at": start,
            "end_at": end,
            "occupied_start": start,
            "occupied_end": end,
            "occupies": occupies,
            "allow_conflict": allow,
        }

    hour = timedelta(hours=1)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(insert(CalendarBlockRow), [block(t, t + hour)])
            await conn.execute(insert(CalendarBlockRow), [block(t + hour, t + 2 * hour)])  # back to back
            await conn.execute(insert(CalendarBlockRow), [block(t, t + hour, allow=True)])
            await conn.execute(insert(CalendarBlockRow), [block(t, t + hour, occupies=False)])
        with pytest.raises(IntegrityError, match="ex_calendar_blocks_no_overlap"):
            async with db.engine.begin() as conn:
                await conn.execute(insert(CalendarBlockRow), [block(t + hour / 2, t + hour)])
    finally:
        await db.dispose()


async def test_request_id_makes_booking_idempotent(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        studio = await make_studio(svc)
        client = await make_known_client(svc, "0b7e6f3a-1111-4a4a-8a8a-00000000000a", "Ida")
        request = pb.CreateSessionRequest(
            session=session_request(studio, client, day(2026, 7, 8), at(10)), request_id="booking-retry-0001"
        )
        results = await asyncio.gather(*(svc.stub.CreateSession(request, metadata=A) for _ in range(10)))
        assert len({r.name for r in results}) == 1
        changed = pb.CreateSessionRequest()
        changed.CopyFrom(request)
        changed.session.start.hours = 11
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await svc.stub.CreateSession(changed, metadata=A)
        assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        listed = await svc.stub.ListSessions(pb.ListSessionsRequest(), metadata=A)
        assert [s.name for s in listed.sessions] == [results[0].name]
        assert [e.subject for e in await svc.outbox("scheduling.session.")] == ["scheduling.session.booked"]
