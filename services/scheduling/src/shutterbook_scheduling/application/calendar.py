"""The calendar (blocks on schedules over local days) and its iCalendar export. Issue 13's shape
(see application/company.py): domain objects in and out (domain/calendar.py), reads through
storage/calendar_repository.py, messages at the API edge (api/calendar_convert.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar

from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.domain import times
from shutterbook_scheduling.domain.calendar import Calendar, by_day, feed_uid, summary
from shutterbook_scheduling.storage.calendar_repository import CalendarRepository

FEED_PAST = timedelta(days=30)  # an export without a start begins this long ago
FEED_LENGTH = timedelta(days=365)  # ... and without an end, runs this long from its start


async def query_calendar(
    db: Database, company_id: str, location_id: str, first: date, last: date, schedule_ids: list[str]
) -> Calendar:
    """The location's days from `first` to `last` in its zone, with the occupied time of the
    schedules named (each must be at the location), or of every schedule there."""
    async with UnitOfWork(db, readonly=True) as uow:
        repo = CalendarRepository(uow, caller_scope())
        place = await repo.location(company_id, location_id)
        if place is None:
            raise NotFound(f"locations/{location_id} not found")
        at_location = await repo.schedule_ids_at(company_id, location_id)
        v = Violations()
        for i, schedule_id in enumerate(schedule_ids):
            if schedule_id not in at_location:
                v.add(f"schedules[{i}]", f"schedules/{schedule_id} is not a schedule of locations/{location_id}")
        v.raise_if_any()
        wanted = schedule_ids or sorted(at_location)
        days = times.local_days(first, last, times.zone(place.time_zone))
        entries = await repo.entries(company_id, wanted, days[0].start, days[-1].end) if wanted else []
    return Calendar(place.time_zone, by_day(days, entries))


async def export_schedule_ics(
    db: Database, company_id: str, schedule_id: str, start: datetime | None, end: datetime | None
) -> bytes:
    """RFC 5545: one VEVENT per block, UTC times, stable UIDs (a re-import updates in place)."""
    start = start if start is not None else datetime.now(UTC) - FEED_PAST
    end = end if end is not None else start + FEED_LENGTH
    if end <= start:
        v = Violations()
        v.add("end_time", "must be after start_time")
        v.raise_if_any()
    async with UnitOfWork(db, readonly=True) as uow:
        repo = CalendarRepository(uow, caller_scope())
        schedule = await repo.schedule(company_id, schedule_id)
        if schedule is None:
            raise NotFound(f"schedules/{schedule_id} not found")
        place = await repo.location(company_id, schedule.location_id)
        entries = await repo.entries(company_id, [schedule_id], start, end)
        names = await repo.client_names(company_id, {e.client for e in entries if e.client})
        type_names = await repo.type_names(company_id)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Shutterbook//Scheduling//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", schedule.display_name)
    if place is not None:
        cal.add("x-wr-timezone", place.time_zone)
    stamp = datetime.now(UTC)
    seen: dict[str, int] = {}
    for entry in entries:
        event = icalendar.Event()
        event.add("uid", feed_uid(entry, schedule_id, seen))
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", summary(entry, names, type_names))
        if entry.session_number:
            event.add("description", f"Session {entry.session_number}")
        if place is not None:
            event.add("location", place.display_name)
        event.add("status", "CONFIRMED" if entry.confirmed else "TENTATIVE")
        cal.add_component(event)
    return bytes(cal.to_ical())
