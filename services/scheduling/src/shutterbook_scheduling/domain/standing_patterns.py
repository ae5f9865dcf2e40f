"""Standing time-slot patterns, pure: "Tuesdays 9-12, 30 minutes, N weeks ahead", stored once,
read as a time-slot pattern row (the shared `time_patterns` expander) over the days that are
due: from today (or the pattern's first day, or the day after the last one generated) to the
last day of the coming `weeks_ahead` weeks (today + 7 x weeks_ahead - 1), in the location's
wall-clock time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from shutterbook_kit.errors import Violations
from shutterbook_scheduling.domain.time_patterns import Break, FieldNames, PatternRow, validate_rows

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
