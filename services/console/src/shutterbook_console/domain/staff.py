"""Staff accounts: the rules, with no I/O.

An account belongs to one company; its email is unique in the company, compared without
regard to case. Roles are `identity.Role`; locations are the location ids the member works at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from shutterbook_kit.errors import FailedPrecondition, Violations
from shutterbook_kit.identity import Caller, CallerKind, Role

MAX_NAME = 200
MAX_EMAIL = 254
MIN_PASSWORD = 12
MAX_PASSWORD = 256
MAX_LOCATIONS = 200


def email_key(email: str) -> str:
    """How emails are compared: trimmed and lower-cased."""
    return email.strip().lower()


def clean_email(email: str, violations: Violations, field: str = "email") -> str:
    text = email.strip()
    if not text:
        violations.add(field, "enter an email address")
        return text
    if len(text) > MAX_EMAIL:
        violations.add(field, f"at most {MAX_EMAIL} characters")
        return text
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        violations.add(field, "not a valid email address")
        return text


def check_name(name: str, violations: Violations, field: str = "name") -> str:
    text = name.strip()
    if not text:
        violations.add(field, "enter a name")
    elif len(text) > MAX_NAME:
        violations.add(field, f"at most {MAX_NAME} characters")
    return text


def check_password(password: str, violations: Violations, field: str = "password") -> None:
    """A long password rather than composition rules (NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD:
        violations.add(field, f"at least {MIN_PASSWORD} characters")
    elif len(password) > MAX_PASSWORD:
        violations.add(field, f"at most {MAX_PASSWORD} characters")
    elif not password.strip():
        violations.add(field, "not only spaces")


def check_roles(roles: list[str], violations: Violations, field: str = "roles") -> frozenset[Role]:
    known = {r.value for r in Role}
    if not roles:
        violations.add(field, "give at least one role")
    result: set[Role] = set()
    for i, role in enumerate(roles):
        if role not in known:
            violations.add(f"{field}[{i}]", f"not a role; one of {', '.join(sorted(known))}")
        else:
            result.add(Role(role))
    return frozenset(result)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def check_locations(location_ids: list[str], violations: Violations, field: str = "location_ids") -> list[str]:
    if len(location_ids) > MAX_LOCATIONS:
        violations.add(field, f"at most {MAX_LOCATIONS} locations")
        return []
    for i, location in enumerate(location_ids):
        if not _is_uuid(location):
            violations.add(f"{field}[{i}]", "not a location id (a lower-case UUID)")
    return sorted(set(location_ids))


def check_schedule(schedule_id: str, violations: Violations, field: str = "staff_schedule_id") -> str:
    if schedule_id and not _is_uuid(schedule_id):
        violations.add(field, "not a schedule id (a lower-case UUID)")
    return schedule_id


@dataclass(frozen=True)
class StaffAccount:
    id: str
    company_id: str
    name: str
    email: str
    roles: frozenset[Role]
    location_ids: tuple[str, ...]
    staff_schedule_id: str
    active: bool

    @property
    def is_owner(self) -> bool:
        return Role.OWNER in self.roles

    def caller(self) -> Caller:
        """The claims the console signs for calls it makes on this member's behalf. Owners see
        every location of the company; everyone else only the locations they are given."""
        return Caller(
            company_id=self.company_id,
            kind=CallerKind.STAFF,
            caller_id=self.id,
            display_name=self.name,
            roles=self.roles,
            location_ids=None if self.is_owner else frozenset(self.location_ids),
            staff_schedule_id=self.staff_schedule_id,
        )


def ensure_an_owner_stays(active_owners_after: int) -> None:
    """A company always keeps at least one active owner, or nobody could manage its staff."""
    if active_owners_after < 1:
        raise FailedPrecondition("a company keeps at least one active owner", reason="LAST_OWNER")
