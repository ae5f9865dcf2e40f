"""What a company profile may hold (studio setup, company; issue 17): the studio's name, postal
address, contact details, brand colour, currency and default tax rate, and its logo. Plain
values in, field -> problem out; the caller prefixes the paths."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shutterbook_scheduling.domain.marketing_images import image_problems

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
