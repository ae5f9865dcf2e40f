"""The console's pure rules: lock lengths, email and password checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shutterbook_console.application.bulk_wizard import failure_text
from shutterbook_console.domain.staff import check_locations, check_password, check_roles, clean_email, email_key
from shutterbook_console.domain.throttle import MAX_LOCK, ThrottlePolicy
from shutterbook_kit.errors import Violations
from shutterbook_kit.identity import Role


def test_locks_after_every_fifth_failure_doubling_up_to_a_day() -> None:
    policy = ThrottlePolicy(lock_after=5, lock_minutes=15)
    assert [policy.lock_for(n) for n in range(1, 5)] == [None] * 4
    assert policy.lock_for(5) == timedelta(minutes=15)
    assert policy.lock_for(6) is None  # between locks, a failure only counts
    assert policy.lock_for(10) == timedelta(minutes=30)
    assert policy.lock_for(15) == timedelta(minutes=60)
    assert policy.lock_for(5 * 40) == MAX_LOCK


@pytest.mark.parametrize(
    ("raw", "cleaned", "ok"),
    [
        ("  Desk@Example.COM ", "Desk@example.com", True),
        ("nobody", "nobody", False),
        ("", "", False),
        ("a@" + "x" * 260 + ".com", None, False),
    ],
)
def test_emails(raw: str, cleaned: str | None, ok: bool) -> None:
    violations = Violations()
    result = clean_email(raw, violations)
    assert (not violations.items) is ok
    if cleaned is not None:
        assert result == cleaned
    assert email_key(" Desk@Example.COM ") == "desk@example.com"


def test_passwords_roles_and_locations() -> None:
    violations = Violations()
    check_password("short", violations, "password")
    check_password(" " * 20, violations, "again")
    check_password("a long enough password", violations, "fine")
    assert [v.field for v in violations.items] == ["password", "again"]

    violations = Violations()
    assert check_roles(["owner", "front_desk"], violations) == {Role.OWNER, Role.FRONT_DESK}
    check_roles(["boss"], violations)
    check_roles([], violations)
    assert [v.field for v in violations.items] == ["roles[0]", "roles"]

    violations = Violations()
    good = "11111111-2222-4333-8444-555555555555"
    assert check_locations([good, good], violations) == [good]
    check_locations(["LOCATION"], violations)
    assert [v.field for v in violations.items] == ["location_ids[0]"]


def test_the_caller_claims_of_a_staff_member() -> None:
    from shutterbook_console.domain.staff import StaffAccount
    from shutterbook_kit.identity import CallerKind

    location = "11111111-2222-4333-8444-555555555555"
    desk = StaffAccount("s1", "c1", "Priya Patel", "p@example.com", frozenset({Role.FRONT_DESK}), (location,), "", True)
    caller = desk.caller()
    assert caller.kind is CallerKind.STAFF
    assert caller.label == "staff:s1"
    assert caller.location_ids == {location}
    assert not caller.may_see_location("66666666-7777-4888-9999-aaaaaaaaaaaa")
    owner = StaffAccount("s2", "c1", "Olivia Owens", "o@example.com", frozenset({Role.OWNER}), (), "", True)
    assert owner.caller().location_ids is None  # every location


def test_a_bulk_failure_reads_without_its_reason_code() -> None:
    raw = "SCHEDULE_CONFLICT: the booking conflicts with sessions/1; set allow_conflicts to book anyway"
    assert failure_text(raw) == "The booking conflicts with sessions/1"
    assert failure_text("client no longer bookable") == "Client no longer bookable"
