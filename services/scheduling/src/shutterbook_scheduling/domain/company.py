"""The company aggregate (studio setup, company; issues 16, 17, 20), plain Python: the profile
(the studio's name, postal address, contact details, brand colour, currency and default tax
rate), its logo, the scheduling preferences (session numbering), and the rules of each.

Rules take plain values and answer {field path: problem} (paths relative to the resource, as
the API names its fields; the caller prefixes them with the request's field). An update is a
list of field-mask paths applied here (`merged_fields`, `merged_preferences`); which paths a
request may name is checked at the API edge. `profile_snapshot` is the profile as the audit
trail records it (the same content the `CompanyProfile` message had)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shutterbook_scheduling.domain.marketing_images import image_problems

PROFILE_NAME = "companyProfile"  # the resource names: the API's, and the audit trail's records
LOGO_NAME = "companyProfile/logo"
PREFERENCES_NAME = "schedulingPreferences"

LOGO_TYPES = ("image/png", "image/jpeg")  # what the PDFs (fpdf2) and every browser show
LOGO_MAX_BYTES = 256 * 1024  # small: the logo travels in `scheduling.company.changed`
MAX_NAME = 120
MAX_LINE = 200

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PHONE = re.compile(r"^[0-9+()\-. ]{3,40}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URI = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
_REGION = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class CompanyFields:
    display_name: str = ""
    address_lines: tuple[str, ...] = ()
    locality: str = ""
    administrative_area: str = ""
    postal_code: str = ""
    region_code: str = ""
    phone_number: str = ""
    email: str = ""
    website_uri: str = ""
    brand_color: str = ""
    currency_code: str = ""
    default_tax_rate_bps: int = 0


ADDRESS_FIELDS = ("address_lines", "locality", "administrative_area", "postal_code", "region_code")
_TOP_FIELDS = (
    "display_name",
    "phone_number",
    "email",
    "website_uri",
    "brand_color",
    "currency_code",
    "default_tax_rate_bps",
)


@dataclass(frozen=True)
class CompanyProfile:
    """A saved profile: its fields, what it says of its logo, when it last changed."""

    fields: CompanyFields
    logo_etag: str
    logo_content_type: str
    update_time: datetime


@dataclass(frozen=True)
class CompanyLogo:
    """The logo: its bytes are named by their SHA-256 (`etag`)."""

    content_type: str
    data: bytes
    etag: str
    update_time: datetime | None


@dataclass(frozen=True)
class Company:
    """The aggregate as a change sees it (and announces it): the profile and its logo, None
    without one."""

    profile: CompanyProfile
    logo: CompanyLogo | None


@dataclass(frozen=True)
class SchedulingPreferences:
    """Session numbering: the next number and the prefix put before it (`S-001000`)."""

    next_session_number: int = 1000
    session_number_prefix: str = ""


def _mask_fields(path: str) -> tuple[str, ...]:
    """The CompanyFields a mask path names: `address` all of the address, `address.locality`
    one of it, a top-level path itself."""
    if path == "address":
        return ADDRESS_FIELDS
    sub = path.removeprefix("address.")
    if sub != path and sub in ADDRESS_FIELDS:
        return (sub,)
    if path in _TOP_FIELDS:
        return (path,)
    raise ValueError(f"{path} is not a writable path of a company profile")


def merged_fields(current: CompanyFields, incoming: CompanyFields, paths: Iterable[str]) -> CompanyFields:
    """`current` with the fields `paths` name taken from `incoming` (a field-mask update)."""
    names = [name for path in paths for name in _mask_fields(path)]
    return replace(current, **{name: getattr(incoming, name) for name in names})


def normalized_fields(f: CompanyFields) -> CompanyFields:
    """What is stored of valid fields: spaces trimmed, empty address lines dropped, the colour
    in one spelling."""
    return replace(
        f,
        display_name=f.display_name.strip(),
        address_lines=tuple(line.strip() for line in f.address_lines if line.strip()),
        locality=f.locality.strip(),
        administrative_area=f.administrative_area.strip(),
        postal_code=f.postal_code.strip(),
        phone_number=f.phone_number.strip(),
        brand_color=normalized_color(f.brand_color),
    )


def profile_snapshot(profile: CompanyProfile) -> dict[str, Any]:
    """The profile as the audit trail keeps it (`uow.audit` before/after): the fields of the
    `CompanyProfile` message but its update time, by their names."""
    f = profile.fields
    return {
        "name": PROFILE_NAME,
        "display_name": f.display_name,
        "address": {
            "address_lines": list(f.address_lines),
            "locality": f.locality,
            "administrative_area": f.administrative_area,
            "postal_code": f.postal_code,
            "region_code": f.region_code,
        },
        "phone_number": f.phone_number,
        "email": f.email,
        "website_uri": f.website_uri,
        "brand_color": f.brand_color,
        "currency_code": f.currency_code,
        "default_tax_rate_bps": f.default_tax_rate_bps,
        "logo_etag": profile.logo_etag,
        "logo_content_type": profile.logo_content_type,
    }


def _printable(text: str) -> bool:
    return text.isprintable()


def profile_problems(f: CompanyFields) -> dict[str, str]:
    """Path (relative to the profile) -> what is wrong; empty when it may be stored. Every field
    is optional: an empty value means "not set"."""
    problems: dict[str, str] = {}
    if len(f.display_name) > MAX_NAME or not _printable(f.display_name):
        problems["display_name"] = f"must be at most {MAX_NAME} printable characters"
    elif f.display_name and not f.display_name.strip():
        problems["display_name"] = "must not be only spaces"
    if len(f.address_lines) > 4:
        problems["address.address_lines"] = "must be at most 4 lines"
    for i, line in enumerate(f.address_lines):
        if len(line) > MAX_LINE or not _printable(line):
            problems[f"address.address_lines[{i}]"] = f"must be at most {MAX_LINE} printable characters"
    for name in ("locality", "administrative_area", "postal_code"):
        value = getattr(f, name)
        if len(value) > 80 or not _printable(value):
            problems[f"address.{name}"] = "must be at most 80 printable characters"
    if f.region_code and not _REGION.match(f.region_code):
        problems["address.region_code"] = "must be an ISO 3166-1 alpha-2 code, for example US"
    if f.phone_number and not _PHONE.match(f.phone_number):
        problems["phone_number"] = "must be 3 to 40 digits, spaces and +()-."
    if f.email and (len(f.email) > 254 or not _EMAIL.match(f.email)):
        problems["email"] = "is not an email address"
    if f.website_uri and (len(f.website_uri) > 500 or not _URI.match(f.website_uri)):
        problems["website_uri"] = "must be an https:// or http:// address"
    if f.brand_color and not _COLOR.match(f.brand_color):
        problems["brand_color"] = "must be a colour as #RRGGBB, for example #1F6FEB"
    if f.currency_code and not _CURRENCY.match(f.currency_code):
        problems["currency_code"] = "must be an ISO 4217 code, for example USD"
    if not 0 <= f.default_tax_rate_bps <= 10_000:
        problems["default_tax_rate_bps"] = "must be 0 to 10000 (basis points: 825 is 8.25%)"
    return problems


def logo_problems(content_type: str, data: bytes) -> dict[str, str]:
    """Field ("content_type", "data") -> what is wrong with a logo; empty when it may be stored."""
    return image_problems(content_type, data, allowed=LOGO_TYPES, max_bytes=LOGO_MAX_BYTES)


def normalized_color(color: str) -> str:
    """`#1f6feb` -> `#1F6FEB` (one spelling stored)."""
    return color.upper()


PREFERENCE_FIELDS = ("next_session_number", "session_number_prefix")
MAX_SESSION_NUMBER = 10**15
MAX_PREFIX = 20


def merged_preferences(
    current: SchedulingPreferences, incoming: SchedulingPreferences, paths: Iterable[str]
) -> SchedulingPreferences:
    """`current` with the fields `paths` name taken from `incoming` (a field-mask update)."""
    names = list(paths)
    for name in names:
        if name not in PREFERENCE_FIELDS:
            raise ValueError(f"{name} is not a writable path of scheduling preferences")
    return replace(current, **{name: getattr(incoming, name) for name in names})


def preferences_problems(p: SchedulingPreferences) -> dict[str, str]:
    """Path (relative to the preferences) -> what is wrong; empty when they may be stored."""
    problems: dict[str, str] = {}
    if not 0 <= p.next_session_number < MAX_SESSION_NUMBER:
        problems["next_session_number"] = "must be 0 to 10^15"
    if len(p.session_number_prefix) > MAX_PREFIX or not p.session_number_prefix.isprintable():
        problems["session_number_prefix"] = f"must be at most {MAX_PREFIX} printable characters"
    return problems
