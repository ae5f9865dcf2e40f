"""What an online time-slot request gives, read at the API edge (api/slot_convert.py) into plain
Python: a slot's wall-clock day and times, a generation's pattern rows. Whatever could not be read
is kept as its violations (`found`): a use case adds them after its template's, so a request's
violations keep the order they always had."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from shutterbook_kit.errors import Violations
from shutterbook_scheduling.domain.time_patterns import PatternRow


@dataclass(frozen=True)
class SlotTimes:
    """A slot's day, start and end on the location's wall clock (None: unreadable)."""

    day: date | None
    start: time | None
    end: time | None
    found: Violations = field(default_factory=Violations)


@dataclass(frozen=True)
class PatternRows:
    """A generation's rows as read, and how many were given (a row with an unreadable field is
    left out: the rows are then incomplete)."""

    rows: tuple[PatternRow, ...]
    given: int
    found: Violations = field(default_factory=Violations)

    @property
    def complete(self) -> bool:
        return bool(self.rows) and len(self.rows) == self.given
