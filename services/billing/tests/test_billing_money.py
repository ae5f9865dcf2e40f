"""The money arithmetic, pure: rounding stated and tested, and property-based tests
(hypothesis) over lines, tax, promotions, partial payments, deposits and refunds: the
total always equals paid + balance in integer minor units, and nothing goes negative."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shutterbook_billing.domain.money import (
    Discount,
    LineInput,
    PaymentRefused,
    allocate,
    balance_of,
    format_money,
    invoice_is_paid,
    price_invoice,
    round_half_up,
    take_payment,
    take_refund,
    tax_of,
    within_refund_limit,
)


def reference_tax(amount: int, bps: int) -> int:
    return int((Decimal(amount) * bps / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_rounding_is_half_up_per_line() -> None:
    assert round_half_up(5, 10) == 1  # 0.5 -> 1
    assert round_half_up(4, 10) == 0
    assert round_half_up(15, 10) == 2  # 1.5 -> 2 (not banker's rounding)
    assert round_half_up(25, 10) == 3  # 2.5 -> 3
    assert tax_of(15000, 825) == 1238  # 1237.5
    assert tax_of(2250, 825) == 186  # 185.625
    assert tax_of(7500, 825) == 619  # 618.75
    # tax is per line: two lines of 1 at 50 % are 1 + 1, not round(1.0) = 1
    two = price_invoice([LineInput(1, 1, 5000), LineInput(1, 1, 5000)])
    assert two.tax == 2
    with pytest.raises(ValueError, match="non-negative"):
        round_half_up(-1, 10)


def test_discounts_are_capped_and_spread() -> None:
    assert Discount(amount_off_minor=5000).amount_for(3000) == 3000
    assert Discount(percent_off_bps=10_000).amount_for(3000) == 3000
    assert Discount(percent_off_bps=3333).amount_for(100) == 33  # 33.33
    assert allocate(1000, [3000, 1000]) == [750, 250]
    assert allocate(1, [1, 1]) == [1, 0]  # ties go to the first line
    assert allocate(0, [0, 0]) == [0, 0]
    priced = price_invoice([LineInput(1, 3000, 825), LineInput(1, 1000, 0)], Discount(amount_off_minor=1000))
    assert [line.discount for line in priced.lines] == [750, 250]
    assert (priced.subtotal, priced.discount, priced.tax, priced.total) == (4000, 1000, 186, 3186)


def test_ledger_refuses_overpayment_and_over_refund() -> None:
    assert take_payment(1000, 0, 400) == 400
    with pytest.raises(PaymentRefused) as above:
        take_payment(1000, 700, 301)
    assert above.value.reason == "PAYMENT_ABOVE_BALANCE"
    with pytest.raises(PaymentRefused):
        take_payment(1000, 0, 0)
    with pytest.raises(PaymentRefused) as over:
        take_refund(500, 200, 201)
    assert over.value.reason == "REFUND_ABOVE_PAYMENT"
    assert not invoice_is_paid(0, 0)  # a zero invoice stays open
    assert invoice_is_paid(10, 10)


def test_format_money_is_exact() -> None:
    assert format_money("USD", 123450) == "USD 1,234.50"
    assert format_money("USD", 5) == "USD 0.05"
    assert format_money("JPY", 1500) == "JPY 1,500"
    assert format_money("KWD", 1234) == "KWD 1.234"


lines_strategy = st.lists(
    st.builds(
        LineInput,
        quantity=st.integers(1, 50),
        unit_price_minor=st.integers(0, 2_000_000),
        tax_rate_bps=st.integers(0, 10_000),
    ),
    min_size=0,
    max_size=8,
)
discount_strategy = st.one_of(
    st.none(),
    st.builds(Discount, percent_off_bps=st.integers(1, 10_000)),
    st.builds(Discount, amount_off_minor=st.integers(1, 50_000_000)),
)


@settings(max_examples=300, deadline=None, database=None)
@given(lines=lines_strategy, discount=discount_strategy)
def test_pricing_adds_up(lines: list[LineInput], discount: Discount | None) -> None:
    priced = price_invoice(lines, discount)
    assert priced.subtotal == sum(line.quantity * line.unit_price_minor for line in lines)
    assert 0 <= priced.discount <= priced.subtotal
    assert sum(line.discount for line in priced.lines) == priced.discount
    for line, amounts in zip(lines, priced.lines, strict=True):
        assert 0 <= amounts.discount <= amounts.subtotal
        assert amounts.tax == reference_tax(amounts.subtotal - amounts.discount, line.tax_rate_bps)
        assert amounts.total == amounts.subtotal - amounts.discount + amounts.tax
        assert amounts.total >= 0
    assert priced.total == sum(line.total for line in priced.lines)
    assert priced.total == priced.subtotal - priced.discount + priced.tax
    assert priced.total >= 0
    if discount is None:
        assert priced.discount == 0


@settings(max_examples=300, deadline=None, database=None)
@given(amount=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**7), min_size=1, max_size=10))
def test_allocation_is_exact_and_bounded(amount: int, weights: list[int]) -> None:
    amount = min(amount, sum(weights))
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    assert all(0 <= p <= w for p, w in zip(parts, weights, strict=True))


@dataclass
class Ledger:
    """A model of one invoice with its payments and one deposit, driven only by the domain's
    functions, as the use cases drive them."""

    total: int
    paid: int = 0
    payments: list[list[int]] = field(default_factory=list)  # [amount, refunded, from_deposit]
    deposit: int = 0
    deposit_applied: int = 0

    def check(self) -> None:
        assert self.total == self.paid + balance_of(self.total, self.paid)
        assert 0 <= self.paid <= self.total
        assert self.paid == sum(a - r for a, r, _ in self.payments)
        assert all(0 <= r <= a for a, r, _ in self.payments)
        assert 0 <= self.deposit_applied <= self.deposit
        assert self.deposit_applied == sum(a - r for a, r, d in self.payments if d)


operation = st.tuples(
    st.sampled_from(["pay", "refund", "deposit", "apply"]), st.integers(-10, 3_000_000), st.integers(0, 20)
)


@settings(max_examples=300, deadline=None, database=None)
@given(lines=lines_strategy, discount=discount_strategy, ops=st.lists(operation, max_size=30))
def test_money_never_drifts(lines: list[LineInput], discount: Discount | None, ops: list[tuple[str, int, int]]) -> None:
    ledger = Ledger(total=price_invoice(lines, discount).total)
    for kind, amount, pick in ops:
        try:
            if kind == "pay":
                ledger.paid = take_payment(ledger.total, ledger.paid, amount)
                ledger.payments.append([amount, 0, 0])
            elif kind == "refund" and ledger.payments:
                payment = ledger.payments[pick % len(ledger.payments)]
                ledger.paid = take_refund(ledger.paid, payment[0] - payment[1], amount)
                payment[1] += amount
                if payment[2]:
                    ledger.deposit_applied -= amount
            elif kind == "deposit" and amount > 0:
                ledger.deposit += amount
            elif kind == "apply":
                if amount > ledger.deposit - ledger.deposit_applied:
                    continue  # the use case refuses this (ABOVE_DEPOSIT_BALANCE)
                ledger.paid = take_payment(ledger.total, ledger.paid, amount)
                ledger.deposit_applied += amount
                ledger.payments.append([amount, 0, 1])
        except PaymentRefused:
            pass  # refused operations change nothing
        ledger.check()
    assert invoice_is_paid(ledger.total, ledger.paid) == (ledger.total > 0 and ledger.paid == ledger.total)


def test_refunds_held_to_a_limit_add_up() -> None:
    assert within_refund_limit(0, 10_000, 10_000)
    assert within_refund_limit(6_000, 4_000, 10_000)
    assert not within_refund_limit(6_000, 4_001, 10_000)
    assert not within_refund_limit(10_000, 1, 10_000)
