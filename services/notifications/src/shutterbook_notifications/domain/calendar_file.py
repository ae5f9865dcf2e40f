"""The .ics attachment of a booking email (RFC 5545, through the icalendar library)."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event


def booking_ics(
    *,
    uid: str,
    summary: str,
    start: datetime,
    end: datetime,
    location: str,
    description: str,
    sequence: int,
    stamp: datetime,
    cancelled: bool = False,
) -> bytes:
    """One event; a reschedule reuses the uid with a higher sequence, a cancellation is METHOD:CANCEL."""
    cal = Calendar()
    cal.add("prodid", "-//Shutterbook//Notifications//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("sequence", sequence)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(event)
    return bytes(cal.to_ical())
