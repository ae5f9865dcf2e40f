"""A booking as an .ics file the customer adds to their own calendar (RFC 5545, icalendar):
the gateway's download of an online booking and the attachment of every booking email
(notifications) are this one file.

Times carry the location's TZID (with its VTIMEZONE), so a calendar in another zone shows the
right instant and the studio's wall clock; the UID is `{booking id}@shutterbook` for the
download and the emails alike, so importing both gives one event, moved by a reschedule (the
same UID with a higher SEQUENCE) and removed by a cancellation (METHOD:CANCEL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event


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
    sequence: int = 0  # a later change carries a higher one, for calendars to apply it


def booking_uid(booking_id: str) -> str:
    return f"{booking_id}@shutterbook"


def booking_ics(entry: CalendarEntry) -> bytes:
    zone = ZoneInfo(entry.time_zone or "UTC")
    cal = Calendar()
    cal.add("prodid", "-//Shutterbook//Booking//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if entry.cancelled else "PUBLISH")
    event = Event()
    event.add("uid", booking_uid(entry.booking_id))
    event.add("dtstamp", entry.stamp)
    event.add("dtstart", entry.start.astimezone(zone))
    event.add("dtend", entry.end.astimezone(zone))
    event.add("summary", entry.summary)
    event.add("sequence", entry.sequence)
    if entry.location:
        event.add("location", entry.location)
    if entry.description:
        event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
