"""Standing time-slot patterns, pure: "Tuesdays 9-12, 30 minutes, N weeks ahead", stored once,
read as a time-slot pattern row (the shared `time_patterns` expander) over the days that are
due: from today (or the pattern's first day, or the day after the last one generated) to the
last day of the coming `weeks_ahead` weeks (today + 7 x weeks_ahead - 1), in the location's
wall-clock time.

The aggregate (`TimeSlotPattern`) keeps the fields as the studio gave them (`PatternFields`,
echoed back as given); `problems` says what is wrong with them ({path: problem}), and
`standing_pattern` is the rules' view the generator expands. `GeneratedSlots` is what a
generation run announces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shutterbook_kit.errors import Violations
from shutterbook_scheduling.domain.time_patterns import Break, FieldNames, PatternRow, validate_rows

COLLECTION = "timeSlotPatterns"
MAX_WEEKS_AHEAD = 52
ALL_WEEKDAYS = frozenset(range(7))


@dataclass(frozen=True)
class StandingPattern:
    weekdays: frozenset[int]  # date.weekday(): Monday 0 ... Sunday 6
    start_time: time
    end_time: time
    slot_minutes: int
    gap_minutes: int
    breaks: tuple[Break, ...]
    weeks_ahead: int
    start_date: date | None = None


def due_row(pattern: StandingPattern, first: date, last: date) -> PatternRow:
    """The pattern as one expander row over `first`..`last`."""
    return PatternRow(
        start_date=first,
        end_date=last,
        start_time=pattern.start_time,
        end_time=pattern.end_time,
        slot_minutes=pattern.slot_minutes,
        gap_minutes=pattern.gap_minutes,
        excluded_weekdays=ALL_WEEKDAYS - pattern.weekdays,
        breaks=pattern.breaks,
    )


def validate(pattern: StandingPattern, path: str, violations: Violations) -> None:
    """Every bad field, named `{path}.field` (`{path}.breaks[1].end`, `{path}.weeks_ahead`)."""
    if not pattern.weekdays:
        violations.add(f"{path}.weekdays", "choose at least one weekday")
    if not 1 <= pattern.weeks_ahead <= MAX_WEEKS_AHEAD:
        violations.add(f"{path}.weeks_ahead", f"must be 1 to {MAX_WEEKS_AHEAD}")
    row_violations = Violations()
    today = date(2000, 1, 3)  # any day: the row's dates are not the pattern's to get wrong
    validate_rows([due_row(pattern, today, today)], FieldNames(rows="row"), row_violations)
    for item in row_violations.items:
        violations.add(item.field.replace("row[0]", path, 1), item.description)


def due_days(pattern: StandingPattern, today: date, generated_through: date | None) -> tuple[date, date] | None:
    """The first and last local day still to generate, or None when every due day is done."""
    first = today
    if pattern.start_date is not None and pattern.start_date > first:
        first = pattern.start_date
    if generated_through is not None and generated_through >= first:
        first = generated_through + timedelta(days=1)
    last = today + timedelta(days=7 * pattern.weeks_ahead - 1)
    return (first, last) if first <= last else None


# --- the aggregate ------------------------------------------------------------------------------

Clock = tuple[int, int]  # a wall-clock time as given: (hours, minutes), unchecked


@dataclass(frozen=True)
class SlotTemplate:
    """What every generated slot shares (references as given: `locations/{id}`, ...)."""

    location: str = ""
    session_type: str = ""
    appointment_type: str = ""
    schedules: tuple[str, ...] = ()
    published: bool = False
    minimum_notice_minutes: int = 0
    maximum_advance_days: int = 0


@dataclass(frozen=True)
class PatternBreak:
    start: Clock = (0, 0)
    end: Clock = (0, 0)


@dataclass(frozen=True)
class PatternFields:
    """A pattern as the studio gave it, its values not yet checked (`problems`): weekdays in ISO
    numbering (Monday 1 ... Sunday 7; 0 is unset) in the order given, a start date as
    (year, month, day) with (0, 0, 0) for none."""

    template: SlotTemplate = SlotTemplate()
    weekdays: tuple[int, ...] = ()
    start_time: Clock = (0, 0)
    end_time: Clock = (0, 0)
    slot_minutes: int = 0
    gap_minutes: int = 0
    breaks: tuple[PatternBreak, ...] = ()
    weeks_ahead: int = 0
    start_date: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class TimeSlotPattern:
    """A stored pattern: its id, its fields, its location's time zone (taken at creation), the
    last local day generated so far, its creation time."""

    id: str
    fields: PatternFields
    time_zone: str
    generated_through: date | None
    create_time: datetime

    @property
    def name(self) -> str:
        return f"{COLLECTION}/{self.id}"


@dataclass(frozen=True)
class GeneratedSlots:
    """What one run created, as it is announced: the template's references (as the slots name
    them), the first start, the last end, how many."""

    location: str
    session_type: str
    appointment_type: str
    start: datetime
    end: datetime
    count: int


def _clock(value: Clock) -> time | None:
    hours, minutes = value
    return time(hours, minutes) if 0 <= hours <= 23 and 0 <= minutes <= 59 else None


_BAD_CLOCK = "must be hours 0-23 and minutes 0-59"


def _start_date(value: tuple[int, int, int]) -> date | bool | None:
    """The date, None when unset, False when impossible."""
    if value == (0, 0, 0):
        return None
    try:
        return date(*value)
    except ValueError:
        return False


def _read(f: PatternFields, problems: dict[str, str]) -> StandingPattern | None:
    """The rules' view of the fields, every unreadable value named in `problems`; None when a
    time or break is unreadable."""
    weekdays: set[int] = set()
    for j, d in enumerate(f.weekdays):
        if not 1 <= d <= 7:
            problems[f"weekdays[{j}]"] = "is not a weekday"
        else:
            weekdays.add(d - 1)
    start = _clock(f.start_time)
    if start is None:
        problems["start_time"] = _BAD_CLOCK
    end = _clock(f.end_time)
    if end is None:
        problems["end_time"] = _BAD_CLOCK
    breaks: list[Break] = []
    for j, b in enumerate(f.breaks):
        b_start, b_end = _clock(b.start), _clock(b.end)
        if b_start is None:
            problems[f"breaks[{j}].start"] = _BAD_CLOCK
        if b_end is None:
            problems[f"breaks[{j}].end"] = _BAD_CLOCK
        if b_start is not None and b_end is not None:
            breaks.append(Break(b_start, b_end))
    first = _start_date(f.start_date)
    if first is False:
        problems["start_date"] = "is not a valid date"
    if start is None or end is None or len(breaks) != len(f.breaks):
        return None
    return StandingPattern(
        weekdays=frozenset(weekdays),
        start_time=start,
        end_time=end,
        slot_minutes=f.slot_minutes,
        gap_minutes=f.gap_minutes,
        breaks=tuple(breaks),
        weeks_ahead=f.weeks_ahead,
        start_date=first if isinstance(first, date) else None,
    )


def problems(f: PatternFields) -> dict[str, str]:
    """Path (relative to the pattern: `weekdays[0]`, `breaks[1].end`, `weeks_ahead`) -> what is
    wrong with the fields (the template's references are checked against the studio's setup,
    not here); empty when the pattern may be stored."""
    found: dict[str, str] = {}
    pattern = _read(f, found)
    if pattern is not None:
        v = Violations()
        validate(pattern, "pattern", v)
        for item in v.items:
            found.setdefault(item.field.removeprefix("pattern."), item.description)
    return found


def standing_pattern(f: PatternFields) -> StandingPattern | None:
    """The rules' view of stored fields (checked when the pattern was created); None when a
    time or break is unreadable."""
    return _read(f, {})
