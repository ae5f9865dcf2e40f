"""The zone a deposit's receipt shows its time in: the client's session nearest in time, else
the staff member's one location, else UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shutterbook_console.domain.receipt_zone import deposit_receipt_zone

TAKEN = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_the_session_nearest_in_time_names_the_zone() -> None:
    sessions = [
        (TAKEN - timedelta(days=200), "America/Los_Angeles"),  # long ago, elsewhere
        (TAKEN + timedelta(days=3), "America/New_York"),  # the one coming up
        (TAKEN + timedelta(days=90), "Europe/London"),
    ]
    assert deposit_receipt_zone(TAKEN, sessions, "America/Chicago") == "America/New_York"
    assert deposit_receipt_zone(TAKEN, [(TAKEN - timedelta(hours=2), "Europe/Berlin")]) == "Europe/Berlin"


def test_without_sessions_the_staff_members_location_else_utc() -> None:
    assert deposit_receipt_zone(TAKEN, [], "America/Chicago") == "America/Chicago"
    assert deposit_receipt_zone(TAKEN, [(TAKEN, "")], "") == "UTC"
    assert deposit_receipt_zone(TAKEN, []) == "UTC"
