"""The calendar (blocks on schedules over local days) and its iCalendar export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar
from sqlalchemy import select

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.bookings import entry_name
from shutterbook_scheduling.application.common import from_ts, read_date_range, to_date, ts
from shutterbook_scheduling.application.setup_usage import TIME_OFF
from shutterbook_scheduling.domain import rules, times
from shutterbook_scheduling.storage import records
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    BookingTypeRow,
    CalendarBlockRow,
    KnownClientRow,
    ScheduleRow,
    SessionRow,
    TimeOffRow,
)

MAX_CALENDAR_DAYS = 62


@dataclass(frozen=True)
class _Shown:
    """What the calendar shows of a session."""

    description: str
    session_type: str
    confirmed: bool
    client: str
    session_number: str


async def _entries(
    uow: UnitOfWork, company_id: str, schedule_ids: list[str], start: datetime, end: datetime
) -> list[pb.CalendarEntry]:
    """Every occupying block on the schedules overlapping [start, end), with what the calendar
    shows. On-hold and cancelled entries do not occupy time, so they are not on it."""
    blocks = list(
        (
            await uow.session.execute(
                select(
                    CalendarBlockRow.schedule_id,
                    CalendarBlockRow.entry_kind,
                    CalendarBlockRow.entry_id,
                    CalendarBlockRow.block_index,
                    CalendarBlockRow.start_at,
                    CalendarBlockRow.end_at,
                    CalendarBlockRow.occupied_start,
                    CalendarBlockRow.occupied_end,
                )
                .where(
                    CalendarBlockRow.company_id == company_id,
                    CalendarBlockRow.schedule_id.in_(schedule_ids),
                    CalendarBlockRow.occupies,
                    CalendarBlockRow.start_at < end,
                    CalendarBlockRow.end_at > start,
                    # implied by the two above (a block lies inside its occupied time); they let
                    # the schedule index scan from the range's start instead of the schedule's past
                    CalendarBlockRow.occupied_end > start,
                    CalendarBlockRow.occupied_start < end,
                )
                .order_by(CalendarBlockRow.start_at, CalendarBlockRow.schedule_id, CalendarBlockRow.id)
            )
        ).all()
    )  # rows of columns, not whole objects: a busy week has thousands
    session_ids = {b.entry_id for b in blocks if b.entry_kind == "session"}
    appointment_ids = {b.entry_id for b in blocks if b.entry_kind == "appointment"}
    sessions: dict[str, _Shown] = {}
    appointments: dict[str, pb.Appointment] = {}
    if session_ids:
        # only the columns the calendar shows: a busy week has thousands of sessions, and whole
        # rows would load each one's participants and blocks too
        session_rows = await uow.session.execute(
            select(
                SessionRow.id,
                SessionRow.description,
                SessionRow.type_id,
                SessionRow.confirmed,
                SessionRow.client_id,
                SessionRow.session_number,
            ).where(SessionRow.company_id == company_id, SessionRow.id.in_(session_ids))
        )
        sessions = {
            sid: _Shown(description, f"sessionTypes/{type_id}", confirmed, f"clients/{client_id}", number)
            for sid, description, type_id, confirmed, client_id, number in session_rows.tuples()
        }
    if appointment_ids:
        appointment_rows = await uow.session.scalars(
            select(AppointmentRow).where(
                AppointmentRow.company_id == company_id, AppointmentRow.id.in_(appointment_ids)
            )
        )
        appointments = {r.id: records.appointment_message(r) for r in appointment_rows}
    time_off_reasons: dict[tuple[str, int], str] = {}
    time_off_ids = {b.entry_id for b in blocks if b.entry_kind == TIME_OFF}
    if time_off_ids:
        time_off_rows = await uow.session.execute(
            select(TimeOffRow.schedule_id, TimeOffRow.position, TimeOffRow.reason).where(
                TimeOffRow.schedule_id.in_(time_off_ids)
            )
        )
        for schedule_id, position, reason in time_off_rows.tuples():
            time_off_reasons[(schedule_id, position)] = reason
    type_names = {s.session_type for s in sessions.values()} | {a.appointment_type for a in appointments.values()}
    colors: dict[str, str] = {}
    if type_names:
        type_rows = await uow.session.execute(
            select(BookingTypeRow.id, BookingTypeRow.kind, BookingTypeRow.color).where(
                BookingTypeRow.company_id == company_id,
                BookingTypeRow.id.in_({n.split("/")[1] for n in type_names}),
            )
        )
        for type_id, kind, color in type_rows.tuples():
            colors[f"sessionTypes/{type_id}" if kind == "session" else f"appointmentTypes/{type_id}"] = color
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
        elif b.entry_kind == TIME_OFF:
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


def _summary(entry: pb.CalendarEntry, names: dict[str, str], type_names: dict[str, str]) -> str:
    """ "Ada Lovelace - Family Portrait (Confirmed)": who and what, never a note the customer typed
    online (an online booking's description is the customer's note)."""
    kind = "Session" if entry.kind == pb.CALENDAR_ENTRY_KIND_SESSION else "Appointment"
    if entry.kind == pb.CALENDAR_ENTRY_KIND_TIME_OFF:
        return entry.description or "Time off"
    who = names.get(entry.client, "")
    what = type_names.get(entry.type, "") or kind
    if not who:
        return entry.display_text or what
    return rules.display_text(f"{who} - {what}", entry.confirmed)


async def _client_names(uow: UnitOfWork, company_id: str, clients: set[str]) -> dict[str, str]:
    ids = [c.removeprefix("clients/") for c in clients]
    found: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        rows = await uow.session.execute(
            select(KnownClientRow.client_id, KnownClientRow.display_name).where(
                KnownClientRow.company_id == company_id, KnownClientRow.client_id.in_(ids[i : i + 500])
            )
        )
        found.update({f"clients/{cid}": name for cid, name in rows})
    return found


async def _type_names(uow: UnitOfWork, company_id: str) -> dict[str, str]:
    rows = await uow.session.execute(
        select(BookingTypeRow.id, BookingTypeRow.kind, BookingTypeRow.display_name).where(
            BookingTypeRow.company_id == company_id
        )
    )
    collection = {"session": "sessionTypes", "appointment": "appointmentTypes"}
    return {f"{collection.get(kind, kind)}/{tid}": name for tid, kind, name in rows}


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
        names = await _client_names(uow, company_id, {e.client for e in entries if e.client})
        type_names = await _type_names(uow, company_id)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Shutterbook//Scheduling//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", schedule.display_name)
    if location is not None:
        cal.add("x-wr-timezone", location.time_zone)
    stamp = datetime.now(UTC)
    seen: dict[str, int] = {}
    for entry in entries:
        event = icalendar.Event()
        # one UID per session or appointment (and per block of it on this schedule, in order):
        # a reschedule moves the event in the subscriber's calendar instead of adding one
        seen[entry.entry] = seen.get(entry.entry, 0) + 1
        part = f"-{seen[entry.entry]}" if seen[entry.entry] > 1 else ""
        event.add("uid", f"{entry.entry.replace('/', '-')}-{schedule_id}{part}@shutterbook")
        event.add("dtstamp", stamp)
        event.add("dtstart", from_ts(entry.start_time))
        event.add("dtend", from_ts(entry.end_time))
        event.add("summary", _summary(entry, names, type_names))
        if entry.session_number:
            event.add("description", f"Session {entry.session_number}")
        if location is not None:
            event.add("location", location.display_name)
        event.add("status", "CONFIRMED" if entry.confirmed else "TENTATIVE")
        cal.add_component(event)
    return pb.ExportScheduleCalendarResponse(content_type="text/calendar; charset=utf-8", data=cal.to_ical())
