"""Pure scheduling rules: validation of types and statuses, overlaps, due dates, numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
MAX_DURATION_MINUTES = 24 * 60
MAX_BUFFER_MINUTES = 12 * 60
MAX_REMINDER_MINUTES = 28 * 24 * 60
MAX_SESSION_NUMBER_LENGTH = 40


@dataclass(frozen=True)
class Interval:
    """A half-open interval [start, end) of UTC instants."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def widened(self, before_minutes: int, after_minutes: int) -> Interval:
        return Interval(self.start - timedelta(minutes=before_minutes), self.end + timedelta(minutes=after_minutes))


def status_due_date(session_day: date, due_in_days: int) -> date:
    """The status due date: the session date plus the status's due-in days."""
    return session_day + timedelta(days=due_in_days)


def format_session_number(number: int, prefix: str) -> str:
    return f"{prefix}{number}"


def reminder_instant(start: datetime, reminder_minutes: int | None) -> datetime | None:
    """When a session's reminder is due, or None without a reminder."""
    if reminder_minutes is None:
        return None
    return start - timedelta(minutes=reminder_minutes)


def display_text(description: str, confirmed: bool) -> str:
    """What the calendar shows for a block: the description, and "Confirmed" when confirmed."""
    return f"{description} (Confirmed)" if confirmed and description else ("Confirmed" if confirmed else description)
