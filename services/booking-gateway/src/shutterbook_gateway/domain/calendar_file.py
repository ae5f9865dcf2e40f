"""Several schedules' .ics exports as one calendar (a staff member's feed); a single booking's
file is `shutterbook_kit.calendar_file`, shared with the booking emails."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar, Component


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
