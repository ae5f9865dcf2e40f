"""Pure rules of online booking: what a type asks the client to pay, the ids a booking's steps
use, the date window of an open-slot query, and the states of the booking saga."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shutterbook.scheduling.v1 import scheduling_pb2 as pb

# The longest open-slot query the public API answers, in days (inclusive range).
MAX_SLOT_RANGE_DAYS = 31
# How far ahead an open-slot query may start, in days (no studio opens slots further out; it
# also keeps every date arithmetic far from date.max).
MAX_SLOT_ADVANCE_DAYS = 3 * 366

# Names the API uses for the type's payment option (reference page 05, "Payment Options").
PAYMENT_OPTION_NAMES = {
    pb.PAYMENT_OPTION_UNSPECIFIED: "none",
    pb.PAYMENT_OPTION_NONE: "none",
    pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE: "invoice_listed_price",
    pb.PAYMENT_OPTION_INVOICE_FULL_AMOUNT: "invoice_full_amount",
    pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT: "customer_deposit",
}


class PaymentKind(enum.StrEnum):
    NONE = "none"
    INVOICE = "invoice"  # a payment applied to the session's auto-created invoice
    DEPOSIT = "deposit"  # a customer deposit held on the client


@dataclass(frozen=True)
class PaymentPlan:
    """What the client pays at booking: `amount_minor` None means "the invoice's total after
    the promo code" (the full-amount option); otherwise a fixed amount."""

    option: str
    kind: PaymentKind
    amount_minor: int | None
    currency_code: str

    @property
    def required(self) -> bool:
        return self.kind is not PaymentKind.NONE


def payment_plan(online: pb.OnlineBookingSettings, *, has_invoice: bool) -> PaymentPlan:
    """The payment a booking of a type with these settings requires. Invoice options apply only
    to types whose bookings get an invoice (session types with "Auto-Create Invoice"); an
    appointment type asking for invoice payment takes the amount as a customer deposit instead,
    since billing's auto-created invoices are session fee invoices."""
    option = PAYMENT_OPTION_NAMES.get(online.payment_option, "none")
    currency = online.payment_amount.currency_code or "USD"
    amount = online.payment_amount.amount_minor
    if not online.online_payment or option == "none":
        return PaymentPlan("none", PaymentKind.NONE, 0, currency)
    if option == "customer_deposit" or not has_invoice:
        if option == "invoice_full_amount" and not amount:
            return PaymentPlan("none", PaymentKind.NONE, 0, currency)  # nothing to take a deposit of
        return PaymentPlan(option, PaymentKind.DEPOSIT, amount, currency)
    if option == "invoice_listed_price":
        return PaymentPlan(option, PaymentKind.INVOICE, amount, currency)
    return PaymentPlan(option, PaymentKind.INVOICE, None, currency)


PROMOTION_PREFIX = "promotions/"


def accepts_promo_codes(plan: PaymentPlan, online: pb.OnlineBookingSettings) -> bool:
    """A promo code can change what is paid online only for the full-amount invoice option,
    and only a type offering promotions online ("promotional items offered online") takes one."""
    return plan.kind is PaymentKind.INVOICE and plan.amount_minor is None and bool(online.online_promotions)


def promo_code_offered(code: str, offered_codes: set[str]) -> bool:
    """Codes are case-insensitive (billing stores them upper case)."""
    return code.strip().upper() in offered_codes


def step_id(request_id: str, step: str) -> str:
    """The request_id of one step of a booking, derived from the booking's own request id, so a
    retried booking repeats each step idempotently instead of doing it again."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"shutterbook-booking:{request_id}:{step}"))


class SagaState(enum.StrEnum):
    """A booking's progress. HELD and PAID are the only states recovery acts on."""

    HELD = "held"  # the slot is held; payment may be under way
    PAID = "paid"  # payment taken (or none needed); confirmation under way
    CONFIRMED = "confirmed"  # booked (and paid)
    FAILED = "failed"  # not booked; nothing charged (the hold released or expiring)
    REFUNDED = "refunded"  # not booked; what was charged is refunded
    CANCELLED = "cancelled"  # booked, then cancelled through the manage link


OPEN_STATES = (SagaState.HELD, SagaState.PAID)


def zone(name: str) -> ZoneInfo | None:
    """The IANA zone of that name, or None when it is not one."""
    if not name or ("/" not in name and name != "UTC"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def location_dates_for(first: date, last: date) -> tuple[date, date]:
    """The location-local dates that can hold a slot on client-local dates first..last: a day
    either side, since zones differ by at most 26 hours."""
    return first - timedelta(days=1), last + timedelta(days=1)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()
