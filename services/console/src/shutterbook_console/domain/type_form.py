"""The session/appointment type editor's forms (one per tab: General, Online Booking, Price List
Items) as a scheduling.v1 type and an update_mask, and scheduling's field paths as the form's
field names. Pure: no I/O; scheduling judges the values it is sent (statuses exist, a payment
option has its amount, ...), this module only reads what was typed."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb

KINDS = {"session-types": "sessionTypes", "appointment-types": "appointmentTypes"}
TABS = ("general", "online", "prices")
AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_PROMOTIONS = 50

PAYMENT_OPTIONS = {
    "none": pb.PAYMENT_OPTION_NONE,
    "listed_price": pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE,
    "full_amount": pb.PAYMENT_OPTION_INVOICE_FULL_AMOUNT,
    "deposit": pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT,
}
CANCELLATION_POLICIES = {
    "": pb.CANCELLATION_POLICY_UNSPECIFIED,
    "refund": pb.CANCELLATION_POLICY_REFUND_IN_FULL,
    "keep_deposit": pb.CANCELLATION_POLICY_KEEP_DEPOSIT,
    "keep_fee": pb.CANCELLATION_POLICY_KEEP_FEE,
}
ONLINE_CHECKS = ("available_online", "auto_remove_conflicting_slots", "online_payment")
ONLINE_TEXTS = (
    "online_description",
    "marketing_description",
    "booked_online_status",
    "cancelled_online_status",
    "rescheduled_online_status",
    "location",
    "location_text",
)
ONLINE_MASK = [
    "auto_create_invoice",
    *(f"online.{name}" for name in ONLINE_CHECKS + ONLINE_TEXTS),
    "online.display_price",
    "online.payment_option",
    "online.payment_amount",
    "online.online_promotions",
    "online.cancellation_policy",
    "online.cancellation_fee",
]
# scheduling's field (after `session_type.` / `appointment_type.` and `online.`) -> the form's
_FORM_FIELD = {"currency_code": "currency", "auto_create_invoice": "auto_create_invoice"}


@dataclass
class TypeForm:
    """What a tab's form says: the type's masked fields, the mask, the values as typed (shown
    again on a refusal) and what is wrong before asking scheduling."""

    message: pb.SessionType | pb.AppointmentType
    mask: list[str]
    typed: dict[str, str | list[str]]
    errors: dict[str, str] = field(default_factory=dict)


def minor_units(text: str) -> int | None:
    """'25', '25.5', '25.50' -> 2550; anything else None (currencies with cents)."""
    text = text.strip().replace(",", "")
    if not AMOUNT.match(text):
        return None
    whole, _, cents = text.partition(".")
    return int(whole) * 100 + int(cents.ljust(2, "0") or "0")


def amount_text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def promotion_codes(chosen: Sequence[str], known: Sequence[str]) -> tuple[list[str], str]:
    """The chosen promotion codes among the known ones (billing's, and those the type already
    offers), repeats left out; and what is wrong, if anything."""
    codes: list[str] = []
    for code in chosen:
        if code in known and code not in codes:
            codes.append(code)
    if len(codes) != len(set(chosen)):
        return codes, "Choose promotions from the list."
    if len(codes) > MAX_PROMOTIONS:
        return codes[:MAX_PROMOTIONS], f"At most {MAX_PROMOTIONS} promotions."
    return codes, ""


def _blank(kind: str) -> pb.SessionType | pb.AppointmentType:
    return pb.SessionType() if kind == "sessionTypes" else pb.AppointmentType()


def _whole(form: Mapping[str, str], name: str, low: int, high: int, errors: dict[str, str]) -> int:
    text = form.get(name, "").strip()
    if not (text.isdigit() and len(text) <= 5 and low <= int(text) <= high):
        errors[name] = f"Enter whole minutes from {low} to {high}."
        return 0
    return int(text)


def general_form(kind: str, name: str, form: Mapping[str, str]) -> TypeForm:
    msg = _blank(kind)
    msg.name = name
    errors: dict[str, str] = {}
    msg.display_name = form.get("display_name", "").strip()
    if not msg.display_name:
        errors["display_name"] = "Enter the type's name."
    msg.color = form.get("color", "").strip()
    msg.default_duration_minutes = _whole(form, "default_duration_minutes", 1, 1440, errors)
    msg.buffer_before_minutes = _whole(form, "buffer_before_minutes", 0, 1440, errors)
    msg.buffer_after_minutes = _whole(form, "buffer_after_minutes", 0, 1440, errors)
    mask = ["display_name", "color", "default_duration_minutes", "buffer_before_minutes", "buffer_after_minutes"]
    if isinstance(msg, pb.SessionType):
        msg.default_status = form.get("default_status", "")
        mask.append("default_status")
    else:
        msg.linked = form.get("linked") == "on"
        mask.append("linked")
    return TypeForm(msg, mask, {**form, "linked": form.get("linked", "")}, errors)


def _money(
    form: Mapping[str, str], name: str, currency: str, errors: dict[str, str], *, required: bool
) -> money_pb2.Money | None:
    text = form.get(name, "").strip()
    if not text:
        if required:
            errors[name] = "Enter the amount, for example 25.00."
        return None
    minor = minor_units(text)
    if minor is None:
        errors[name] = "Enter an amount such as 25 or 25.00."
        return None
    return money_pb2.Money(amount_minor=minor, currency_code=currency)


def online_form(
    kind: str, name: str, form: Mapping[str, str], chosen: Sequence[str] = (), known: Sequence[str] = ()
) -> TypeForm:
    msg = _blank(kind)
    msg.name = name
    errors: dict[str, str] = {}
    online = msg.online
    for check in ONLINE_CHECKS:
        setattr(online, check, form.get(check) == "on")
    for text in ONLINE_TEXTS:
        setattr(online, text, form.get(text, "").strip())
    msg.auto_create_invoice = form.get("auto_create_invoice") == "on"
    currency = form.get("currency", "").strip().upper()
    if not CURRENCY.match(currency):
        errors["currency"] = "Enter a three-letter currency code, for example USD."
    if form.get("display_price_on") == "on":
        price = _money(form, "display_price", currency, errors, required=True)
        if price is not None:
            online.display_price.CopyFrom(price)
    option = form.get("payment_option", "")
    if option and option not in PAYMENT_OPTIONS:
        errors["payment_option"] = "Choose one of the payment options."
    online.payment_option = PAYMENT_OPTIONS.get(option, pb.PAYMENT_OPTION_UNSPECIFIED)
    if online.payment_option in (pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE, pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT):
        amount = _money(form, "payment_amount", currency, errors, required=True)
        if amount is not None:
            online.payment_amount.CopyFrom(amount)
    codes, wrong = promotion_codes(chosen, known)
    if wrong:
        errors["online_promotions"] = wrong
    online.online_promotions.extend(codes)
    policy = form.get("cancellation_policy", "")
    if policy not in CANCELLATION_POLICIES:
        errors["cancellation_policy"] = "Choose one of the policies."
    online.cancellation_policy = CANCELLATION_POLICIES.get(policy, pb.CANCELLATION_POLICY_UNSPECIFIED)
    if online.cancellation_policy == pb.CANCELLATION_POLICY_KEEP_FEE:
        fee = _money(form, "cancellation_fee", currency, errors, required=True)
        if fee is not None:
            online.cancellation_fee.CopyFrom(fee)
    boxes = {box: form.get(box, "") for box in (*ONLINE_CHECKS, "auto_create_invoice", "display_price_on")}
    return TypeForm(msg, list(ONLINE_MASK), {**form, **boxes, "online_promotions": list(chosen)}, errors)


def prices_form(kind: str, name: str, items: Sequence[str], known: Sequence[str]) -> TypeForm:
    """The price list items ticked, in the price list's order; one not on the list is refused."""
    msg = _blank(kind)
    msg.name = name
    errors: dict[str, str] = {}
    unknown = [item for item in items if item not in known]
    if unknown:
        errors["price_list_items"] = "Choose items of the price list."
    msg.price_list_items.extend(item for item in known if item in items)
    return TypeForm(msg, ["price_list_items"], {"price_list_items": list(items)}, errors)


def form_field(path: str) -> str:
    """scheduling's violation path -> the form field it belongs to.

    `session_type.online.payment_amount.amount_minor` -> `payment_amount`;
    `appointment_type.price_list_items[2]` -> `price_list_items`."""
    parts = [re.sub(r"\[\d+\]$", "", part) for part in path.split(".")[1:]]
    if parts and parts[0] == "online":
        parts = parts[1:]
    if not parts:
        return ""
    if len(parts) > 1 and parts[1] == "currency_code":
        return "currency"
    return _FORM_FIELD.get(parts[0], parts[0])


def _option_key(value: int, table: Mapping[str, int]) -> str:
    return next((key for key, v in table.items() if v == value), "")


def form_values(msg: pb.SessionType | pb.AppointmentType, default_currency: str) -> dict[str, str | list[str]]:
    """The type as the tabs' forms show it."""
    online = msg.online
    moneys = [m for m in (online.display_price, online.payment_amount, online.cancellation_fee) if m.currency_code]
    values: dict[str, str | list[str]] = {
        "display_name": msg.display_name,
        "color": msg.color,
        "default_duration_minutes": str(msg.default_duration_minutes),
        "buffer_before_minutes": str(msg.buffer_before_minutes),
        "buffer_after_minutes": str(msg.buffer_after_minutes),
        "auto_create_invoice": "on" if msg.auto_create_invoice else "",
        "currency": moneys[0].currency_code if moneys else default_currency,
        "display_price_on": "on" if online.HasField("display_price") else "",
        "display_price": amount_text(online.display_price.amount_minor) if online.HasField("display_price") else "",
        "payment_option": _option_key(online.payment_option, PAYMENT_OPTIONS),
        "payment_amount": amount_text(online.payment_amount.amount_minor) if online.HasField("payment_amount") else "",
        "online_promotions": list(online.online_promotions),
        "cancellation_policy": _option_key(online.cancellation_policy, CANCELLATION_POLICIES),
        "cancellation_fee": (
            amount_text(online.cancellation_fee.amount_minor) if online.HasField("cancellation_fee") else ""
        ),
        "price_list_items": list(msg.price_list_items),
    }
    for check in ONLINE_CHECKS:
        values[check] = "on" if getattr(online, check) else ""
    for text in ONLINE_TEXTS:
        values[text] = getattr(online, text)
    if isinstance(msg, pb.SessionType):
        values["default_status"] = msg.default_status
    else:
        values["linked"] = "on" if msg.linked else ""
    return values
