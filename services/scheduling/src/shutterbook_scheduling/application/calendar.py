"""The calendar (blocks on schedules over local days) and its iCalendar export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
from sqlalchemy import select

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.bookings import entry_name
from shutterbook_scheduling.application.common import from_ts, id_of, read_date, to_date, ts
from shutterbook_scheduling.domain import rules, times
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    BookingTypeRow,
    CalendarBlockRow,
    ScheduleRow,
    SessionRow,
)

MAX_CALENDAR_DAYS = 62


async def _entries(
    uow: UnitOfWork, company_id: str, schedule_ids: list[str], start: datetime, end: datetime
) -> list[pb.CalendarEntry]:
    """Every occupying block on the schedules overlapping [start, end), with what the calendar
    shows. On-hold and cancelled entries do not occupy time, so they are not on it."""
    blocks = list(
        (
            await uow.session.scalars(
                select(CalendarBlockRow)
                .where(
                    CalendarBlockRow.company_id == company_id,
                    CalendarBlockRow.schedule_id.in_(schedule_ids),
                    CalendarBlockRow.occupies,
                    CalendarBlockRow.start_at < end,
                    CalendarBlockRow.end_at > start,
                )
                .order_by(CalendarBlockRow.start_at, CalendarBlockRow.schedule_id, CalendarBlockRow.id)
            )
        ).all()
    )
    session_ids = {b.entry_id for b in blocks if b.entry_kind == "session"}
    appointment_ids = {b.entry_id for b in blocks if b.entry_kind == "appointment"}
    sessions: dict[str, pb.Session] = {}
    appointments: dict[str, pb.Appointment] = {}
    if session_ids:
        rows = await uow.session.execute(
            select(SessionRow.id, SessionRow.data).where(
                SessionRow.company_id == company_id, SessionRow.id.in_(session_ids)
            )
        )
        sessions = {r.id: pb.Session.FromString(r.data) for r in rows}
    if appointment_ids:
        rows = await uow.session.execute(
            select(AppointmentRow.id, AppointmentRow.data).where(
                AppointmentRow.company_id == company_id, AppointmentRow.id.in_(appointment_ids)
            )
        )
        appointments = {r.id: pb.Appointment.FromString(r.data) for r in rows}
    time_off_reasons: dict[tuple[str, int], str] = {}
    time_off_ids = {b.entry_id for b in blocks if b.entry_kind == setup.TIME_OFF}
    if time_off_ids:
        schedule_rows = await uow.session.execute(
            select(ScheduleRow.id, ScheduleRow.data).where(
                ScheduleRow.company_id == company_id, ScheduleRow.id.in_(time_off_ids)
            )
        )
        for schedule_row in schedule_rows:
            for i, off in enumerate(pb.Schedule.FromString(schedule_row.data).time_off):
                time_off_reasons[(schedule_row.id, i)] = off.reason
    type_names = {s.session_type for s in sessions.values()} | {a.appointment_type for a in appointments.values()}
    colors: dict[str, str] = {}
    if type_names:
        type_rows = await uow.session.execute(
            select(BookingTypeRow.id, BookingTypeRow.kind, BookingTypeRow.data).where(
                BookingTypeRow.company_id == company_id,
                BookingTypeRow.id.in_({n.split("/")[1] for n in type_names}),
            )
        )
        for r in type_rows:
            message: Any = pb.SessionType if r.kind == "session" else pb.AppointmentType
            parsed = message.FromString(r.data)
            colors[parsed.name] = parsed.color
    out: list[pb.CalendarEntry] = []
    for b in blocks:
        entry = pb.CalendarEntry(schedule=f"schedules/{b.schedule_id}", entry=entry_name(b.entry_kind, b.entry_id))
        entry.start_time.CopyFrom(ts(b.start_at))
        entry.end_time.CopyFrom(ts(b.end_at))
        entry.occupied_start_time.CopyFrom(ts(b.occupied_start))
        entry.occupied_end_time.CopyFrom(ts(b.occupied_end))
        if b.entry_kind == "session" and b.entry_id in sessions:
            s = sessions[b.entry_id]
            entry.kind = pb.CALENDAR_ENTRY_KIND_SESSION
            entry.description, entry.type, entry.confirmed = s.description, s.session_type, s.confirmed
            entry.client, entry.session_number = s.client, s.session_number
        elif b.entry_kind == setup.TIME_OFF:
            entry.kind = pb.CALENDAR_ENTRY_KIND_TIME_OFF
            entry.description = time_off_reasons.get((b.entry_id, b.block_index), "") or "Time off"
        elif b.entry_id in appointments:
            a = appointments[b.entry_id]
            entry.kind = pb.CALENDAR_ENTRY_KIND_APPOINTMENT
            entry.description, entry.type, entry.confirmed = a.description, a.appointment_type, a.confirmed
            entry.client = a.client
        entry.color = colors.get(entry.type, "")
        entry.display_text = rules.display_text(entry.description, entry.confirmed)
        out.append(entry)
    return out


async def query_calendar(db: Database, company_id: str, request: pb.QueryCalendarRequest) -> pb.QueryCalendarResponse:
    v = Violations()
    location_id = id_of(request.location, "locations", "location", v)
    first = read_date(request.start_date, "start_date", v)
    last = read_date(request.end_date, "end_date", v)
    if first is not None and last is not None:
        if last < first:
            v.add("end_date", "must not be before start_date")
        elif (last - first).days > MAX_CALENDAR_DAYS:
            v.add("end_date", f"must be at most {MAX_CALENDAR_DAYS} days after start_date")
    wanted: list[str] = []
    for i, ref in enumerate(request.schedules):
        schedule_id = id_of(ref, "schedules", f"schedules[{i}]", v)
        if schedule_id is not None:
            wanted.append(schedule_id)
    v.raise_if_any()
    assert location_id is not None
    assert first is not None
    assert last is not None
    async with UnitOfWork(db, readonly=True) as uow:
        location: pb.Location | None = await setup.load_message(uow, setup.LOCATIONS, company_id, location_id)
        if location is None:
            raise NotFound(f"{request.location} not found")
        in_location = set(
            (
                await uow.session.scalars(
                    select(ScheduleRow.id).where(
                        ScheduleRow.company_id == company_id, ScheduleRow.location_id == location_id
                    )
                )
            ).all()
        )
        for i, schedule_id in enumerate(wanted):
            if schedule_id not in in_location:
                v.add(f"schedules[{i}]", f"{request.schedules[i]} is not a schedule of {request.location}")
        v.raise_if_any()
        schedule_ids = wanted or sorted(in_location)
        tz = times.zone(location.time_zone)
        days = times.local_days(first, last, tz)
        entries = await _entries(uow, company_id, schedule_ids, days[0].start, days[-1].end) if schedule_ids else []
    response = pb.QueryCalendarResponse(time_zone=location.time_zone)
    for day in days:
        out = response.days.add(date=to_date(day.day))
        out.start_time.CopyFrom(ts(day.start))
        out.end_time.CopyFrom(ts(day.end))
    for entry in entries:
        start = from_ts(entry.start_time)
        # An entry belongs to the local day it starts on (one that started before the range: the first day).
        index = next((i for i, d in enumerate(days) if d.start <= start < d.end), 0)
        response.days[index].entries.append(entry)
    return response


async def export_schedule_ics(
    db: Database, company_id: str, request: pb.ExportScheduleCalendarRequest
) -> pb.ExportScheduleCalendarResponse:
    """RFC 5545: one VEVENT per block, UTC times, stable UIDs (a re-import updates in place)."""
    schedule_id = parse_name(request.name, "schedules")
    start = from_ts(request.start_time) if request.HasField("start_time") else datetime.now(UTC) - timedelta(days=30)
    end = from_ts(request.end_time) if request.HasField("end_time") else start + timedelta(days=365)
    if end <= start:
        v = Violations()
        v.add("end_time", "must be after start_time")
        v.raise_if_any()
    async with UnitOfWork(db, readonly=True) as uow:
        schedule: pb.Schedule | None = await setup.load_message(uow, setup.SCHEDULES, company_id, schedule_id)
        if schedule is None:
            raise NotFound(f"{request.name} not found")
        location: pb.Location | None = await setup.load_message(
            uow, setup.LOCATIONS, company_id, schedule.location.removeprefix("locations/")
        )
        entries = await _entries(uow, company_id, [schedule_id], start, end)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Shutterbook//Scheduling//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", schedule.display_name)
    if location is not None:
        cal.add("x-wr-timezone", location.time_zone)
    stamp = datetime.now(UTC)
    for entry in entries:
        event = icalendar.Event()
        event.add("uid", f"{entry.entry.replace('/', '-')}-{entry.start_time.seconds}@shutterbook")
        event.add("dtstamp", stamp)
        event.add("dtstart", from_ts(entry.start_time))
        event.add("dtend", from_ts(entry.end_time))
        event.add(
            "summary",
            entry.display_text or ("Session" if entry.kind == pb.CALENDAR_ENTRY_KIND_SESSION else "Appointment"),
        )
        if entry.session_number:
            event.add("description", f"Session {entry.session_number}")
        if location is not None:
            event.add("location", location.display_name)
        event.add("status", "CONFIRMED" if entry.confirmed else "TENTATIVE")
        cal.add_component(event)
    return pb.ExportScheduleCalendarResponse(content_type="text/calendar; charset=utf-8", data=cal.to_ical())
