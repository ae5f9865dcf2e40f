"""The calendar of one location for a range of days, built from scheduling's answers in one go
(location, schedules, types, the calendar query, client names: asked concurrently), and the
move of a session by drag and drop (hours rule first, then scheduling's conflict check)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.session_records import visible_session
from shutterbook_console.domain.calendar import MAX_DAYS, Hours, days_of, hours_warnings, shading
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from shutterbook_kit.identity import Caller

log = logging.getLogger(__name__)

PAGE = 1000
MAX_PAGES = 20
NAME_LOOKUPS = 200  # more distinct clients than this: list the company's known clients instead
CONCURRENCY = 16


@dataclass(frozen=True)
class Resource:
    id: str  # schedules/{id}
    title: str
    kind: str  # "staff" or "room"


@dataclass(frozen=True)
class Event:
    id: str
    resource: str
    start: datetime  # local wall clock
    end: datetime
    kind: str  # "session", "appointment", "time_off"
    entry: str
    title: str
    type_name: str
    color: str
    confirmed: bool
    client_name: str
    session_number: str


@dataclass
class CalendarView:
    location: pb.Location
    resources: list[Resource]
    events: list[Event]
    shades: list[Any]
    locations: list[pb.Location] = field(default_factory=list)


def location_name(location_id: str) -> str:
    return f"locations/{location_id}"


def hours_of(periods: Any) -> list[Hours]:
    return [
        Hours(int(p.day), time(p.start.hours, p.start.minutes), time(p.end.hours, p.end.minutes))
        for p in periods
        if p.day and (p.end.hours, p.end.minutes) > (p.start.hours, p.start.minutes)
    ]


async def visible_locations(up: Upstreams, caller: Caller) -> list[pb.Location]:
    """The company's locations this staff member may see (owners: all), by name."""
    reply = await up.call(up.scheduling.ListLocations, pb.ListLocationsRequest(page_size=PAGE), caller)
    seen = [loc for loc in reply.locations if caller.may_see_location(loc.name.removeprefix("locations/"))]
    return sorted(seen, key=lambda loc: loc.display_name)


def check_range(location: str, start: date, end: date) -> None:
    violations = []
    if not location:
        violations.append(FieldViolation("location", "choose a location"))
    if end <= start:
        violations.append(FieldViolation("end", "the end must be after the start"))
    elif (end - start).days > MAX_DAYS:
        violations.append(FieldViolation("end", f"at most {MAX_DAYS} days after the start"))
    if violations:
        raise InvalidArgument("the calendar range is not valid", violations=violations)


async def _schedules(up: Upstreams, caller: Caller, location: str) -> list[pb.Schedule]:
    found: list[pb.Schedule] = []
    token = ""
    for _ in range(MAX_PAGES):
        reply = await up.call(
            up.scheduling.ListSchedules,
            pb.ListSchedulesRequest(page_size=PAGE, page_token=token, location=location),
            caller,
        )
        found += reply.schedules
        token = reply.next_page_token
        if not token:
            break
    return found


async def _type_names(up: Upstreams, caller: Caller) -> dict[str, str]:
    sessions, appointments = await asyncio.gather(
        up.call(up.scheduling.ListSessionTypes, pb.ListSessionTypesRequest(page_size=PAGE), caller),
        up.call(up.scheduling.ListAppointmentTypes, pb.ListAppointmentTypesRequest(page_size=PAGE), caller),
    )
    names = {t.name: t.display_name for t in sessions.session_types}
    names.update({t.name: t.display_name for t in appointments.appointment_types})
    return names


async def client_names(up: Upstreams, caller: Caller, clients: set[str]) -> dict[str, str]:
    """Display names of `clients` (`clients/{id}`) as scheduling knows them."""
    if not clients:
        return {}
    if len(clients) > NAME_LOOKUPS:
        names: dict[str, str] = {}
        token = ""
        for _ in range(MAX_PAGES):
            reply = await up.call(
                up.scheduling.ListKnownClients, pb.ListKnownClientsRequest(page_size=PAGE, page_token=token), caller
            )
            names.update({k.client: k.display_name for k in reply.known_clients if k.client in clients})
            token = reply.next_page_token
            if not token:
                break
        return names
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(client: str) -> tuple[str, str]:
        async with gate:
            try:
                known = await up.call(
                    up.scheduling.GetKnownClient,
                    pb.GetKnownClientRequest(name=client.replace("clients/", "knownClients/", 1)),
                    caller,
                )
            except UpstreamError:
                return client, ""
            return client, known.display_name

    return dict(await asyncio.gather(*(one(c) for c in sorted(clients))))


def _pb_date(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


async def calendar_view(up: Upstreams, caller: Caller, location_id: str, start: date, end: date) -> CalendarView:
    """Everything the calendar shows for `location_id` from `start` up to `end` (local days)."""
    check_range(location_id, start, end)
    if not caller.may_see_location(location_id):
        raise NotFound("no such location", reason="LOCATION_NOT_FOUND")
    name = location_name(location_id)
    location, schedules, types, query = await asyncio.gather(
        up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=name), caller),
        _schedules(up, caller, name),
        _type_names(up, caller),
        up.call(
            up.scheduling.QueryCalendar,
            pb.QueryCalendarRequest(
                location=name, start_date=_pb_date(start), end_date=_pb_date(end - timedelta(days=1))
            ),
            caller,
        ),
    )
    zone = ZoneInfo(query.time_zone or location.time_zone or "UTC")
    entries = [e for d in query.days for e in d.entries]
    names = await client_names(up, caller, {e.client for e in entries if e.client})
    staff = sorted((s for s in schedules if s.kind == pb.SCHEDULE_KIND_STAFF), key=lambda s: s.display_name)
    rooms = sorted((s for s in schedules if s.kind != pb.SCHEDULE_KIND_STAFF), key=lambda s: s.display_name)
    resources = [Resource(s.name, s.display_name, "staff") for s in staff]
    resources += [Resource(s.name, s.display_name, "room") for s in rooms]
    kinds = {
        pb.CALENDAR_ENTRY_KIND_SESSION: "session",
        pb.CALENDAR_ENTRY_KIND_APPOINTMENT: "appointment",
        pb.CALENDAR_ENTRY_KIND_TIME_OFF: "time_off",
    }
    events = [
        Event(
            id=f"{e.entry}|{e.schedule}",
            resource=e.schedule,
            start=e.start_time.ToDatetime(tzinfo=zone).replace(tzinfo=None),
            end=e.end_time.ToDatetime(tzinfo=zone).replace(tzinfo=None),
            kind=kinds.get(e.kind, "session"),
            entry=e.entry,
            title=e.description or types.get(e.type, ""),
            type_name=types.get(e.type, ""),
            color=e.color or "#7F8C8D",
            confirmed=e.confirmed,
            client_name=names.get(e.client, ""),
            session_number=e.session_number,
        )
        for e in entries
    ]
    working = {s.name: hours_of(s.working_hours) for s in schedules}
    shades = shading(days_of(start, end), hours_of(location.studio_hours), hours_of(location.lunch_periods), working)
    return CalendarView(location, resources, events, shades)


# --- moving a session ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    session: str  # sessions/{id}
    from_schedule: str
    to_schedule: str
    start: datetime  # local wall clock
    end: datetime
    book_anyway: bool


@dataclass
class NeedsConfirmation(FailedPrecondition):
    """The move breaks the hours rule; staff must confirm explicitly ("Book anyway")."""

    warnings: list[str] = field(default_factory=list)
    reason: str = "OUTSIDE_HOURS"


SESSION_SCHEDULE_FIELDS = ("photographer", "assistant", "camera_room")


async def move_session(up: Upstreams, caller: Caller, move: Move) -> pb.Session:
    """Warn on the hours rule (computed here: scheduling does not report it), then move: the
    column (UpdateSession of the role the old column held) and the time (RescheduleSession),
    each refused by scheduling on a conflict unless `book_anyway`; a refused time puts the
    column back."""
    if move.end <= move.start or move.end - move.start > timedelta(days=1):
        raise InvalidArgument("the new time is not valid", violations=[FieldViolation("end", "after the start")])
    session = await visible_session(up, caller, move.session)
    role = next((f for f in SESSION_SCHEDULE_FIELDS if getattr(session, f) == move.from_schedule), "")
    column_changes = bool(move.to_schedule) and move.to_schedule != move.from_schedule
    if column_changes and not role:
        raise InvalidArgument(
            "the session is not on that column", violations=[FieldViolation("from_schedule", "not on the session")]
        )
    if not move.book_anyway:
        location, target = await asyncio.gather(
            up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=session.location), caller),
            up.call(
                up.scheduling.GetSchedule, pb.GetScheduleRequest(name=move.to_schedule or move.from_schedule), caller
            ),
        )
        warnings = hours_warnings(
            move.start,
            move.end,
            hours_of(location.studio_hours),
            hours_of(location.lunch_periods),
            {target.display_name: hours_of(target.working_hours)},
        )
        if warnings:
            raise NeedsConfirmation("the new time needs confirming: " + "; ".join(warnings), warnings=warnings)
    if column_changes:
        changed = pb.Session(name=move.session)
        setattr(changed, role, move.to_schedule)
        update = pb.UpdateSessionRequest(session=changed, allow_conflicts=move.book_anyway)
        update.update_mask.paths.append(role)
        session = await up.call(up.scheduling.UpdateSession, update, caller)
    local_start = session.start.hours * 60 + session.start.minutes
    same_time = (
        date(session.session_date.year, session.session_date.month, session.session_date.day) == move.start.date()
        and local_start == move.start.hour * 60 + move.start.minute
        and session.end.hours * 60 + session.end.minutes == move.end.hour * 60 + move.end.minute
    )
    if same_time:
        return session
    request = pb.RescheduleSessionRequest(
        name=move.session,
        session_date=_pb_date(move.start.date()),
        start=pb.TimeOfDay(hours=move.start.hour, minutes=move.start.minute),
        end=pb.TimeOfDay(hours=move.end.hour, minutes=move.end.minute),
        allow_conflicts=move.book_anyway,
    )
    try:
        return await up.call(up.scheduling.RescheduleSession, request, caller)
    except UpstreamError:
        if column_changes:
            back = pb.Session(name=move.session)
            setattr(back, role, move.from_schedule)
            undo = pb.UpdateSessionRequest(session=back, allow_conflicts=True)
            undo.update_mask.paths.append(role)
            try:
                await up.call(up.scheduling.UpdateSession, undo, caller)
            except UpstreamError:  # the staff member must still see why the move was refused
                log.warning("could not put a refused move back", extra={"session": move.session})
        raise
