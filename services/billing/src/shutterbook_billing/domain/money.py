"""Money rules, pure. Amounts are integer minor units; currencies ISO 4217 codes.

Rounding rule (the only place money is divided): tax and percent discounts are rounded
half up to a whole minor unit (`round_half_up`), tax once per invoice line. A discount is
taken off the subtotal before tax, capped at the subtotal, and spread over the lines in
proportion to their subtotals (largest remainder), so no line and no invoice goes negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shutterbook_kit.errors import Violations

MAX_TAX_RATE_BPS = 10_000  # 100 %
BPS = 10_000
# Far above any studio invoice, far below int64: sums of lines and payments cannot overflow.
MAX_AMOUNT_MINOR = 10**12
MAX_QUANTITY = 10_000


def check_currency(code: str, field: str, v: Violations) -> None:
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        v.add(field, "must be a three-letter ISO 4217 code such as USD")


def check_price(amount_minor: int, field: str, v: Violations) -> None:
    if amount_minor < 0:
        v.add(field, "must not be negative")
    elif amount_minor > MAX_AMOUNT_MINOR:
        v.add(field, f"must be at most {MAX_AMOUNT_MINOR}")


def check_positive_amount(amount_minor: int, field: str, v: Violations) -> None:
    if amount_minor <= 0:
        v.add(field, "must be above zero")
    elif amount_minor > MAX_AMOUNT_MINOR:
        v.add(field, f"must be at most {MAX_AMOUNT_MINOR}")


def check_tax_rate(bps: int, field: str, v: Violations) -> None:
    if not 0 <= bps <= MAX_TAX_RATE_BPS:
        v.add(field, f"must be between 0 and {MAX_TAX_RATE_BPS} basis points")


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for numerator >= 0 and denominator > 0."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def tax_of(amount_minor: int, rate_bps: int) -> int:
    """Tax on an amount at a rate in basis points, rounded half up."""
    return round_half_up(amount_minor * rate_bps, BPS)


@dataclass(frozen=True)
class Discount:
    """A promotion's discount: a percentage in basis points, or an amount off (exactly one)."""

    percent_off_bps: int = 0
    amount_off_minor: int = 0

    def amount_for(self, subtotal_minor: int) -> int:
        """The discount on a subtotal: never more than the subtotal, never negative."""
        if self.percent_off_bps:
            return min(round_half_up(subtotal_minor * self.percent_off_bps, BPS), subtotal_minor)
        return min(max(self.amount_off_minor, 0), subtotal_minor)


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` over `weights` in proportion (largest remainder; ties to the first).

    Requires 0 <= amount <= sum(weights) and weights >= 0. The parts sum to `amount` and
    each part is at most its weight.
    """
    total = sum(weights)
    if amount < 0 or any(w < 0 for w in weights) or amount > total:
        raise ValueError("allocate needs 0 <= amount <= sum(weights) and non-negative weights")
    if amount == 0 or total == 0:
        return [0 for _ in weights]
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(parts)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class LineInput:
    quantity: int
    unit_price_minor: int
    tax_rate_bps: int


@dataclass(frozen=True)
class LineAmounts:
    subtotal: int
    discount: int
    tax: int
    total: int


@dataclass(frozen=True)
class InvoiceAmounts:
    lines: list[LineAmounts]
    subtotal: int
    discount: int
    tax: int
    total: int


def price_invoice(lines: Sequence[LineInput], discount: Discount | None = None) -> InvoiceAmounts:
    """Line subtotals, the discount spread over the lines, tax per line, and the totals."""
    subtotals = [line.quantity * line.unit_price_minor for line in lines]
    subtotal = sum(subtotals)
    discount_total = discount.amount_for(subtotal) if discount else 0
    shares = allocate(discount_total, subtotals)
    priced: list[LineAmounts] = []
    for line, sub, share in zip(lines, subtotals, shares, strict=True):
        tax = tax_of(sub - share, line.tax_rate_bps)
        priced.append(LineAmounts(subtotal=sub, discount=share, tax=tax, total=sub - share + tax))
    return InvoiceAmounts(
        lines=priced,
        subtotal=subtotal,
        discount=discount_total,
        tax=sum(p.tax for p in priced),
        total=sum(p.total for p in priced),
    )


# --- the ledger of one invoice: total = paid + balance, in integer minor units ---------------


class PaymentRefused(Exception):
    """A payment or refund the ledger cannot take; `field` names the offending field."""

    def __init__(self, field: str, message: str, reason: str) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason


def balance_of(total: int, paid: int) -> int:
    """What is still due. `paid` is payments less refunds; it never exceeds the total."""
    if paid < 0 or paid > total:
        raise ValueError("paid must stay between 0 and the total")
    return total - paid


def take_payment(total: int, paid: int, amount: int) -> int:
    """The new amount paid after a payment of `amount`. Overpayment is refused."""
    if amount <= 0:
        raise PaymentRefused("amount", "must be above zero", "AMOUNT_NOT_POSITIVE")
    if amount > balance_of(total, paid):
        raise PaymentRefused("amount", f"is above the balance due ({total - paid})", "PAYMENT_ABOVE_BALANCE")
    return paid + amount


def take_refund(paid: int, refundable: int, amount: int) -> int:
    """The new amount paid after refunding `amount` of a payment with `refundable` left."""
    if amount <= 0:
        raise PaymentRefused("amount", "must be above zero", "AMOUNT_NOT_POSITIVE")
    if amount > refundable:
        raise PaymentRefused("amount", f"is above what is left of the payment ({refundable})", "REFUND_ABOVE_PAYMENT")
    if amount > paid:  # cannot happen while payments are consistent; kept as a guard
        raise PaymentRefused("amount", "is above what the invoice holds", "REFUND_ABOVE_PAID")
    return paid - amount


def within_refund_limit(refunded_before: int, amount: int, limit: int) -> bool:
    """A caller held to a refund limit (the front desk) may refund `amount` only while all the
    refunds of the record together (`refunded_before` plus this one) stay within `limit`, so
    several small refunds cannot add up to more than one large one."""
    return refunded_before + amount <= limit


def cancellation_credit(total_before_credit: int, fee_minor: int) -> int:
    """What a cancellation takes off an invoice whose studio keeps only `fee_minor`: the rest of
    its total (nothing when the fee is the whole total or more)."""
    return max(total_before_credit - max(fee_minor, 0), 0)


def invoice_is_paid(total: int, paid: int) -> bool:
    """Paid: something was due and nothing is. A zero invoice stays open."""
    return total > 0 and paid == total


# ISO 4217 minor-unit exponents that are not 2 (the rest of the world uses cents).
_EXPONENTS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"), 0),
    **dict.fromkeys(("XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def format_money(currency_code: str, amount_minor: int) -> str:
    """`USD 1,234.50` from minor units, exactly (no float)."""
    exponent = _EXPONENTS.get(currency_code, 2)
    sign = "-" if amount_minor < 0 else ""
    units, minor = divmod(abs(amount_minor), 10**exponent)
    fraction = f".{minor:0{exponent}d}" if exponent else ""
    return f"{currency_code} {sign}{units:,}{fraction}"
