"""The calendar (issue 13's domain objects): the occupied time of a location's schedules, day by
day in the location's zone, and the summary line of an entry in a calendar feed. Plain Python:
storage/calendar_repository.py reads the rows, api/calendar_convert.py makes the messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from shutterbook_scheduling.domain import rules
from shutterbook_scheduling.domain.times import DayBounds

MAX_CALENDAR_DAYS = 62  # the longest range one calendar query covers


class EntryKind(StrEnum):
    SESSION = "session"
    APPOINTMENT = "appointment"
    TIME_OFF = "timeoff"  # a schedule's time off (its blocks' entry kind)


@dataclass(frozen=True)
class CalendarEntry:
    """One occupying block on a schedule with what the calendar shows of its session,
    appointment or time off. `kind` is None for a block whose entry was not found."""

    schedule_id: str
    entry: str  # sessions/{id}, appointments/{id}, or (time off) schedules/{id}
    kind: EntryKind | None
    start: datetime
    end: datetime
    occupied_start: datetime
    occupied_end: datetime
    description: str = ""
    type: str = ""  # sessionTypes/{id} or appointmentTypes/{id}
    confirmed: bool = False
    client: str = ""
    session_number: str = ""
    color: str = ""

    @property
    def display_text(self) -> str:
        return rules.display_text(self.description, self.confirmed)


@dataclass(frozen=True)
class CalendarDay:
    day: date
    start: datetime
    end: datetime
    entries: list[CalendarEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Calendar:
    time_zone: str
    days: list[CalendarDay]


def by_day(days: list[DayBounds], entries: list[CalendarEntry]) -> list[CalendarDay]:
    """The entries on the local day each starts on (one that started before the range: the first
    day), in the order given."""
    out = [CalendarDay(d.day, d.start, d.end) for d in days]
    for entry in entries:
        index = next((i for i, d in enumerate(days) if d.start <= entry.start < d.end), 0)
        out[index].entries.append(entry)
    return out


def summary(entry: CalendarEntry, names: dict[str, str], type_names: dict[str, str]) -> str:
    """ "Ada Lovelace - Family Portrait (Confirmed)": who and what, never a note the customer typed
    online (an online booking's description is the customer's note)."""
    if entry.kind is EntryKind.TIME_OFF:
        return entry.description or "Time off"
    kind = "Session" if entry.kind is EntryKind.SESSION else "Appointment"
    who = names.get(entry.client, "")
    what = type_names.get(entry.type, "") or kind
    if not who:
        return entry.display_text or what
    return rules.display_text(f"{who} - {what}", entry.confirmed)


def feed_uid(entry: CalendarEntry, schedule_id: str, seen: dict[str, int]) -> str:
    """One UID per session or appointment (and per block of it on this schedule, in order): a
    reschedule moves the event in a subscriber's calendar instead of adding one. `seen` counts
    the entry's blocks so far."""
    seen[entry.entry] = seen.get(entry.entry, 0) + 1
    part = f"-{seen[entry.entry]}" if seen[entry.entry] > 1 else ""
    return f"{entry.entry.replace('/', '-')}-{schedule_id}{part}@shutterbook"
