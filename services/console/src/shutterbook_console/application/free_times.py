"""The wizard's "find free time": the next times a type fits at a location, on the staff member
and room asked for (or on any staff schedule), read from scheduling in one go (the location,
its schedules, the type and the calendar of the days searched) and judged by
`domain.free_time` (studio hours, lunch, working hours, both sides' buffers)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.calendar import hours_of
from shutterbook_console.application.session_records import pb_date
from shutterbook_console.domain.free_time import Column, FreeTime, Need, free_times
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.errors import FieldViolation, InvalidArgument, NotFound
from shutterbook_kit.identity import Caller
from shutterbook_kit.schema import utcnow

PAGE = 1000
SEARCH_DAYS = 14
ANY_STAFF_PER_START = 2  # with no staff asked: two schedules per start, so more starts show


@dataclass(frozen=True)
class FreeTimeQuery:
    location: str  # locations/{id}
    type: str  # sessionTypes/{id} or appointmentTypes/{id}
    staff: str = ""  # schedules/{id}
    room: str = ""
    from_day: date | None = None


@dataclass(frozen=True)
class FoundTimes:
    time_zone: str
    times: list[FreeTime]
    names: dict[str, str]  # schedule -> its display name


async def _type(up: Upstreams, caller: Caller, name: str) -> pb.SessionType | pb.AppointmentType:
    if name.startswith("sessionTypes/"):
        return await up.call(up.scheduling.GetSessionType, pb.GetSessionTypeRequest(name=name), caller)
    if name.startswith("appointmentTypes/"):
        return await up.call(up.scheduling.GetAppointmentType, pb.GetAppointmentTypeRequest(name=name), caller)
    raise InvalidArgument("choose a type", violations=[FieldViolation("type", "a session or appointment type")])


async def find_free_times(up: Upstreams, caller: Caller, query: FreeTimeQuery) -> FoundTimes:
    if not caller.may_see_location(query.location.removeprefix("locations/")):
        raise NotFound("no such location", reason="LOCATION_NOT_FOUND")
    location = await up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=query.location), caller)
    zone = ZoneInfo(location.time_zone or "UTC")
    now = utcnow().astimezone(zone).replace(tzinfo=None)
    first = max(query.from_day or now.date(), now.date())
    last = first + timedelta(days=SEARCH_DAYS - 1)
    kind, schedules, calendar = await asyncio.gather(
        _type(up, caller, query.type),
        up.call(up.scheduling.ListSchedules, pb.ListSchedulesRequest(page_size=PAGE, location=query.location), caller),
        up.call(
            up.scheduling.QueryCalendar,
            # from the day before: a booking of that day whose buffer after runs past midnight
            # still occupies the first day searched
            pb.QueryCalendarRequest(
                location=query.location, start_date=pb_date(first - timedelta(days=1)), end_date=pb_date(last)
            ),
            caller,
        ),
    )
    by_name = {s.name: s for s in schedules.schedules}
    for field, wanted in (("staff", query.staff), ("room", query.room)):
        if wanted and wanted not in by_name:
            raise InvalidArgument("not a schedule of the location", violations=[FieldViolation(field, "not here")])
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    for day in calendar.days:
        for e in day.entries:
            start = (e.occupied_start_time if e.HasField("occupied_start_time") else e.start_time).ToDatetime(zone)
            end = (e.occupied_end_time if e.HasField("occupied_end_time") else e.end_time).ToDatetime(zone)
            busy.setdefault(e.schedule, []).append((start.replace(tzinfo=None), end.replace(tzinfo=None)))

    def column(schedule: pb.Schedule) -> Column:
        return Column(schedule.name, hours_of(schedule.working_hours), busy.get(schedule.name, []))

    asked = [by_name[s] for s in (query.staff, query.room) if s]
    if asked:
        groups = [[column(s) for s in asked]]
    else:
        staff = sorted((s for s in by_name.values() if s.kind == pb.SCHEDULE_KIND_STAFF), key=lambda s: s.display_name)
        groups = [[column(s)] for s in staff]
    need = Need(
        timedelta(minutes=kind.default_duration_minutes),
        timedelta(minutes=kind.buffer_before_minutes),
        timedelta(minutes=kind.buffer_after_minutes),
    )
    days = [first + timedelta(days=i) for i in range(SEARCH_DAYS)]
    found = free_times(
        days,
        need,
        hours_of(location.studio_hours),
        hours_of(location.lunch_periods),
        groups,
        earliest=now,
        per_start=None if asked else ANY_STAFF_PER_START,
    )
    return FoundTimes(location.time_zone, found, {s.name: s.display_name for s in by_name.values()})
