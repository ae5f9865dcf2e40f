"""Billing's audit trail through gRPC: an invoice created, paid, refunded and voided, a deposit
applied, a promotion redeemed, each an entry with its caller and its money in minor units;
a refused change writes none; another company's record is NOT_FOUND. SQLite and PostgreSQL."""

from __future__ import annotations

import grpc

from shutterbook.billing.v1 import billing_pb2, billing_pb2_grpc
from shutterbook.common.v1 import audit_pb2
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.audit_support import CALLER, changes, history
from tests.billing_support import (
    billing_service,
    create_deposit,
    create_invoice,
    create_item,
    free_line,
    md,
    new_client,
    pay,
    usd,
)
from tests.clients_support import COMPANY_B, rpc_error, violations


async def billing_history(
    stub: billing_pb2_grpc.BillingServiceAsyncStub, parent: str, page_size: int = 0
) -> list[audit_pb2.AuditEntry]:
    async def page(parent: str, page_size: int, page_token: str) -> audit_pb2.ListAuditEntriesResponse:
        request = audit_pb2.ListAuditEntriesRequest(parent=parent, page_size=page_size, page_token=page_token)
        return await stub.ListAuditEntries(request, metadata=md())

    return await history(page, parent, page_size)


async def test_invoice_created_paid_refunded_voided_has_its_history(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with billing_service(databases, nats_server.url) as b:
        fee = await create_item(b.stub, "SESSION-FEE", 15000)
        invoice = await create_invoice(b.stub, new_client(), [billing_pb2.InvoiceLine(price_list_item=fee.name)])
        add_print = billing_pb2.AddInvoiceLineRequest(invoice=invoice.name, line=free_line("Print", 2000))
        with_print = await b.stub.AddInvoiceLine(add_print, metadata=md())
        assert with_print.total.amount_minor == 17000
        payment = await pay(b.stub, invoice.name, 17000)
        await b.stub.RefundPayment(
            billing_pb2.RefundPaymentRequest(name=payment.name, amount=usd(500), reason="damaged print"), metadata=md()
        )
        await b.stub.RefundPayment(billing_pb2.RefundPaymentRequest(name=payment.name), metadata=md())
        await b.stub.VoidInvoice(billing_pb2.VoidInvoiceRequest(name=invoice.name), metadata=md())

        entries = await billing_history(b.stub, invoice.name)
        assert [e.action for e in entries] == ["voided", "refunded", "refunded", "paid", "line_added", "created"]
        assert {e.caller for e in entries} == {CALLER}
        voided, full_refund, partial_refund, paid, line_added, created = entries
        created_changes = changes(created)
        assert created_changes["total.amount_minor"] == {"after": 15000}
        assert [line["description"] for line in created_changes["lines"]["after"]] == ["Session-Fee"]
        added = changes(line_added)
        assert set(added) == {"line", "subtotal.amount_minor", "total.amount_minor", "balance.amount_minor"}
        assert added["total.amount_minor"] == {"before": 15000, "after": 17000}
        assert added["line"]["after"]["description"] == "Print"
        assert added["line"]["after"]["total"] == {"currency_code": "USD", "amount_minor": 2000}
        assert changes(paid) == {
            "amount_paid.amount_minor": {"before": 0, "after": 17000},
            "balance.amount_minor": {"before": 17000, "after": 0},
            "payment": {"after": payment.name},
            "status": {"before": "INVOICE_STATUS_OPEN", "after": "INVOICE_STATUS_PAID"},
        }
        assert changes(partial_refund) == {
            "amount_paid.amount_minor": {"before": 17000, "after": 16500},
            "balance.amount_minor": {"before": 0, "after": 500},
            "refund.amount_minor": {"after": 500},
            "refund.reason": {"after": "damaged print"},
            "status": {"before": "INVOICE_STATUS_PAID", "after": "INVOICE_STATUS_OPEN"},
        }
        assert changes(full_refund)["refund.amount_minor"] == {"after": 16500}
        assert changes(voided)["status"] == {"before": "INVOICE_STATUS_OPEN", "after": "INVOICE_STATUS_VOID"}

        payment_entries = await billing_history(b.stub, payment.name)
        assert [e.action for e in payment_entries] == ["refunded", "refunded", "created"]
        assert changes(payment_entries[1])["amount_refunded.amount_minor"] == {"before": 0, "after": 500}
        assert changes(payment_entries[2])["amount.amount_minor"] == {"after": 17000}

        # pages of two give the same entries in the same order
        assert await billing_history(b.stub, invoice.name, page_size=2) == entries


async def test_deposit_applied_and_promotion_redeemed(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        client = new_client()
        invoice = await create_invoice(b.stub, client, [free_line("Session", 10000)])
        promotion = await b.stub.CreatePromotion(
            billing_pb2.CreatePromotionRequest(
                promotion=billing_pb2.Promotion(display_name="Spring", code="SPRING10", percent_off_bps=1000)
            ),
            metadata=md(),
        )
        await b.stub.ApplyPromotion(
            billing_pb2.ApplyPromotionRequest(invoice=invoice.name, promo_code="SPRING10"), metadata=md()
        )
        deposit = await create_deposit(b.stub, client, 5000)
        apply = billing_pb2.ApplyDepositRequest(name=deposit.name, invoice=invoice.name, amount=usd(3000))
        applied = await b.stub.ApplyDeposit(apply, metadata=md())

        invoice_entries = await billing_history(b.stub, invoice.name)
        assert [e.action for e in invoice_entries] == ["payment_received", "promotion_applied", "created"]
        promoted = changes(invoice_entries[1])
        assert promoted["discount.amount_minor"] == {"before": 0, "after": 1000}
        assert promoted["total.amount_minor"] == {"before": 10000, "after": 9000}
        assert promoted["promo_code"] == {"after": "SPRING10"}
        deposit_entries = await billing_history(b.stub, deposit.name)
        assert [e.action for e in deposit_entries] == ["applied", "created"]
        assert changes(deposit_entries[0]) == {
            "amount_applied.amount_minor": {"before": 0, "after": 3000},
            "balance.amount_minor": {"before": 5000, "after": 2000},
            "invoice": {"after": invoice.name},
            "payment": {"after": applied.name},
        }
        assert [e.action for e in await billing_history(b.stub, promotion.name)] == ["redeemed", "created"]


async def test_a_refused_change_writes_no_entry_and_other_companies_see_nothing(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with billing_service(databases, nats_server.url) as b:
        invoice = await create_invoice(b.stub, new_client(), [free_line("Session", 10000)])
        await pay(b.stub, invoice.name, 4000)
        holds_money = await rpc_error(
            b.stub.VoidInvoice(billing_pb2.VoidInvoiceRequest(name=invoice.name), metadata=md())
        )
        assert holds_money.code() == grpc.StatusCode.FAILED_PRECONDITION
        too_much = await rpc_error(pay(b.stub, invoice.name, 7000))
        assert too_much.code() != grpc.StatusCode.OK
        assert [e.action for e in await billing_history(b.stub, invoice.name)] == ["payment_received", "created"]

        theirs = await rpc_error(
            b.stub.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(parent=invoice.name), metadata=md(COMPANY_B))
        )
        assert theirs.code() == grpc.StatusCode.NOT_FOUND
        bad = await rpc_error(
            b.stub.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(parent=f"clients/{invoice.name}"), metadata=md())
        )
        assert set(violations(bad)) == {"parent"}


async def test_a_line_added_is_checked_and_repriced_with_the_promotion(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with billing_service(databases, nats_server.url) as b:
        invoice = await create_invoice(b.stub, new_client(), [free_line("Session", 10000)])
        await b.stub.CreatePromotion(
            billing_pb2.CreatePromotionRequest(
                promotion=billing_pb2.Promotion(display_name="Half", code="HALF", percent_off_bps=5000)
            ),
            metadata=md(),
        )
        await b.stub.ApplyPromotion(
            billing_pb2.ApplyPromotionRequest(invoice=invoice.name, promo_code="HALF"), metadata=md()
        )
        euro = free_line("Frame", 3000)
        euro.unit_price.currency_code = "EUR"
        bad = await rpc_error(
            b.stub.AddInvoiceLine(billing_pb2.AddInvoiceLineRequest(invoice=invoice.name, line=euro), metadata=md())
        )
        assert set(violations(bad)) == {"line.unit_price.currency_code"}
        empty = await rpc_error(
            b.stub.AddInvoiceLine(billing_pb2.AddInvoiceLineRequest(invoice=invoice.name), metadata=md())
        )
        assert set(violations(empty)) >= {"line", "line.description"}
        theirs = await rpc_error(
            b.stub.AddInvoiceLine(
                billing_pb2.AddInvoiceLineRequest(invoice=invoice.name, line=free_line("Frame", 3000)),
                metadata=md(COMPANY_B),
            )
        )
        assert theirs.code() == grpc.StatusCode.NOT_FOUND
        added = await b.stub.AddInvoiceLine(
            billing_pb2.AddInvoiceLineRequest(invoice=invoice.name, line=free_line("Frame", 3000)), metadata=md()
        )
        assert (added.subtotal.amount_minor, added.discount.amount_minor, added.total.amount_minor) == (
            13000,
            6500,
            6500,
        )
        assert [e.action for e in await billing_history(b.stub, invoice.name)] == [
            "line_added",
            "promotion_applied",
            "created",
        ]


async def test_a_line_removed_is_repriced_and_never_below_what_was_paid(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with billing_service(databases, nats_server.url) as b:
        invoice = await create_invoice(b.stub, new_client(), [free_line("Session", 10000), free_line("Frame", 3000)])
        session_line, frame_line = invoice.lines
        assert frame_line.name.startswith(f"{invoice.name}/lines/")
        await pay(b.stub, invoice.name, 9000)
        # without the session line the invoice would total 30.00, below the 90.00 paid
        beyond = await rpc_error(
            b.stub.RemoveInvoiceLine(billing_pb2.RemoveInvoiceLineRequest(name=session_line.name), metadata=md())
        )
        assert beyond.code() == grpc.StatusCode.FAILED_PRECONDITION
        theirs = await rpc_error(
            b.stub.RemoveInvoiceLine(billing_pb2.RemoveInvoiceLineRequest(name=frame_line.name), metadata=md(COMPANY_B))
        )
        assert theirs.code() == grpc.StatusCode.NOT_FOUND
        bad = await rpc_error(
            b.stub.RemoveInvoiceLine(billing_pb2.RemoveInvoiceLineRequest(name=invoice.name), metadata=md())
        )
        assert set(violations(bad)) == {"name"}
        ask = billing_pb2.RemoveInvoiceLineRequest(
            name=frame_line.name, request_id="6f1c2a9e-0d7b-4e53-9a55-1f3c8e2b7d40"
        )
        removed = await b.stub.RemoveInvoiceLine(ask, metadata=md())
        assert [line.description for line in removed.lines] == ["Session"]
        assert (removed.total.amount_minor, removed.balance.amount_minor) == (10000, 1000)
        assert removed.status == billing_pb2.INVOICE_STATUS_OPEN
        again = await b.stub.RemoveInvoiceLine(ask, metadata=md())  # a retry: the first answer, nothing removed twice
        assert again == removed
        gone = await rpc_error(
            b.stub.RemoveInvoiceLine(billing_pb2.RemoveInvoiceLineRequest(name=frame_line.name), metadata=md())
        )
        assert gone.code() == grpc.StatusCode.NOT_FOUND
        entries = await billing_history(b.stub, invoice.name)
        assert [e.action for e in entries] == ["line_removed", "payment_received", "created"]
        assert changes(entries[0])["line"]["after"]["description"] == "Frame"
        assert changes(entries[0])["total.amount_minor"] == {"before": 13000, "after": 10000}
