"""Wall-clock time in a location's IANA zone, DST-correct. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class NonexistentLocalTime(ValueError):
    """A wall-clock time skipped by a DST change (for example 02:30 on a spring-forward day)."""


def zone(name: str) -> ZoneInfo:
    """The zone of an IANA name; ValueError when unknown (or not a real IANA name)."""
    if not name or name != name.strip() or name not in _zone_names():
        raise ValueError(f"unknown IANA time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


_ZONES: set[str] = set()


def _zone_names() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def local_to_utc(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time.

    A time skipped by a DST change raises NonexistentLocalTime. An ambiguous time (the hour
    repeated when clocks fall back) takes its first occurrence (fold=0), the one a person
    writing "01:30" on that day most likely means, as most calendar software does.
    """
    local = datetime.combine(day, clock, tzinfo=tz).replace(fold=0)
    as_utc = local.astimezone(UTC)
    # Round-tripping shows a skipped time: it comes back as a different wall clock.
    back = as_utc.astimezone(tz)
    if (back.date(), back.time().replace(tzinfo=None)) != (day, clock):
        raise NonexistentLocalTime(f"{day} {clock} does not exist in {tz.key} (a DST change skips it)")
    return as_utc


@dataclass(frozen=True)
class DayBounds:
    day: date
    start: datetime
    end: datetime


def local_days(first: date, last: date, tz: ZoneInfo) -> list[DayBounds]:
    """Each local day from `first` to `last` with its UTC bounds (23 or 25 hours on DST days).

    Local midnight exists in every zone this service accepts on DST days in practice; where a
    zone skips midnight itself, the day starts at the first instant after the gap.
    """
    days: list[DayBounds] = []
    current = first
    while current <= last:
        days.append(DayBounds(current, _day_start(current, tz), _day_start(current + timedelta(days=1), tz)))
        current += timedelta(days=1)
    return days


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    try:
        return local_to_utc(day, time(0, 0), tz)
    except NonexistentLocalTime:
        return datetime.combine(day, time(1, 0), tzinfo=tz).astimezone(UTC)


class WallClockProblem(ValueError):
    """Wall-clock input that cannot be planned: `field` is "start" or "end"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PlannedTimes:
    """A block's UTC instants, and its local end (given, or defaulted from the duration)."""

    start: datetime
    end: datetime
    end_clock: time


def plan_times(
    day: date, start_clock: time, end_clock: time | None, duration_minutes: int, tz: ZoneInfo
) -> PlannedTimes:
    """Read a local date, start and optional end in the zone `tz` (an ambiguous time is its
    first occurrence); without an end, the start plus `duration_minutes`, on the same day.
    Raises WallClockProblem for a time skipped by DST, an end not after the start, or a
    default end past midnight."""
    try:
        start = local_to_utc(day, start_clock, tz)
    except NonexistentLocalTime as exc:
        raise WallClockProblem("start", str(exc)) from None
    if end_clock is None:
        end = start + timedelta(minutes=duration_minutes)
        local_end = end.astimezone(tz)
        if local_end.date() != day:
            raise WallClockProblem("end", "the default duration runs past midnight; give an end")
        return PlannedTimes(start, end, local_end.time().replace(tzinfo=None))
    if end_clock <= start_clock:
        raise WallClockProblem("end", "must be after start")
    try:
        end = local_to_utc(day, end_clock, tz)
    except NonexistentLocalTime as exc:
        raise WallClockProblem("end", str(exc)) from None
    if end <= start:
        raise WallClockProblem("end", "must be after start")
    return PlannedTimes(start, end, end_clock)
