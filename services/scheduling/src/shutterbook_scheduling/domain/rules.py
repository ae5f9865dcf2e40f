"""Pure scheduling rules: validation of types and statuses, overlaps, due dates, numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shutterbook_kit.errors import Violations

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


SESSION_NUMBER_SEARCH = 10_000  # numbers tried past the next one before giving up


def session_number_candidates(first: int, prefix: str) -> Iterator[tuple[int, str]]:
    """The numbers a booking tries in order, from the company's next one (numbers taken by hand
    are skipped): each with its formatted session number, `SESSION_NUMBER_SEARCH` of them."""
    for number in range(first, first + SESSION_NUMBER_SEARCH):
        yield number, format_session_number(number, prefix)


def reminder_instant(start: datetime, reminder_minutes: int | None) -> datetime | None:
    """When a session's reminder is due, or None without a reminder."""
    if reminder_minutes is None:
        return None
    return start - timedelta(minutes=reminder_minutes)


def display_text(description: str, confirmed: bool) -> str:
    """What the calendar shows for a block: the description, and "Confirmed" when confirmed."""
    return f"{description} (Confirmed)" if confirmed and description else ("Confirmed" if confirmed else description)


def occupies(*, on_hold: bool, cancelled: bool) -> bool:
    """Whether a session takes its schedules' time: on-hold and cancelled sessions do not."""
    return not (on_hold or cancelled)


def participant_problems(participants: list[str], client_id: str, family_member_ids: set[str]) -> dict[int, str]:
    """Why participants cannot take part, by position: each must be a family member of the
    session's client (`clients/{client_id}/familyMembers/{member_id}`), listed once."""
    problems: dict[int, str] = {}
    for i, participant in enumerate(participants):
        parts = participant.split("/")
        family = (
            len(parts) == 4
            and parts[0] == "clients"
            and parts[2] == "familyMembers"
            and parts[1] == client_id
            and parts[3] in family_member_ids
        )
        if not family:
            problems[i] = f"{participant} is not a family member of clients/{client_id}"
        elif participant in participants[:i]:
            problems[i] = f"{participant} is listed twice"
    return problems


# CancellationPolicy values (scheduling.proto): unset, refund in full, keep the deposit, keep a fee
CANCELLATION_POLICIES = (0, 1, 2, 3)
KEEP_FEE = 3


def check_cancellation_policy(policy: int, has_fee: bool, path: str, v: Violations) -> None:
    """A fee goes with the keep-a-fee policy and only with it."""
    if policy not in CANCELLATION_POLICIES:
        v.add(f"{path}.cancellation_policy", "is not a known policy")
    elif policy == KEEP_FEE and not has_fee:
        v.add(f"{path}.cancellation_fee", "is required to keep a fee")
    elif policy != KEEP_FEE and has_fee:
        v.add(f"{path}.cancellation_fee", "is only used with the keep-a-fee policy")


def one_line_address(lines: list[str], locality: str, area: str, postal_code: str) -> str:
    """ "120 Main Street, New York, NY 10001": how documents and letters print a location."""
    tail = " ".join(p for p in (area, postal_code) if p)
    return ", ".join(p for p in [*lines, locality, tail] if p)
