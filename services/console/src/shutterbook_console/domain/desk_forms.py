"""What the front desk types on the invoice record and the client record, read into billing's
terms. Pure: no I/O. Money typed as text ("12.50", "1,250", "$12.5") becomes minor units, a tax
rate in percent ("8.25") basis points; a field that cannot be read is refused here, named as
the form names it, and billing judges the rest (amount above the balance, refund limit, ...)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from shutterbook_kit.errors import FieldViolation, InvalidArgument

MAX_MINOR = 100_000_000_00  # a hundred million units: more than any desk takes at once
MAX_QUANTITY = 10_000
METHODS = ("cash", "check", "card")  # card: charged through billing's payment provider
_AMOUNT = re.compile(r"^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")
_PERCENT = re.compile(r"^(\d{1,3})(?:\.(\d{1,2}))?\s*%?$")


@dataclass(frozen=True)
class LineForm:
    item: str  # priceListItems/{id}, or "" for a free-form line
    description: str
    quantity: int
    unit_price_minor: int
    tax_rate_bps: int


@dataclass(frozen=True)
class PaymentForm:
    method: str  # cash, check, card or deposit
    amount_minor: int
    card_token: str
    note: str
    deposit: str  # deposits/{id}, with the method "deposit"
    request_id: str


@dataclass(frozen=True)
class ApplyForm:
    """A customer deposit applied to one of the client's open invoices, from the client record."""

    invoice: str  # invoices/{id}
    amount_minor: int
    request_id: str


@dataclass(frozen=True)
class RefundForm:
    amount_minor: int
    reason: str
    request_id: str


def amount_minor(text: str) -> int | None:
    """`text` as minor units (two decimals), or None when it is no amount."""
    found = _AMOUNT.match(text.strip())
    if found is None:
        return None
    whole = int(found.group(1).replace(",", ""))
    cents = int((found.group(2) or "0").ljust(2, "0"))
    return whole * 100 + cents


def _amount(form: Mapping[str, str], name: str, v: list[FieldViolation], *, required: bool = True) -> int:
    text = form.get(name, "").strip()
    if not text and not required:
        return 0
    minor = amount_minor(text)
    if minor is None:
        v.append(FieldViolation(name, "Enter an amount such as 25.00"))
        return 0
    if minor <= 0 or minor > MAX_MINOR:
        v.append(FieldViolation(name, "Enter an amount above zero"))
    return minor


def request_id(form: Mapping[str, str]) -> str:
    """The form's idempotency key (a UUID the page made), so a double submit acts once; a form
    without one (a script's post) gets a new one, so a card charge still has its key."""
    text = form.get("request_id", "")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid4())


def _check(v: list[FieldViolation]) -> None:
    if v:
        raise InvalidArgument("the form has invalid fields", violations=v)


def read_line(form: Mapping[str, str]) -> LineForm:
    """A line: a price list item (its price and tax), or a description with a unit price."""
    v: list[FieldViolation] = []
    item = form.get("item", "").strip()
    description = form.get("description", "").strip()
    quantity_text = form.get("quantity", "").strip() or "1"
    quantity = int(quantity_text) if quantity_text.isdigit() and len(quantity_text) < 7 else 0
    if not 1 <= quantity <= MAX_QUANTITY:
        v.append(FieldViolation("quantity", f"Enter a whole number from 1 to {MAX_QUANTITY}"))
    price, tax = 0, 0
    if not item:
        if not description:
            v.append(FieldViolation("description", "Describe the line, or choose a price list item"))
        price = _amount(form, "unit_price", v)
        tax_text = form.get("tax_rate", "").strip() or "0"
        found = _PERCENT.match(tax_text)
        tax = int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0")) if found else -1
        if not 0 <= tax <= 10_000:
            v.append(FieldViolation("tax_rate", "Enter a rate in percent from 0 to 100, such as 8.25"))
    _check(v)
    return LineForm(item, description, quantity, price, tax)


def read_payment(form: Mapping[str, str]) -> PaymentForm:
    v: list[FieldViolation] = []
    method = form.get("method", "")
    deposit = form.get("deposit", "").strip()
    if method not in (*METHODS, "deposit"):
        v.append(FieldViolation("method", "Choose cash, check, card or a customer deposit"))
    if method == "deposit" and not deposit:
        v.append(FieldViolation("deposit", "Choose the deposit to apply"))
    token = form.get("card_token", "").strip()
    if method == "card" and not token:
        v.append(FieldViolation("card_token", "Enter the card"))
    amount = _amount(form, "amount", v)
    _check(v)
    return PaymentForm(method, amount, token, form.get("note", "").strip(), deposit, request_id(form))


def read_refund(form: Mapping[str, str]) -> RefundForm:
    v: list[FieldViolation] = []
    amount = _amount(form, "refund_amount", v)
    reason = form.get("reason", "").strip()
    if not reason:
        v.append(FieldViolation("reason", "Say why, for the record"))
    _check(v)
    return RefundForm(amount, reason, request_id(form))


def read_deposit(form: Mapping[str, str]) -> PaymentForm:
    """A customer deposit taken on the client record: cash, check or card."""
    v: list[FieldViolation] = []
    method = form.get("method", "")
    if method not in METHODS:
        v.append(FieldViolation("method", "Choose cash, check or card"))
    token = form.get("card_token", "").strip()
    if method == "card" and not token:
        v.append(FieldViolation("card_token", "Enter the card"))
    amount = _amount(form, "amount", v)
    _check(v)
    return PaymentForm(method, amount, token, form.get("note", "").strip(), "", request_id(form))


def read_apply(form: Mapping[str, str]) -> ApplyForm:
    """A deposit applied on the client record: the invoice chosen and how much."""
    v: list[FieldViolation] = []
    invoice = form.get("invoice", "").strip()
    if not invoice.startswith("invoices/"):
        v.append(FieldViolation("invoice", "Choose one of the client's open invoices"))
    amount = _amount(form, "amount", v)
    _check(v)
    return ApplyForm(invoice, amount, request_id(form))


# billing's field paths, as the desk's forms name them
_FIELDS = {
    "line.price_list_item": "item",
    "line.description": "description",
    "line.quantity": "quantity",
    "line.unit_price": "unit_price",
    "line.tax_rate_bps": "tax_rate",
    "payment.amount": "amount",
    "payment.method": "method",
    "payment.note": "note",
    "payment_token": "card_token",
    "deposit.amount": "amount",
    "deposit.method": "method",
    "deposit.note": "note",
    "amount": "amount",
    "invoice": "invoice",
    "name": "deposit",
    "reason": "reason",
}


def form_field(path: str, *, refund: bool = False) -> str:
    """The form field a billing field path belongs to (`payment.amount.amount_minor` ->
    `amount`); a refund's amount is `refund_amount`. Unknown paths stay as they are."""
    for prefix, name in _FIELDS.items():
        if path == prefix or path.startswith(prefix + "."):
            return "refund_amount" if refund and name == "amount" else name
    return path
