"""Pure rules of what a customer sees before paying and what a cancellation refunds.

The quote repeats billing's arithmetic for an invoice without a discount (tax per line, in basis
points, rounded half up): the session fee invoice billing will create from the type's price list
items, so the customer sees the tax, the total, what is taken now and what is left to pay."""

from __future__ import annotations

from dataclasses import dataclass

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway.domain.booking import PaymentPlan

BPS = 10_000

# Names the API uses for a type's cancellation policy (scheduling's CancellationPolicy).
CANCELLATION_POLICY_NAMES = {
    pb.CANCELLATION_POLICY_UNSPECIFIED: "studio_decides",
    pb.CANCELLATION_POLICY_REFUND_IN_FULL: "refund_in_full",
    pb.CANCELLATION_POLICY_KEEP_DEPOSIT: "keep_deposit",
    pb.CANCELLATION_POLICY_KEEP_FEE: "keep_fee",
}


@dataclass(frozen=True)
class PriceItem:
    unit_price_minor: int
    tax_rate_bps: int


@dataclass(frozen=True)
class Quote:
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    due_now_minor: int  # taken at booking
    balance_minor: int  # left to pay the studio afterwards
    currency_code: str


def tax_of(amount_minor: int, rate_bps: int) -> int:
    """Tax on a line, rounded half up (billing's rule)."""
    return (amount_minor * rate_bps * 2 + BPS) // (2 * BPS)


def quote(items: list[PriceItem], currency_code: str, plan: PaymentPlan) -> Quote:
    """The invoice a booking gets (one of each item) and how the plan pays it. A deposit is
    taken now and counts against the balance; the full-amount option takes the whole total."""
    subtotal = sum(i.unit_price_minor for i in items)
    tax = sum(tax_of(i.unit_price_minor, i.tax_rate_bps) for i in items)
    total = subtotal + tax
    if not plan.required:
        due = 0
    elif plan.amount_minor is None:
        due = total
    else:
        due = min(plan.amount_minor, total) if total else plan.amount_minor
    return Quote(subtotal, tax, total, due, max(total - due, 0), currency_code)


def cancellation_refund(policy: int, fee_minor: int, charged_minor: int) -> int:
    """What a customer who cancels online gets back of the `charged_minor` taken at booking.
    Unset (the studio decides) and keep-the-deposit refund nothing; a fee is kept up to what
    was paid."""
    if policy == pb.CANCELLATION_POLICY_REFUND_IN_FULL:
        return charged_minor
    if policy == pb.CANCELLATION_POLICY_KEEP_FEE:
        return max(charged_minor - fee_minor, 0)
    return 0


def invoice_kept(policy: int, fee_minor: int, charged_minor: int) -> int | None:
    """What the invoice of a booking cancelled online keeps: None leaves it as it is (the studio
    decides), 0 voids it (refunded in full, or nothing was taken that the studio keeps), above
    zero reduces it to that amount (the fee; or what was paid, when the deposit is kept). What
    was charged beyond it is refunded (`cancellation_refund`), so the invoice is then settled
    when what was paid covers it, and left due for the rest of the fee otherwise."""
    if policy == pb.CANCELLATION_POLICY_REFUND_IN_FULL:
        return 0
    if policy == pb.CANCELLATION_POLICY_KEEP_FEE:
        return max(fee_minor, 0)
    if policy == pb.CANCELLATION_POLICY_KEEP_DEPOSIT:
        return charged_minor
    return None
