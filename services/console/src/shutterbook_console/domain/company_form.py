"""The Company screen's form (studio setup, company): the form's text fields to the company
profile's values, and scheduling's field paths back to the form's fields. The tax rate is typed
as a percentage ("8.25") and kept in basis points (825). Scheduling checks the rest (colour,
currency, email, web site, lengths) and its refusals are shown beside the field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

FIELDS = (
    "display_name",
    "address_line_1",
    "address_line_2",
    "locality",
    "administrative_area",
    "postal_code",
    "region_code",
    "phone_number",
    "email",
    "website_uri",
    "brand_color",
    "currency_code",
    "tax_rate",
)
PERCENT_HINT = "Enter a percentage from 0 to 100 with at most two decimals, for example 8.25."
_LINE = re.compile(r"^address\.address_lines(?:\[(\d+)\])?$")


@dataclass(frozen=True)
class CompanyForm:
    """The profile's values as scheduling takes them (`values`), what the form showed (`typed`),
    and the problems found before asking scheduling (`errors`, by form field)."""

    values: dict[str, Any]
    typed: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def percent_of(bps: int) -> str:
    """825 -> "8.25"; 800 -> "8"."""
    text = f"{Decimal(bps) / 100:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bps_of(text: str) -> int | None:
    """A percentage as typed ("8.25", "8.25 %") -> basis points (825); None unless it is 0 to
    100 with at most two decimals."""
    try:
        exact = Decimal(text.removesuffix("%").strip()) * 100
    except InvalidOperation:
        return None
    if not exact.is_finite() or exact != exact.to_integral_value() or not 0 <= exact <= 10_000:
        return None
    return int(exact)


def parse_company(fields: dict[str, str]) -> CompanyForm:
    typed = {name: fields.get(name, "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    bps = bps_of(typed["tax_rate"]) if typed["tax_rate"] else 0
    if bps is None:
        errors["tax_rate"] = PERCENT_HINT
        bps = 0
    values: dict[str, Any] = {
        "display_name": typed["display_name"],
        "address_lines": [line for line in (typed["address_line_1"], typed["address_line_2"]) if line],
        "locality": typed["locality"],
        "administrative_area": typed["administrative_area"],
        "postal_code": typed["postal_code"],
        "region_code": typed["region_code"].upper(),
        "phone_number": typed["phone_number"],
        "email": typed["email"],
        "website_uri": typed["website_uri"],
        "brand_color": typed["brand_color"],
        "currency_code": typed["currency_code"].upper(),
        "default_tax_rate_bps": bps,
    }
    return CompanyForm(values, typed, errors)


def form_field(path: str) -> str:
    """A field path of scheduling's refusal (`company_profile.address.region_code`) -> the
    form's field (`region_code`); "" when the form has none."""
    name = path.removeprefix("company_profile.")
    line = _LINE.match(name)
    if line:
        return "address_line_2" if line.group(1) == "1" else "address_line_1"
    name = name.removeprefix("address.")
    if name == "default_tax_rate_bps":
        return "tax_rate"
    return name if name in FIELDS else ""
