"""Slots from pattern rows: DST-correct wall-clock times, breaks, gaps, excluded weekdays;
bad input answered INVALID_ARGUMENT naming each bad field."""

from __future__ import annotations

import uuid
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from tests.online_support import create_slot, future_day, make_online_studio, online_service, open_names, pdate, slot
from tests.scheduling_support import A, make_studio


def tod(h: int, m: int = 0) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=h, minutes=m)


def template(studio: object, schedules: list[str]) -> opb.TimeSlot:
    return opb.TimeSlot(
        location=studio.location.name,  # type: ignore[attr-defined]
        session_type=studio.session_type.name,  # type: ignore[attr-defined]
        schedules=schedules,
        published=True,
    )


async def test_pattern_across_dst_keeps_wall_clock(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        # the next spring-forward in New York (second Sunday of March) after today
        today = future_day(studio, 0)
        year = today.year + 1 if today.month >= 3 else today.year
        march = date(year, 3, 1)
        change = march + timedelta(days=(6 - march.weekday()) % 7 + 7)
        row = opb.TimeSlotPatternRow(
            start_date=pdate(change - timedelta(days=2)),
            end_date=pdate(change + timedelta(days=2)),
            start_time=tod(9),
            end_time=tod(13),
            slot_minutes=50,
            gap_minutes=10,
            breaks=[opb.TimeSlotBreak(start=tod(11), end=tod(12))],
            excluded_weekdays=[pb.DAY_OF_WEEK_MONDAY],
        )
        made = await o.online.GenerateTimeSlots(
            opb.GenerateTimeSlotsRequest(
                template=template(studio, [studio.photographer.name]), rows=[row], request_id=str(uuid.uuid4())
            ),
            metadata=A,
        )
        zone = ZoneInfo("America/New_York")
        days = [change + timedelta(days=d) for d in (-2, -1, 0, 2)]  # change + 1 is a Monday
        assert (change + timedelta(days=1)).weekday() == 0
        local = [s.start_time.ToDatetime(tzinfo=UTC).astimezone(zone) for s in made.time_slots]
        assert [(t.date(), t.hour, t.minute) for t in local] == [
            (d, h, 0) for d in days for h in (9, 10, 12)
        ]  # 9:00, 10:00, (break 11-12), 12:00 on both sides of the change
        offsets = {t.date(): t.utcoffset() for t in local}
        assert offsets[days[0]] != offsets[days[-1]]  # the UTC instants did move
        assert all(
            s.end.hours * 60 + s.end.minutes - (s.start.hours * 60 + s.start.minutes) == 50 for s in made.time_slots
        )
        opened = await open_names(o, studio, days[0], days[-1])
        assert opened == [s.name for s in made.time_slots]


async def test_bad_input_names_fields(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        elsewhere = await make_studio(o.svc, name="Uptown Studio")
        when = future_day(studio, 2)

        async def violations_of(call: object) -> dict[str, str]:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call  # type: ignore[misc]
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            return rpc_violations(err.value)

        bad_rows = [
            opb.TimeSlotPatternRow(
                start_date=pdate(when + timedelta(days=3)),
                end_date=pdate(when),
                start_time=tod(12),
                end_time=tod(9),
                slot_minutes=30,
            ),
            opb.TimeSlotPatternRow(
                start_date=pdate(when), end_date=pdate(when), start_time=tod(9), end_time=tod(12), slot_minutes=0
            ),
        ]
        found = await violations_of(
            o.online.GenerateTimeSlots(
                opb.GenerateTimeSlotsRequest(template=template(studio, [elsewhere.photographer.name]), rows=bad_rows),
                metadata=A,
            )
        )
        assert set(found) == {
            "template.schedules[0]",
            "rows[0].end_date",
            "rows[0].end_time",
            "rows[1].slot_minutes",
        }
        assert "another location" in found["template.schedules[0]"]

        past = slot(studio, future_day(studio, -1), (10, 0), (11, 0))
        found = await violations_of(create_slot(o, past))
        assert set(found) == {"time_slot.start"}
        reversed_slot = slot(studio, when, (11, 0), (10, 0), [elsewhere.room.name])
        found = await violations_of(create_slot(o, reversed_slot))
        assert set(found) == {"time_slot.end", "time_slot.schedules[0]"}
        found = await violations_of(
            o.online.ListOpenSlots(
                opb.ListOpenSlotsRequest(
                    session_type=studio.session_type.name,
                    location="nowhere",
                    start_date=pdate(when),
                    end_date=pdate(when - timedelta(days=1)),
                ),
                metadata=A,
            )
        )
        assert set(found) == {"location", "end_date"}
        found = await violations_of(
            o.online.BookOnline(opb.BookOnlineRequest(time_slot="timeSlots/x", client="clients/y"), metadata=A)
        )
        assert set(found) == {"request_id", "time_slot", "client"}
        found = await violations_of(
            o.online.HoldSlot(opb.HoldSlotRequest(time_slot="slots/1", client="", request_id="x"), metadata=A)
        )
        assert set(found) == {"request_id", "time_slot", "client"}
        listed = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(), metadata=A)
        assert list(listed.time_slots) == []  # nothing half-written
