"""Demo online time slots for `make run`, created through the OnlineBookingService API
(run after `demo.seed_demo`, which creates the locations, schedules and online types).

For the coming 3 weeks at both demo locations: "Family Portrait" 60-minute slots on
weekdays (Jane Peterson and the camera room) and "Mini Session" 30-minute slots on Tuesday
and Thursday mornings on the same photographer, so the 30s sit under the 60s (booking one
auto-removes the others). Idempotent: a location and type that already has future slots
gets none, and each generation carries a deterministic request_id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc, scheduling_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.tenancy import CallContext

CALLER = "demo-seed"
WEEKS = 3
PHOTOGRAPHER = "Jane Peterson"
ROOM = "Camera room"
WEEKEND = [pb.DAY_OF_WEEK_SATURDAY, pb.DAY_OF_WEEK_SUNDAY]
# type -> (slot minutes, gap, day start, day end, breaks, excluded weekdays, with the room)
PATTERNS: dict[str, tuple[int, int, int, int, list[tuple[int, int]], list[pb.DayOfWeek.ValueType], bool]] = {
    "Family Portrait": (60, 15, 10, 17, [(12, 13)], WEEKEND, True),
    "Mini Session": (
        30,
        0,
        10,
        12,
        [],
        [*WEEKEND, pb.DAY_OF_WEEK_MONDAY, pb.DAY_OF_WEEK_WEDNESDAY, pb.DAY_OF_WEEK_FRIDAY],
        False,
    ),
}


def _rid(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"shutterbook-demo:online-slots:{key}"))


def _date(value: datetime) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


async def _count(online: online_pb2_grpc.OnlineBookingServiceAsyncStub, meta: tuple[tuple[str, str], ...]) -> int:
    total, token = 0, ""
    for _ in range(1000):
        page = await online.ListTimeSlots(opb.ListTimeSlotsRequest(page_size=1000, page_token=token), metadata=meta)
        total += len(page.time_slots)
        token = page.next_page_token
        if not token:
            break
    return total


async def seed_demo_slots(channel: grpc.aio.Channel, company_id: str) -> int:
    """Create the demo slots (once); returns how many slots the company has."""
    stub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
    online = online_pb2_grpc.OnlineBookingServiceStub(channel)
    meta = call_metadata(CallContext(company_id, CALLER))
    locations = (await stub.ListLocations(pb.ListLocationsRequest(page_size=100), metadata=meta)).locations
    types = {
        t.display_name: t
        for t in (await stub.ListSessionTypes(pb.ListSessionTypesRequest(page_size=100), metadata=meta)).session_types
    }
    now = datetime.now(UTC)
    for location in locations:
        schedules = (
            await stub.ListSchedules(pb.ListSchedulesRequest(location=location.name, page_size=1000), metadata=meta)
        ).schedules
        photographer = next((s for s in schedules if s.display_name.startswith(PHOTOGRAPHER)), None)
        room = next((s for s in schedules if s.display_name.startswith(ROOM)), None)
        if photographer is None or room is None:
            continue
        today = now.astimezone(ZoneInfo(location.time_zone))
        for type_name, (minutes, gap, start, end, breaks, excluded, with_room) in PATTERNS.items():
            session_type = types.get(type_name)
            if session_type is None or not session_type.online.available_online:
                continue
            existing = await online.ListTimeSlots(
                opb.ListTimeSlotsRequest(
                    location=location.name, session_type=session_type.name, start_time=_ts(now), page_size=1
                ),
                metadata=meta,
            )
            if existing.time_slots:
                continue
            first, last = today + timedelta(days=1), today + timedelta(days=7 * WEEKS)
            row = opb.TimeSlotPatternRow(
                start_date=_date(first),
                end_date=_date(last),
                start_time=pb.TimeOfDay(hours=start),
                end_time=pb.TimeOfDay(hours=end),
                slot_minutes=minutes,
                gap_minutes=gap,
                excluded_weekdays=excluded,
                breaks=[
                    opb.TimeSlotBreak(start=pb.TimeOfDay(hours=b[0]), end=pb.TimeOfDay(hours=b[1])) for b in breaks
                ],
            )
            await online.GenerateTimeSlots(
                opb.GenerateTimeSlotsRequest(
                    template=opb.TimeSlot(
                        location=location.name,
                        session_type=session_type.name,
                        schedules=[photographer.name, room.name] if with_room else [photographer.name],
                        published=True,
                        minimum_notice_minutes=12 * 60,
                        maximum_advance_days=60,
                    ),
                    rows=[row],
                    request_id=_rid(f"{company_id}:{location.name}:{type_name}:{first.date().isoformat()}"),
                ),
                metadata=meta,
            )
    return await _count(online, meta)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out
