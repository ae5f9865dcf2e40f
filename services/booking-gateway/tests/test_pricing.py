"""The quote a customer sees before paying, and what a cancellation refunds."""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway.domain.booking import PaymentKind, PaymentPlan
from shutterbook_gateway.domain.pricing import PriceItem, cancellation_refund, quote, tax_of

FEE = [PriceItem(15000, 825)]


def test_tax_is_per_line_and_rounded_half_up() -> None:
    assert tax_of(15000, 825) == 1238  # 1237.5 rounds up
    assert tax_of(100, 825) == 8  # 8.25 rounds down
    two = quote([PriceItem(15000, 825), PriceItem(100, 825)], "USD", PaymentPlan("none", PaymentKind.NONE, 0, "USD"))
    assert (two.subtotal_minor, two.tax_minor, two.total_minor) == (15100, 1246, 16346)


def test_the_plan_decides_what_is_due_now_and_what_is_left() -> None:
    listed = quote(FEE, "USD", PaymentPlan("invoice_listed_price", PaymentKind.INVOICE, 5000, "USD"))
    assert (listed.total_minor, listed.due_now_minor, listed.balance_minor) == (16238, 5000, 11238)
    full = quote(FEE, "USD", PaymentPlan("invoice_full_amount", PaymentKind.INVOICE, None, "USD"))
    assert (full.due_now_minor, full.balance_minor) == (16238, 0)
    free = quote(FEE, "USD", PaymentPlan("none", PaymentKind.NONE, 0, "USD"))
    assert (free.due_now_minor, free.balance_minor) == (0, 16238)
    deposit_only = quote([], "USD", PaymentPlan("customer_deposit", PaymentKind.DEPOSIT, 2000, "USD"))
    assert (deposit_only.total_minor, deposit_only.due_now_minor, deposit_only.balance_minor) == (0, 2000, 0)


def test_a_cancellation_refunds_as_the_policy_says() -> None:
    assert cancellation_refund(pb.CANCELLATION_POLICY_REFUND_IN_FULL, 0, 5000) == 5000
    assert cancellation_refund(pb.CANCELLATION_POLICY_KEEP_FEE, 2500, 5000) == 2500
    assert cancellation_refund(pb.CANCELLATION_POLICY_KEEP_FEE, 9000, 5000) == 0
    assert cancellation_refund(pb.CANCELLATION_POLICY_KEEP_DEPOSIT, 0, 5000) == 0
    assert cancellation_refund(pb.CANCELLATION_POLICY_UNSPECIFIED, 0, 5000) == 0
