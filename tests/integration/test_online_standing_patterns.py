"""Standing time-slot patterns: "Tuesdays 9-12, 30 minutes, 3 weeks ahead" stored once
generates exactly the slots of the coming weeks; runs again and again on two replicas (two
scheduling servers on one database, their workers racing with a lease that expires at once)
never duplicate a slot; a slot staff deleted is not brought back; bad input names each field.
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
from sqlalchemy import select, update

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc, slot_patterns_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import slot_patterns_pb2 as spb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually, rpc_violations
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.api.slot_patterns import PatternWorker
from shutterbook_scheduling.settings import SchedulingSettings, WorkerTiming
from shutterbook_scheduling.storage.pattern_models import TimeSlotPatternRow
from tests.online_support import make_online_studio, pdate
from tests.scheduling_support import A, SchedulingService, Studio, scheduling_service

WEEKS = 3
ZONE = ZoneInfo("America/New_York")


def tod(h: int, m: int = 0) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=h, minutes=m)


def tuesdays_pattern(studio: Studio, first: date) -> spb.TimeSlotPattern:
    return spb.TimeSlotPattern(
        template=opb.TimeSlot(
            location=studio.location.name,
            session_type=studio.session_type.name,
            schedules=[studio.photographer.name],
            published=True,
        ),
        weekdays=[pb.DAY_OF_WEEK_TUESDAY],
        start_time=tod(9),
        end_time=tod(12),
        slot_minutes=30,
        weeks_ahead=WEEKS,
        start_date=pdate(first),
    )


def expected_starts(today: date, first: date) -> set[datetime]:
    """By hand: every Tuesday from `first` to today + 3 weeks - 1 day, 09:00 ... 11:30 local."""
    out = set()
    for offset in range(7 * WEEKS):
        day = today + timedelta(days=offset)
        if day < first or day.weekday() != 1:
            continue
        for minute in range(9 * 60, 12 * 60, 30):
            local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=ZONE)
            out.add(local.astimezone(UTC))
    return out


async def slot_starts(online: online_pb2_grpc.OnlineBookingServiceAsyncStub, studio: Studio) -> list[datetime]:
    reply = await online.ListTimeSlots(
        opb.ListTimeSlotsRequest(location=studio.location.name, page_size=1000), metadata=A
    )
    return [s.start_time.ToDatetime(tzinfo=UTC) for s in reply.time_slots]


def pattern_workers(svc: SchedulingService) -> list[PatternWorker]:
    return [w for w in svc.host.parts.workers if isinstance(w, PatternWorker)]


async def set_pattern(database_url: str, **values: object) -> None:
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(update(TimeSlotPatternRow).values(**values))
    finally:
        await db.dispose()


async def generated_through(database_url: str) -> date | None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            return (await conn.execute(select(TimeSlotPatternRow.generated_through))).scalar_one()
    finally:
        await db.dispose()


async def test_a_standing_pattern_keeps_the_coming_weeks_once_across_runs_and_replicas(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    # both replicas' workers poll often, and a lease expires at once: they run the same
    # pattern at the same time, so only the per-slot key keeps slots single
    racing = SchedulingSettings(patterns=WorkerTiming(interval_seconds=0.05, lease_seconds=0))
    async with scheduling_service(databases, nats_server.url, own=racing) as one:  # noqa: SIM117  (two needs one's database)
        async with (
            scheduling_service(databases, nats_server.url, database_url=one.database_url, own=racing) as two,
            grpc.aio.insecure_channel(f"127.0.0.1:{one.host.port}") as ch_one,
            grpc.aio.insecure_channel(f"127.0.0.1:{two.host.port}") as ch_two,
        ):
            studio = await make_online_studio(one)
            patterns = slot_patterns_pb2_grpc.TimeSlotPatternServiceStub(ch_one)
            online = online_pb2_grpc.OnlineBookingServiceStub(ch_two)
            today = utcnow().astimezone(ZONE).date()
            first = today + timedelta(days=1)  # tomorrow: no slot of today can pass during the test
            want = expected_starts(today, first)
            assert len(want) == 6 * sum(1 for d in range(1, 7 * WEEKS) if (today + timedelta(days=d)).weekday() == 1)

            try:
                created = await patterns.CreateTimeSlotPattern(
                    spb.CreateTimeSlotPatternRequest(
                        time_slot_pattern=tuesdays_pattern(studio, first), request_id=str(uuid.uuid4())
                    ),
                    metadata=A,
                )
            except grpc.aio.AioRpcError as err:
                raise AssertionError(rpc_violations(err)) from err
            assert created.name.startswith("timeSlotPatterns/")
            last = today + timedelta(days=7 * WEEKS - 1)
            if created.HasField("generated_through"):  # generated by the create itself
                through = created.generated_through
                assert (through.year, through.month, through.day) == (last.year, last.month, last.day)
            # else a replica's worker held the pattern's lease first and generates it: the same weeks
            await eventually(lambda: _through(one.database_url, last), what="the coming weeks generated", timeout=30)
            # exactly the slots of the coming weeks, at once
            assert set(await slot_starts(online, studio)) == want
            assert len(await slot_starts(online, studio)) == len(want)

            # run again, and again, on both replicas at once: never a second slot
            for _ in range(6):
                await set_pattern(one.database_url, generated_through=None, lease_owner=None, lease_until=None)
                await eventually(
                    lambda: _done(one.database_url), what="a worker to generate the pattern again", timeout=30
                )
            await eventually(lambda: _both_ran(one, two), what="both replicas' workers to run the pattern", timeout=30)
            starts = await slot_starts(online, studio)
            assert Counter(starts).most_common(1)[0][1] == 1
            assert set(starts) == want

            # a slot staff deleted stays deleted when the pattern runs again
            reply = await online.ListTimeSlots(
                opb.ListTimeSlotsRequest(location=studio.location.name, page_size=1), metadata=A
            )
            gone = reply.time_slots[0]
            await online.DeleteTimeSlot(opb.DeleteTimeSlotRequest(name=gone.name), metadata=A)
            await set_pattern(one.database_url, generated_through=None)
            await eventually(lambda: _done(one.database_url), what="the pattern to run again", timeout=30)
            assert set(await slot_starts(online, studio)) == want - {gone.start_time.ToDatetime(tzinfo=UTC)}

            # listed, then deleted: no more runs
            listed = await patterns.ListTimeSlotPatterns(spb.ListTimeSlotPatternsRequest(), metadata=A)
            assert [p.name for p in listed.time_slot_patterns] == [created.name]
            await patterns.DeleteTimeSlotPattern(spb.DeleteTimeSlotPatternRequest(name=created.name), metadata=A)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await patterns.GetTimeSlotPattern(spb.GetTimeSlotPatternRequest(name=created.name), metadata=A)
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def _through(database_url: str, last: date) -> bool:
    return await generated_through(database_url) == last


async def _done(database_url: str) -> bool:
    return await generated_through(database_url) is not None


async def _both_ran(one: SchedulingService, two: SchedulingService) -> bool:
    return all(w.runs > 0 for w in pattern_workers(one) + pattern_workers(two))


async def test_a_bad_pattern_is_refused_naming_each_field(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        scheduling_service(databases, nats_server.url) as svc,
        grpc.aio.insecure_channel(f"127.0.0.1:{svc.host.port}") as channel,
    ):
        studio = await make_online_studio(svc)
        patterns = slot_patterns_pb2_grpc.TimeSlotPatternServiceStub(channel)
        bad = tuesdays_pattern(studio, utcnow().date() + timedelta(days=1))
        del bad.weekdays[:]
        bad.weeks_ahead = 0
        bad.end_time.CopyFrom(tod(8))
        bad.template.schedules[:] = ["schedules/nope"]
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await patterns.CreateTimeSlotPattern(spb.CreateTimeSlotPatternRequest(time_slot_pattern=bad), metadata=A)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert {
            "time_slot_pattern.weekdays",
            "time_slot_pattern.weeks_ahead",
            "time_slot_pattern.end_time",
            "time_slot_pattern.template.schedules[0]",
        } <= set(rpc_violations(caught.value))
        listed = await patterns.ListTimeSlotPatterns(spb.ListTimeSlotPatternsRequest(), metadata=A)
        assert not listed.time_slot_patterns
