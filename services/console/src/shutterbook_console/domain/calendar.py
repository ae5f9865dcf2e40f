"""Calendar rules with no I/O: the shading of a location's days (closed hours, lunch, a
schedule's time outside its working hours) and the hours warning a move needs confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

MAX_DAYS = 42  # the widest range one calendar request may ask (six weeks)


@dataclass(frozen=True)
class Hours:
    """One weekly period: ISO weekday (1 Monday .. 7 Sunday), local start and end."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Shade:
    """A background block in local wall-clock time; `resource` empty: every column."""

    start: datetime
    end: datetime
    kind: str  # "closed", "lunch", "off" (outside a schedule's working hours)
    resource: str = ""


def days_of(start: date, end: date) -> list[date]:
    """The days from `start` up to, not including, `end`."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


def _open_periods(day: date, hours: list[Hours]) -> list[tuple[datetime, datetime]]:
    return sorted(
        (datetime.combine(day, h.start), datetime.combine(day, h.end)) for h in hours if h.weekday == day.isoweekday()
    )


def _gaps(day: date, periods: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The parts of `day` outside `periods`."""
    gaps: list[tuple[datetime, datetime]] = []
    cursor = datetime.combine(day, time())
    for start, end in periods:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    day_end = datetime.combine(day + timedelta(days=1), time())
    if cursor < day_end:
        gaps.append((cursor, day_end))
    return gaps


def shading(days: list[date], studio: list[Hours], lunch: list[Hours], working: dict[str, list[Hours]]) -> list[Shade]:
    """Closed hours (when the location states its hours), lunch, and each schedule's time
    outside its working hours (when it states them) inside the studio's open hours."""
    shades: list[Shade] = []
    for day in days:
        if studio:
            shades += [Shade(s, e, "closed") for s, e in _gaps(day, _open_periods(day, studio))]
        shades += [Shade(s, e, "lunch") for s, e in _open_periods(day, lunch)]
        for resource, hours in working.items():
            if hours:
                shades += [Shade(s, e, "off", resource) for s, e in _gaps(day, _open_periods(day, hours))]
    return shades


def _covered(start: datetime, end: datetime, periods: list[tuple[datetime, datetime]]) -> bool:
    return any(s <= start and end <= e for s, e in periods)


def _overlaps(start: datetime, end: datetime, periods: list[tuple[datetime, datetime]]) -> bool:
    return any(s < end and start < e for s, e in periods)


def hours_warnings(
    start: datetime, end: datetime, studio: list[Hours], lunch: list[Hours], working: dict[str, list[Hours]]
) -> list[str]:
    """Why a booking from `start` to `end` (local) needs an explicit confirmation: outside
    studio hours, in a lunch period, outside a named schedule's working hours. Rules not
    stated (no studio hours, no working hours) do not warn."""
    day = start.date()
    warnings: list[str] = []
    if studio and not _covered(start, end, _open_periods(day, studio)):
        warnings.append("outside studio hours")
    if _overlaps(start, end, _open_periods(day, lunch)):
        warnings.append("in a lunch period")
    for name, hours in working.items():
        if hours and not _covered(start, end, _open_periods(day, hours)):
            warnings.append(f"outside {name}'s working hours")
    return warnings
