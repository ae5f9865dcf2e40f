"""The client record's deposit forms read into billing's terms: applying names an invoice and an
amount, each refused beside its field; billing's field paths come back as the form's names."""

from __future__ import annotations

import pytest

from shutterbook_console.domain.desk_forms import form_field, read_apply, read_refund
from shutterbook_kit.errors import InvalidArgument

INVOICE = "invoices/0b6b2f4c-1111-4c4c-9999-3f0d2a7e9a10"


def test_applying_a_deposit_needs_an_invoice_and_an_amount() -> None:
    form = read_apply({"invoice": INVOICE, "amount": "1,030.5", "request_id": "not-a-uuid"})
    assert (form.invoice, form.amount_minor) == (INVOICE, 103050)
    assert len(form.request_id) == 36  # a script's post without a key still gets one
    with pytest.raises(InvalidArgument) as refused:
        read_apply({"invoice": "", "amount": "thirty"})
    assert [v.field for v in refused.value.violations] == ["invoice", "amount"]


def test_a_deposit_refund_is_read_as_a_payment_refund_and_named_back() -> None:
    refund = read_refund({"refund_amount": "20", "reason": " cancelled "})
    assert (refund.amount_minor, refund.reason) == (2000, "cancelled")
    assert form_field("amount.amount_minor", refund=True) == "refund_amount"
    assert form_field("invoice") == "invoice"
    assert form_field("name") == "deposit"
