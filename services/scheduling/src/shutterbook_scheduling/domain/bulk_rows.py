"""Bulk scheduling's time-slot rows and slot assignment, pure.

The rows of the Bulk Session Wizard (reference page 04) are expanded by the shared
`time_patterns` expander: "break start/end" is one Break, "exclude Saturdays/Sundays" are
excluded weekdays 5/6, "minutes between sessions" is the gap. `FIELD_NAMES` makes its
violations read like the bulk API's fields, e.g. `time_slot_rows[2].end_date`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from shutterbook_kit.errors import Violations
from shutterbook_scheduling.domain.time_patterns import Break, FieldNames, PatternRow, Slot, validate_rows

FIELD_NAMES = FieldNames(
    rows="time_slot_rows",
    slot_minutes="session_duration_minutes",
    gap_minutes="minutes_between_sessions",
    breaks="",  # one break per row: its fields sit on the row itself
    break_start="break_start",
    break_end="break_end",
)
SATURDAY = 5
SUNDAY = 6


@dataclass(frozen=True)
class BulkRow:
    """One wizard row as entered (times are wall-clock times of the location)."""

    start_date: date
    end_date: date
    start_time: time
    end_time: time
    session_duration_minutes: int
    exclude_saturdays: bool = False
    exclude_sundays: bool = False
    break_start: time | None = None
    break_end: time | None = None
    minutes_between_sessions: int = 0


def pattern_row(row: BulkRow) -> PatternRow:
    """The expander's row for a wizard row."""
    excluded = {SATURDAY} if row.exclude_saturdays else set()
    if row.exclude_sundays:
        excluded.add(SUNDAY)
    breaks = (
        (Break(row.break_start, row.break_end),) if row.break_start is not None and row.break_end is not None else ()
    )
    return PatternRow(
        start_date=row.start_date,
        end_date=row.end_date,
        start_time=row.start_time,
        end_time=row.end_time,
        slot_minutes=row.session_duration_minutes,
        gap_minutes=row.minutes_between_sessions,
        excluded_weekdays=frozenset(excluded),
        breaks=breaks,
    )


def check_row(row: BulkRow, at: str, v: Violations) -> bool:
    """Validate one row alone, its violations named `{at}.field` (so each carries its own index
    even when another row is unreadable); whether it passed."""
    alone = Violations()
    validate_rows([pattern_row(row)], FIELD_NAMES, alone)
    for item in alone.items:
        v.add(at + item.field.removeprefix(f"{FIELD_NAMES.rows}[0]"), item.description)
    return not alone.items


def slots_per_row(slots: Sequence[Slot], row_count: int) -> list[int]:
    counts = [0] * row_count
    for slot in slots:
        counts[slot.row] += 1
    return counts


def slot_order(slots: Sequence[Slot]) -> list[Slot]:
    """Slots in the order clients take them: by start time (rows may interleave), then row."""
    return sorted(slots, key=lambda s: (s.start, s.row))
