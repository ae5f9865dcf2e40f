"""Time-slot patterns, pure: rows of "from this date to that, each day from this time to
that, slots of N minutes with M minutes between them, skipping these weekdays and breaks",
expanded into UTC instants in a location's time zone.

One expander serves both the online time slots (reference page 05) and the bulk
scheduling wizard's time-slot rows (reference page 04), so "how many sessions do these
rows hold" and "which slots exist" can never disagree.

Rules, all in the location's wall-clock time:
- a day's slots start at `start_time` and follow each other every `slot + gap` minutes;
  the last one must end by `end_time`;
- a slot that would overlap a break starts instead when the break ends;
- wall-clock times are kept across DST changes (a 10:00 slot is at 10:00 local on both
  sides of the change), so slot lengths are wall-clock lengths;
- a slot whose start or end does not exist locally (inside a spring-forward gap) is left
  out; an ambiguous time (inside a fall-back hour) means its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shutterbook_kit.errors import Violations

MAX_DAYS = 366
MAX_SLOTS = 20_000


@dataclass(frozen=True)
class Break:
    start: time
    end: time


@dataclass(frozen=True)
class PatternRow:
    start_date: date
    end_date: date
    start_time: time
    end_time: time
    slot_minutes: int
    gap_minutes: int = 0
    excluded_weekdays: frozenset[int] = frozenset()  # date.weekday(): Monday 0 ... Sunday 6
    breaks: tuple[Break, ...] = ()


@dataclass(frozen=True)
class FieldNames:
    """How the API that carries the rows names their fields, so violations name them right."""

    rows: str = "rows"
    start_date: str = "start_date"
    end_date: str = "end_date"
    start_time: str = "start_time"
    end_time: str = "end_time"
    slot_minutes: str = "slot_minutes"
    gap_minutes: str = "gap_minutes"
    breaks: str = "breaks"
    break_start: str = "start"
    break_end: str = "end"


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC
    row: int  # index of the row it came from


@dataclass
class Expansion:
    slots: list[Slot] = field(default_factory=list)
    skipped_nonexistent: int = 0  # slots dropped because a local time did not exist (DST gap)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def validate_rows(
    rows: list[PatternRow], names: FieldNames = FieldNames(), violations: Violations | None = None
) -> None:
    """Every bad field of every row, each named `rows[i].field` (raises unless `violations` is given)."""
    v = violations or Violations()
    if not rows:
        v.add(names.rows, "at least one row is required")
    for i, row in enumerate(rows):
        at = f"{names.rows}[{i}]"
        if row.end_date < row.start_date:
            v.add(f"{at}.{names.end_date}", "must not be before the start date")
        elif (row.end_date - row.start_date).days >= MAX_DAYS:
            v.add(f"{at}.{names.end_date}", f"a row spans at most {MAX_DAYS} days")
        if row.end_time <= row.start_time:
            v.add(f"{at}.{names.end_time}", "must be after the start time")
        if row.slot_minutes <= 0:
            v.add(f"{at}.{names.slot_minutes}", "must be at least 1 minute")
        elif row.end_time > row.start_time and row.slot_minutes > _minutes(row.end_time) - _minutes(row.start_time):
            v.add(f"{at}.{names.slot_minutes}", "is longer than the day from start time to end time")
        if row.gap_minutes < 0:
            v.add(f"{at}.{names.gap_minutes}", "must not be negative")
        if any(d not in range(7) for d in row.excluded_weekdays):
            v.add(f"{at}.excluded_weekdays", "weekdays are 0 (Monday) to 6 (Sunday)")
        for j, b in enumerate(row.breaks):
            where = f"{at}.{names.breaks}[{j}]" if names.breaks else at
            if b.end <= b.start:
                v.add(f"{where}.{names.break_end}", "must be after the break start")
            elif b.start < row.start_time or b.end > row.end_time:
                field_name = names.break_start if b.start < row.start_time else names.break_end
                v.add(f"{where}.{field_name}", "the break must lie within the day's start and end times")
    if violations is None:
        v.raise_if_any()


def _local_instant(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time, or None if that time does not exist that day."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute_of_day)
    local = naive.replace(tzinfo=zone, fold=0)
    round_trip = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:  # inside a spring-forward gap
        return None
    return local.astimezone(UTC)


def _day_starts(row: PatternRow) -> Iterator[int]:
    """Start minutes (wall clock) of one day's slots."""
    t = _minutes(row.start_time)
    end = _minutes(row.end_time)
    breaks = sorted((_minutes(b.start), _minutes(b.end)) for b in row.breaks)
    while t + row.slot_minutes <= end:
        overlapping = [b_end for b_start, b_end in breaks if t < b_end and b_start < t + row.slot_minutes]
        if overlapping:
            t = max(overlapping)
            continue
        yield t
        t += row.slot_minutes + row.gap_minutes


def expand(rows: list[PatternRow], zone: ZoneInfo, names: FieldNames = FieldNames()) -> Expansion:
    """Validate, then expand every row into slots, in row order, then time order within a row."""
    validate_rows(rows, names)
    result = Expansion()
    for i, row in enumerate(rows):
        day = row.start_date
        while day <= row.end_date:
            if day.weekday() not in row.excluded_weekdays:
                for start_minute in _day_starts(row):
                    start = _local_instant(day, start_minute, zone)
                    end = _local_instant(day, start_minute + row.slot_minutes, zone)
                    if start is None or end is None:
                        result.skipped_nonexistent += 1
                        continue
                    result.slots.append(Slot(start=start, end=end, row=i))
                    if len(result.slots) > MAX_SLOTS:
                        v = Violations()
                        v.add(names.rows, f"the rows expand to more than {MAX_SLOTS} slots")
                        v.raise_if_any()
            day += timedelta(days=1)
    return result
