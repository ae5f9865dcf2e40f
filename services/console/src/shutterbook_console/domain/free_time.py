"""The "find free time" rule with no I/O: given what a booking needs (its length and the type's
buffers), a location's studio hours and lunch, and the columns it must go on (each with its
working hours and the time it is already occupied, buffers included), the next starts that fit.

A start fits a column when the booking (start to end) lies inside the studio's hours and the
column's working hours (rules a location or schedule does not state do not restrict), touches
no lunch period, and the time it occupies (start - buffer before to end + buffer after) overlaps
nothing the column already has. All times are the location's wall clock (naive datetimes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from shutterbook_console.domain.calendar import Hours, hours_warnings

STEP = timedelta(minutes=15)
MAX_ANSWERS = 8

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Need:
    """What the booking takes: its length and its type's buffers."""

    duration: timedelta
    buffer_before: timedelta = timedelta()
    buffer_after: timedelta = timedelta()


@dataclass(frozen=True)
class Column:
    """A schedule the booking goes on: its name, working hours (empty: not stated) and the
    intervals it is occupied (buffers of existing bookings included, time off too)."""

    schedule: str
    working: Sequence[Hours] = ()
    busy: Sequence[Interval] = field(default_factory=tuple)


@dataclass(frozen=True)
class FreeTime:
    start: datetime
    end: datetime
    schedules: tuple[str, ...]  # the columns it was found free on


def occupied(start: datetime, need: Need) -> Interval:
    return start - need.buffer_before, start + need.duration + need.buffer_after


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def fits(
    start: datetime, need: Need, studio: Sequence[Hours], lunch: Sequence[Hours], columns: Sequence[Column]
) -> bool:
    """Whether a booking from `start` fits every column (the rule of this module)."""
    end = start + need.duration
    if end.date() != start.date() and end != datetime.combine(start.date() + timedelta(days=1), time()):
        return False  # a booking stays within its day
    working = {c.schedule: list(c.working) for c in columns}
    if hours_warnings(start, end, list(studio), list(lunch), working):
        return False
    held = occupied(start, need)
    return not any(overlaps(held, b) for c in columns for b in c.busy)


def _starts(day: date, studio: Sequence[Hours]) -> Iterable[datetime]:
    """Candidate starts of `day` on the STEP grid: within studio hours when stated."""
    periods = [h for h in studio if h.weekday == day.isoweekday()]
    if studio and not periods:
        return []
    first = min((h.start for h in periods), default=time())
    cursor = datetime.combine(day, first)
    # align to the grid from midnight
    minutes = cursor.hour * 60 + cursor.minute
    step = int(STEP.total_seconds() // 60)
    cursor += timedelta(minutes=(-minutes) % step)
    end = datetime.combine(day + timedelta(days=1), time())
    out = []
    while cursor < end:
        out.append(cursor)
        cursor += STEP
    return out


def free_times(
    days: Sequence[date],
    need: Need,
    studio: Sequence[Hours],
    lunch: Sequence[Hours],
    groups: Sequence[Sequence[Column]],
    *,
    earliest: datetime,
    limit: int = MAX_ANSWERS,
    per_start: int | None = None,
) -> list[FreeTime]:
    """The first `limit` starts (earliest first, on a 15-minute grid, not before `earliest`)
    at which the booking fits every column of one of `groups`: one group per way of booking
    it (the staff and room asked for; or, with none asked, each staff schedule on its own), at
    most `per_start` of them at one start."""
    if need.duration <= timedelta() or limit <= 0:
        return []
    found: list[FreeTime] = []
    for day in sorted(days):
        for start in _starts(day, studio):
            if start < earliest:
                continue
            here = 0
            for group in groups:
                if per_start is not None and here >= per_start:
                    break  # spread the answers over more starts rather than every column at one
                if fits(start, need, studio, lunch, group):
                    here += 1
                    found.append(FreeTime(start, start + need.duration, tuple(c.schedule for c in group)))
                    if len(found) >= limit:
                        return found
    return found
