"""Client rules, pure: what makes a client record valid, how its name reads, its keys.

Emails are checked with `email-validator` (syntax only, no DNS: booking must not depend on
the network) and normalized to their canonical form. Phones are parsed with
`phonenumbers` (national numbers read in the default region, US) and kept in E.164.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from shutterbook.clients.v1 import clients_pb2
from shutterbook_clients.domain.search import list_key, normalize, phone_digit_keys
from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import name_ids

MAX_NAME = 200
MAX_EMAILS = 10
MAX_PHONES = 10
MAX_TAGS = 50
MAX_TAG = 50
MAX_NOTES = 10_000
MAX_FAMILY = 50
MAX_ADDRESS_LINES = 5
DEFAULT_REGION = "US"

# update_mask paths of UpdateClient (an empty mask means all of them)
CLIENT_MUTABLE_PATHS = (
    "given_name",
    "family_name",
    "household_name",
    "emails",
    "phones",
    "postal_address",
    "notes",
    "tags",
    "referral_source",
    "family_members",
)

# The orders ListClients offers (the first is the default): oldest first, newest first, by name.
LIST_ORDERS = ("create_time", "create_time desc", "family_name", "last_session_time desc")


@dataclass(frozen=True)
class MemberFields:
    id: str | None  # kept from the member's name on update; None: a new member
    given_name: str
    family_name: str
    relationship: int
    birth_date: dt.date | None


@dataclass(frozen=True)
class ClientFields:
    given_name: str
    family_name: str
    household_name: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    postal_address: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    tags: tuple[str, ...] = ()
    referral_source: str = ""
    family_members: tuple[MemberFields, ...] = ()

    @property
    def display_name(self) -> str:
        person = " ".join(p for p in (self.given_name, self.family_name) if p)
        return self.household_name or person


@dataclass(frozen=True)
class SearchKeys:
    name_key: str
    sort_key: str
    email_key: str
    phone_key: str
    primary_email_key: str | None
    tags_key: str
    referral_key: str


def normalize_email(raw: str) -> str:
    """Canonical form of an email address; raises ValueError if it is malformed."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


def email_key(email: str) -> str:
    """The key under which two spellings of one address are the same client."""
    return email.lower()


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a phone number; raises ValueError if it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def tag_key(tag: str) -> str:
    return normalize(tag)


def search_keys(f: ClientFields) -> SearchKeys:
    person = normalize(f"{f.given_name} {f.family_name}")
    names = [person, normalize(f.household_name)]
    names += [normalize(f"{m.given_name} {m.family_name or f.family_name}") for m in f.family_members]
    phones: list[str] = []
    for e164 in f.phones:
        national = str(phonenumbers.parse(e164).national_number)
        phones += phone_digit_keys(e164, national)
    return SearchKeys(
        name_key=list_key(dict.fromkeys(names)),
        sort_key=normalize(f"{f.family_name} {f.given_name}") or normalize(f.household_name),
        email_key=list_key(email_key(e) for e in f.emails),
        phone_key=list_key(dict.fromkeys(phones)),
        primary_email_key=email_key(f.emails[0]) if f.emails else None,
        tags_key=list_key(tag_key(t) for t in f.tags),
        referral_key=normalize(f.referral_source),
    )


def _text(v: Violations, path: str, value: str, limit: int = MAX_NAME) -> str:
    value = value.strip()
    if len(value) > limit:
        v.add(path, f"must be at most {limit} characters")
    return value


def validate_date(raw: Any, v: Violations, path: str) -> dt.date | None:
    """A common.v1.Date: all zero means unset; otherwise a real calendar date."""
    if raw.year == 0 and raw.month == 0 and raw.day == 0:
        return None
    try:
        return dt.date(raw.year, raw.month, raw.day)
    except ValueError:
        v.add(path, "not a valid date")
        return None


def _member_id(name: str, client_id: str | None) -> str | None:
    """The id in `clients/{client_id}/familyMembers/{id}`; raises ValueError if not ours."""
    ids = name_ids(name, "clients", "familyMembers")
    if ids is None or ids[0] != client_id:
        raise ValueError(name)
    return ids[1]


def validated_members(
    members: Iterable[clients_pb2.FamilyMember], v: Violations, prefix: str, client_id: str | None
) -> tuple[MemberFields, ...]:
    out: list[MemberFields] = []
    seen: set[str] = set()
    members = list(members)
    if len(members) > MAX_FAMILY:
        v.add(f"{prefix}.family_members", f"at most {MAX_FAMILY} family members")
    for i, m in enumerate(members):
        path = f"{prefix}.family_members[{i}]"
        member_id: str | None = None
        if m.name:
            try:
                member_id = _member_id(m.name, client_id)
            except ValueError:
                v.add(f"{path}.name", "not a family member of this client")
            if member_id in seen:
                v.add(f"{path}.name", "listed twice")
            if member_id:
                seen.add(member_id)
        given = _text(v, f"{path}.given_name", m.given_name)
        if not given:
            v.add(f"{path}.given_name", "a family member needs a given name")
        if m.relationship not in clients_pb2.FamilyRelationship.values() or m.relationship == 0:
            v.add(f"{path}.relationship", "choose a relationship")
        birth = validate_date(m.birth_date, v, f"{path}.birth_date")
        out.append(
            MemberFields(
                id=member_id,
                given_name=given,
                family_name=_text(v, f"{path}.family_name", m.family_name),
                relationship=m.relationship,
                birth_date=birth,
            )
        )
    return tuple(out)


def validated_address(a: clients_pb2.PostalAddress, v: Violations, prefix: str) -> dict[str, Any]:
    path = f"{prefix}.postal_address"
    lines = [line.strip() for line in a.address_lines if line.strip()]
    if len(lines) > MAX_ADDRESS_LINES:
        v.add(f"{path}.address_lines", f"at most {MAX_ADDRESS_LINES} lines")
    for i, line in enumerate(lines):
        _text(v, f"{path}.address_lines[{i}]", line)
    region = a.region_code.strip().upper()
    if region and (len(region) != 2 or not region.isalpha()):
        v.add(f"{path}.region_code", "must be a two-letter CLDR region code, for example US")
    out = {
        "address_lines": lines,
        "locality": _text(v, f"{path}.locality", a.locality),
        "administrative_area": _text(v, f"{path}.administrative_area", a.administrative_area),
        "postal_code": _text(v, f"{path}.postal_code", a.postal_code, 20),
        "region_code": region,
    }
    return {k: val for k, val in out.items() if val}


def validated_tags(tags: Iterable[str], v: Violations, path: str) -> tuple[str, ...]:
    tags = list(tags)
    if len(tags) > MAX_TAGS:
        v.add(path, f"at most {MAX_TAGS} tags")
    out: dict[str, str] = {}
    for i, raw in enumerate(tags):
        tag = raw.strip()
        if not tag or len(tag) > MAX_TAG or not tag.isprintable():
            v.add(f"{path}[{i}]", f"a tag is 1 to {MAX_TAG} printable characters")
            continue
        out.setdefault(tag_key(tag), tag)  # tags are case-insensitive: the first spelling stays
    return tuple(out.values())


def validated_client(
    *,
    given_name: str,
    family_name: str,
    household_name: str,
    emails: list[str],
    phones: list[str],
    prefix: str = "client",
    message: clients_pb2.Client | None = None,
    client_id: str | None = None,
) -> ClientFields:
    """Validate and normalize; raises InvalidArgument naming every bad field.

    With `message`, its address, notes, tags, referral source and family members too
    (`client_id`: the client they belong to, on update)."""
    v = Violations()
    names = {
        "given_name": given_name.strip(),
        "family_name": family_name.strip(),
        "household_name": household_name.strip(),
    }
    if not any(names.values()):
        v.add(f"{prefix}.given_name", "a client needs a given or family name, or a household name")
    for name_field, value in names.items():
        if len(value) > MAX_NAME:
            v.add(f"{prefix}.{name_field}", f"must be at most {MAX_NAME} characters")
    if len(emails) > MAX_EMAILS:
        v.add(f"{prefix}.emails", f"at most {MAX_EMAILS} email addresses")
    clean_emails: dict[str, str] = {}
    for i, raw in enumerate(emails):
        try:
            email = normalize_email(raw)
            clean_emails.setdefault(email_key(email), email)
        except ValueError as exc:
            v.add(f"{prefix}.emails[{i}]", f"not a valid email address: {exc}")
    if len(phones) > MAX_PHONES:
        v.add(f"{prefix}.phones", f"at most {MAX_PHONES} phone numbers")
    clean_phones: list[str] = []
    for i, raw in enumerate(phones):
        try:
            clean_phones.append(normalize_phone(raw))
        except ValueError:
            v.add(f"{prefix}.phones[{i}]", "not a valid phone number (national numbers are read as US)")
    extra: dict[str, Any] = {}
    if message is not None:
        extra = {
            "postal_address": validated_address(message.postal_address, v, prefix),
            "notes": _text(v, f"{prefix}.notes", message.notes, MAX_NOTES),
            "tags": validated_tags(message.tags, v, f"{prefix}.tags"),
            "referral_source": _text(v, f"{prefix}.referral_source", message.referral_source),
            "family_members": validated_members(message.family_members, v, prefix, client_id),
        }
    v.raise_if_any()
    return ClientFields(
        given_name=names["given_name"],
        family_name=names["family_name"],
        household_name=names["household_name"],
        emails=tuple(clean_emails.values()),
        phones=tuple(dict.fromkeys(clean_phones)),
        **extra,
    )


def validated_update_mask(paths: Iterable[str], allowed: tuple[str, ...], v: Violations) -> tuple[str, ...]:
    """The update_mask paths (all `allowed` when empty); an unknown path is a violation."""
    paths = list(paths)
    for i, path in enumerate(paths):
        if path not in allowed:
            v.add(f"update_mask.paths[{i}]", f"unknown or immutable field; one of: {', '.join(allowed)}")
    return tuple(dict.fromkeys(paths)) if paths else allowed
