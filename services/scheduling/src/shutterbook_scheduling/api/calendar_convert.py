"""The calendar at the API edge (issue 13's shape, see api/company_convert.py): QueryCalendar's
and ExportScheduleCalendar's requests read into plain values (names parsed, every bad field
named at once), the domain's calendar (domain/calendar.py) made into messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_scheduling.api.proto_values import from_ts, read_date_range, to_date, ts
from shutterbook_scheduling.domain.calendar import MAX_CALENDAR_DAYS, Calendar, CalendarEntry, EntryKind

KINDS = {
    EntryKind.SESSION: pb.CALENDAR_ENTRY_KIND_SESSION,
    EntryKind.APPOINTMENT: pb.CALENDAR_ENTRY_KIND_APPOINTMENT,
    EntryKind.TIME_OFF: pb.CALENDAR_ENTRY_KIND_TIME_OFF,
}


@dataclass(frozen=True)
class CalendarQuery:
    location_id: str
    first: date
    last: date
    schedule_ids: list[str]


def calendar_query(request: pb.QueryCalendarRequest) -> CalendarQuery:
    v = Violations()
    location_id = parse_reference(request.location, "locations", field="location", violations=v)
    first, last = read_date_range(request.start_date, request.end_date, v, max_days=MAX_CALENDAR_DAYS)
    wanted: list[str] = []
    for i, ref in enumerate(request.schedules):
        schedule_id = parse_reference(ref, "schedules", field=f"schedules[{i}]", violations=v)
        if schedule_id is not None:
            wanted.append(schedule_id)
    v.raise_if_any()
    assert location_id is not None
    assert first is not None
    assert last is not None
    return CalendarQuery(location_id, first, last, wanted)


def export_range(request: pb.ExportScheduleCalendarRequest) -> tuple[str, datetime | None, datetime | None]:
    """The schedule's id and the range asked for (None: the default's end)."""
    schedule_id = parse_name(request.name, "schedules")
    start = from_ts(request.start_time) if request.HasField("start_time") else None
    end = from_ts(request.end_time) if request.HasField("end_time") else None
    return schedule_id, start, end


def entry_message(entry: CalendarEntry) -> pb.CalendarEntry:
    msg = pb.CalendarEntry(
        schedule=f"schedules/{entry.schedule_id}",
        entry=entry.entry,
        kind=KINDS[entry.kind] if entry.kind is not None else pb.CALENDAR_ENTRY_KIND_UNSPECIFIED,
        description=entry.description,
        type=entry.type,
        confirmed=entry.confirmed,
        client=entry.client,
        session_number=entry.session_number,
        color=entry.color,
        display_text=entry.display_text,
    )
    msg.start_time.CopyFrom(ts(entry.start))
    msg.end_time.CopyFrom(ts(entry.end))
    msg.occupied_start_time.CopyFrom(ts(entry.occupied_start))
    msg.occupied_end_time.CopyFrom(ts(entry.occupied_end))
    return msg


def calendar_response(calendar: Calendar) -> pb.QueryCalendarResponse:
    response = pb.QueryCalendarResponse(time_zone=calendar.time_zone)
    for day in calendar.days:
        out = response.days.add(date=to_date(day.day))
        out.start_time.CopyFrom(ts(day.start))
        out.end_time.CopyFrom(ts(day.end))
        out.entries.extend(entry_message(e) for e in day.entries)
    return response


def calendar_file(data: bytes) -> pb.ExportScheduleCalendarResponse:
    return pb.ExportScheduleCalendarResponse(content_type="text/calendar; charset=utf-8", data=data)
