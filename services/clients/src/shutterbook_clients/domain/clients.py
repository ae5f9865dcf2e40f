"""Client rules, pure: what makes a client record valid, how its name reads.

Emails are checked with `email-validator` (syntax only, no DNS: booking must not depend on
the network) and normalized to their canonical form.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from shutterbook_kit.errors import Violations

MAX_NAME = 200
MAX_EMAILS = 10
MAX_PHONES = 10


@dataclass(frozen=True)
class ClientFields:
    given_name: str
    family_name: str
    household_name: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]

    @property
    def display_name(self) -> str:
        person = " ".join(p for p in (self.given_name, self.family_name) if p)
        return self.household_name or person


def normalize_email(raw: str) -> str:
    """Canonical form of an email address; raises ValueError if it is malformed."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


def validated_client(
    *,
    given_name: str,
    family_name: str,
    household_name: str,
    emails: list[str],
    phones: list[str],
    prefix: str = "client",
) -> ClientFields:
    """Validate and normalize; raises InvalidArgument naming every bad field."""
    v = Violations()
    names = {
        "given_name": given_name.strip(),
        "family_name": family_name.strip(),
        "household_name": household_name.strip(),
    }
    if not any(names.values()):
        v.add(f"{prefix}.given_name", "a client needs a given or family name, or a household name")
    for field, value in names.items():
        if len(value) > MAX_NAME:
            v.add(f"{prefix}.{field}", f"must be at most {MAX_NAME} characters")
    if len(emails) > MAX_EMAILS:
        v.add(f"{prefix}.emails", f"at most {MAX_EMAILS} email addresses")
    clean_emails: list[str] = []
    for i, raw in enumerate(emails):
        try:
            clean_emails.append(normalize_email(raw))
        except ValueError as exc:
            v.add(f"{prefix}.emails[{i}]", f"not a valid email address: {exc}")
    if len(phones) > MAX_PHONES:
        v.add(f"{prefix}.phones", f"at most {MAX_PHONES} phone numbers")
    clean_phones: list[str] = []
    for i, raw in enumerate(phones):
        digits = [c for c in raw if c.isdigit()]
        if not 7 <= len(digits) <= 15 or any(not (c.isdigit() or c in " +-().") for c in raw):
            v.add(f"{prefix}.phones[{i}]", "not a valid phone number")
        else:
            clean_phones.append(raw.strip())
    v.raise_if_any()
    return ClientFields(
        given_name=names["given_name"],
        family_name=names["family_name"],
        household_name=names["household_name"],
        emails=tuple(dict.fromkeys(clean_emails)),
        phones=tuple(clean_phones),
    )
