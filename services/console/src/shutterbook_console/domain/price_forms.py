"""The price list and promotion forms of studio setup, as billing's PriceListItem and Promotion,
and what is wrong with them before asking billing, by the form's field. Money is typed as
"12.50" and kept in minor units (1250); a tax rate or a percent off as "8.25" and kept in
basis points (825); a promotion's dates are local dates of the studio's zone (valid from the
start of its first day to the end of its last). Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from google.protobuf import timestamp_pb2

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.common.v1 import money_pb2
from shutterbook_console.domain.company_form import PERCENT_HINT, bps_of, percent_of
from shutterbook_console.domain.type_form import amount_text, minor_units

ITEM_FIELDS = ("display_name", "sku", "unit_price", "tax_rate")
PROMOTION_FIELDS = ("code", "display_name", "discount", "percent_off", "amount_off", "starts", "ends", "usage_limit")
CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MONEY_HINT = "Enter an amount like 12.50."
_ITEM_PATHS = {
    "unit_price.amount_minor": "unit_price",
    "unit_price.currency_code": "unit_price",
    "tax_rate_bps": "tax_rate",
}
_PROMOTION_PATHS = {
    "percent_off_bps": "percent_off",
    "amount_off.amount_minor": "amount_off",
    "amount_off.currency_code": "amount_off",
    "amount_off": "amount_off",
    "start_time": "starts",
    "end_time": "ends",
}


@dataclass
class PriceForm:
    """Billing's message, the values as typed (shown again on a refusal) and the problems."""

    item: bpb.PriceListItem
    typed: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class PromotionForm:
    promotion: bpb.Promotion
    typed: dict[str, str]
    session_types: list[str]
    errors: dict[str, str] = field(default_factory=dict)


def item_form(form: Mapping[str, str], currency: str) -> PriceForm:
    typed = {name: form.get(name, "").strip() for name in ITEM_FIELDS}
    errors: dict[str, str] = {}
    if not typed["display_name"]:
        errors["display_name"] = "Enter the name shown on invoices."
    if not typed["sku"]:
        errors["sku"] = "Enter the SKU, for example SESSION-DELUXE."
    elif len(typed["sku"]) > 64:
        errors["sku"] = "At most 64 characters."
    price = minor_units(typed["unit_price"])
    if price is None:
        errors["unit_price"] = MONEY_HINT
    rate = bps_of(typed["tax_rate"]) if typed["tax_rate"] else 0
    if rate is None:
        errors["tax_rate"] = PERCENT_HINT
    item = bpb.PriceListItem(
        display_name=typed["display_name"],
        sku=typed["sku"],
        unit_price=money_pb2.Money(currency_code=currency, amount_minor=price or 0),
        tax_rate_bps=rate or 0,
    )
    return PriceForm(item, typed, errors)


def item_values(item: bpb.PriceListItem) -> dict[str, str]:
    return {
        "display_name": item.display_name,
        "sku": item.sku,
        "unit_price": amount_text(item.unit_price.amount_minor),
        "tax_rate": percent_of(item.tax_rate_bps),
    }


def item_field(path: str) -> str:
    """Billing's field path (`price_list_item.unit_price.amount_minor`) -> the form's field."""
    name = path.removeprefix("price_list_item.")
    name = _ITEM_PATHS.get(name, name)
    return name if name in ITEM_FIELDS else ""


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter a date like 2026-03-01."
        return None


def _midnight(day: date, zone: str) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC))
    return stamp


def promotion_form(
    form: Mapping[str, str], chosen: Sequence[str], known_types: Mapping[str, str], currency: str, zone: str
) -> PromotionForm:
    """`chosen`: the session types ticked; `known_types`: scheduling's (name -> display name)."""
    typed = {name: form.get(name, "").strip() for name in PROMOTION_FIELDS}
    errors: dict[str, str] = {}
    promotion = bpb.Promotion(code=typed["code"].upper(), display_name=typed["display_name"])
    if not CODE.match(typed["code"]):
        errors["code"] = "Enter up to 64 letters, digits, - or _ (no spaces), for example SPRING10."
    if not typed["display_name"]:
        errors["display_name"] = "Enter a name staff will recognise, for example Spring Family Special."
    if typed["discount"] == "percent":
        bps = bps_of(typed["percent_off"])
        if not bps:
            errors["percent_off"] = "Enter a percentage above 0 and at most 100, for example 10."
        promotion.percent_off_bps = bps or 0
    elif typed["discount"] == "amount":
        minor = minor_units(typed["amount_off"])
        if not minor:
            errors["amount_off"] = "Enter an amount above zero, like 25.00."
        promotion.amount_off.CopyFrom(money_pb2.Money(currency_code=currency, amount_minor=minor or 0))
    else:
        errors["discount"] = "Choose percent off or amount off."
    starts, ends = _day(typed["starts"], "starts", errors), _day(typed["ends"], "ends", errors)
    if starts is not None:
        promotion.start_time.CopyFrom(_midnight(starts, zone))
    if ends is not None:
        if starts is not None and ends < starts:
            errors["ends"] = "The last day must not be before the first."
        promotion.end_time.CopyFrom(_midnight(ends + timedelta(days=1), zone))
    limit = typed["usage_limit"]
    if limit and not (limit.isdigit() and int(limit) <= 1_000_000):
        errors["usage_limit"] = "Enter a whole number of uses, or leave it empty for no limit."
    else:
        promotion.usage_limit = int(limit or 0)
    types = [name for name in dict.fromkeys(chosen) if name]
    if any(name not in known_types for name in types):
        errors["eligible_session_types"] = "Choose session types from the list."
    promotion.eligible_session_types.extend(types)
    return PromotionForm(promotion, typed, types, errors)


def promotion_field(path: str) -> str:
    name = path.removeprefix("promotion.")
    if name.startswith("eligible_session_types"):
        return "eligible_session_types"
    name = _PROMOTION_PATHS.get(name, name)
    return name if name in PROMOTION_FIELDS else ""


def discount_text(promotion: bpb.Promotion) -> str:
    if promotion.WhichOneof("discount") == "percent_off_bps":
        return f"{percent_of(promotion.percent_off_bps)} % off"
    return f"{amount_text(promotion.amount_off.amount_minor)} {promotion.amount_off.currency_code} off"


def local_day(instant: timestamp_pb2.Timestamp, zone: str, *, end: bool = False) -> str:
    """A validity bound as the day it shows: an end (exclusive) shows its last day."""
    moment = instant.ToDatetime(tzinfo=UTC).astimezone(ZoneInfo(zone))
    return (moment - timedelta(seconds=1) if end else moment).date().isoformat()
