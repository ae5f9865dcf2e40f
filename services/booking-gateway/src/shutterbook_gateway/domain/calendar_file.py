"""A booking as an .ics file the customer adds to their own calendar (RFC 5545, icalendar).

Times carry the location's TZID (with its VTIMEZONE), so a calendar in another zone shows the
right instant and the studio's wall clock; the UID is the one the confirmation email's
attachment uses (`{booking id}@shutterbook`), so importing both gives one event, moved by a
reschedule and cancelled by a cancellation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event


@dataclass(frozen=True)
class CalendarEntry:
    booking_id: str
    summary: str
    start: datetime  # aware
    end: datetime
    time_zone: str
    location: str
    description: str
    cancelled: bool
    stamp: datetime


def booking_uid(booking_id: str) -> str:
    return f"{booking_id}@shutterbook"


def booking_ics(entry: CalendarEntry) -> bytes:
    zone = ZoneInfo(entry.time_zone)
    cal = Calendar()
    cal.add("prodid", "-//Shutterbook//Booking page//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if entry.cancelled else "PUBLISH")
    event = Event()
    event.add("uid", booking_uid(entry.booking_id))
    event.add("dtstamp", entry.stamp)
    event.add("dtstart", entry.start.astimezone(zone))
    event.add("dtend", entry.end.astimezone(zone))
    event.add("summary", entry.summary)
    if entry.location:
        event.add("location", entry.location)
    if entry.description:
        event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def merged_calendar(parts: list[bytes], name: str) -> bytes:
    """One calendar of several schedules' exports (a staff member's feed across every schedule
    they are on): each time zone once, each event once (by UID), events in start order."""
    merged = Calendar()
    merged.add("prodid", "-//Shutterbook//Staff calendar//EN")
    merged.add("version", "2.0")
    merged.add("calscale", "GREGORIAN")
    merged.add("method", "PUBLISH")
    merged.add("x-wr-calname", name)
    zones: set[str] = set()
    seen: set[str] = set()
    events = []
    for part in parts:
        cal = Calendar.from_ical(part)
        for zone in cal.walk("VTIMEZONE"):
            if str(zone["tzid"]) not in zones:
                zones.add(str(zone["tzid"]))
                merged.add_component(zone)
        for event in cal.walk("VEVENT"):
            if str(event["uid"]) not in seen:
                seen.add(str(event["uid"]))
                events.append(event)
    for event in sorted(events, key=lambda e: (_utc_start(e), str(e["uid"]))):
        merged.add_component(event)
    return bytes(merged.to_ical())


def _utc_start(event: Component) -> datetime:
    start: object = event.decoded("dtstart")
    if isinstance(start, datetime):
        return start if start.tzinfo else start.replace(tzinfo=UTC)
    if isinstance(start, date):  # an all-day event: its date at midnight UTC
        return datetime(start.year, start.month, start.day, tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)
