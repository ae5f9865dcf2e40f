"""Billing over gRPC on SQLite and PostgreSQL: invoices, payments, refunds, deposits,
promotions, online charges through the sandbox provider, bad input and tenancy."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import timestamp_pb2
from sqlalchemy import select

from shutterbook.billing.v1 import billing_pb2
from shutterbook.billing.v1 import events_pb2 as billing_events
from shutterbook.common.v1 import events_pb2
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from shutterbook_kit.db import Database
from shutterbook_kit.schema import OutboxMessage
from shutterbook_kit.uow import UnitOfWork
from tests.billing_support import (
    COMPANY_A,
    COMPANY_B,
    billing_service,
    create_invoice,
    create_item,
    error_field,
    free_line,
    md,
    new_client,
    pay,
    usd,
)


def ts(value: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def assert_ledger(invoice: billing_pb2.Invoice) -> None:
    assert invoice.total.amount_minor == invoice.amount_paid.amount_minor + invoice.balance.amount_minor
    assert invoice.balance.amount_minor >= 0
    assert invoice.amount_paid.amount_minor >= 0


async def test_invoice_payments_refunds_and_deposits(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        fee = await create_item(b.stub, "SESSION-FEE-FAMILY", 15000, 825)
        client = new_client()
        invoice = await create_invoice(
            b.stub,
            client,
            [billing_pb2.InvoiceLine(price_list_item=fee.name), free_line("8x10 Print", 2000, 0, quantity=3)],
        )
        assert invoice.invoice_number == "INV-000001"
        assert [line.description for line in invoice.lines] == ["Session-Fee-Family", "8x10 Print"]
        # 15000 + 8.25 % tax (1237.5 -> 1238, half up) + 3 x 2000 untaxed
        assert invoice.subtotal.amount_minor == 21000
        assert invoice.tax.amount_minor == 1238
        assert invoice.total.amount_minor == 22238
        assert invoice.status == billing_pb2.INVOICE_STATUS_OPEN
        assert_ledger(invoice)
        second = await create_invoice(b.stub, client, [free_line("Frame", 100)])
        assert second.invoice_number == "INV-000002"

        p1 = await pay(b.stub, invoice.name, 10000, billing_pb2.PAYMENT_METHOD_CHECK)
        assert p1.client == client
        after = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=md())
        assert (after.amount_paid.amount_minor, after.balance.amount_minor) == (10000, 12238)
        assert_ledger(after)

        # a deposit held on the client, applied later
        deposit = await b.stub.CreateDeposit(
            billing_pb2.CreateDepositRequest(
                deposit=billing_pb2.Deposit(client=client, amount=usd(5000), method=billing_pb2.PAYMENT_METHOD_CASH)
            ),
            metadata=md(),
        )
        applied = await b.stub.ApplyDeposit(
            billing_pb2.ApplyDepositRequest(name=deposit.name, invoice=invoice.name, amount=usd(3000)), metadata=md()
        )
        assert applied.method == billing_pb2.PAYMENT_METHOD_DEPOSIT
        assert applied.deposit == deposit.name
        held = await b.stub.GetDeposit(billing_pb2.GetDepositRequest(name=deposit.name), metadata=md())
        assert (held.amount_applied.amount_minor, held.balance.amount_minor) == (3000, 2000)

        rest = await pay(b.stub, invoice.name, 22238 - 13000, billing_pb2.PAYMENT_METHOD_CARD)
        paid = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=md())
        assert paid.status == billing_pb2.INVOICE_STATUS_PAID
        assert paid.balance.amount_minor == 0
        assert_ledger(paid)

        # refunds: partial, then the rest; a refunded deposit payment goes back onto the deposit
        await b.stub.RefundPayment(billing_pb2.RefundPaymentRequest(name=rest.name, amount=usd(238)), metadata=md())
        refunded = await b.stub.RefundPayment(billing_pb2.RefundPaymentRequest(name=applied.name), metadata=md())
        assert refunded.amount_refunded.amount_minor == 3000
        held = await b.stub.GetDeposit(billing_pb2.GetDepositRequest(name=deposit.name), metadata=md())
        assert held.balance.amount_minor == 5000
        reopened = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=md())
        assert reopened.status == billing_pb2.INVOICE_STATUS_OPEN
        assert reopened.balance.amount_minor == 3238
        assert_ledger(reopened)
        listed = await b.stub.ListPayments(billing_pb2.ListPaymentsRequest(invoice=invoice.name), metadata=md())
        assert [p.name for p in listed.payments] == [p1.name, applied.name, rest.name]

        # over-refund is refused, naming the field
        with pytest.raises(grpc.aio.AioRpcError) as over:
            await b.stub.RefundPayment(
                billing_pb2.RefundPaymentRequest(name=rest.name, amount=usd(99999)), metadata=md()
            )
        assert over.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_field(over.value) == ("REFUND_ABOVE_PAYMENT", "amount.amount_minor")

        # voiding: refused while money is held; a fresh invoice voids, then takes nothing
        with pytest.raises(grpc.aio.AioRpcError) as held_money:
            await b.stub.VoidInvoice(billing_pb2.VoidInvoiceRequest(name=invoice.name), metadata=md())
        assert held_money.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        voided = await b.stub.VoidInvoice(billing_pb2.VoidInvoiceRequest(name=second.name), metadata=md())
        assert voided.status == billing_pb2.INVOICE_STATUS_VOID
        with pytest.raises(grpc.aio.AioRpcError) as void_pay:
            await pay(b.stub, second.name, 100)
        assert error_field(void_pay.value)[0] == "INVOICE_VOID"

        # every change wrote its typed event to the outbox, in its own transaction
        db = Database(b.database_url)
        try:
            async with UnitOfWork(db, readonly=True) as uow:
                outbox = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq))).all()
        finally:
            await db.dispose()
        assert {row.subject for row in outbox} == {
            "billing.invoice.created",
            "billing.invoice.paid",
            "billing.invoice.voided",
            "billing.payment.received",
            "billing.payment.refunded",
            "billing.deposit.created",
            "billing.deposit.applied",
        }
        paid_events = [row for row in outbox if row.subject == "billing.invoice.paid"]
        envelope = events_pb2.EventEnvelope.FromString(paid_events[0].payload)
        paid_event = billing_events.InvoicePaidEvent()
        assert envelope.payload.Unpack(paid_event)
        assert envelope.company_id == COMPANY_A
        assert paid_event.invoice.name == invoice.name
        assert paid_event.invoice.balance.amount_minor == 0


async def test_bad_input_names_the_field(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        client = new_client()
        # negative / zero amounts, currency mismatch between lines, a malformed client
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await b.stub.CreateInvoice(
                billing_pb2.CreateInvoiceRequest(
                    invoice=billing_pb2.Invoice(
                        client="people/1",
                        lines=[free_line("a", -5), free_line("b", 100, tax_bps=20000)],
                    )
                ),
                metadata=md(),
            )
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert set(rpc_violations(bad.value)) == {
            "invoice.client",
            "invoice.lines[0].unit_price.amount_minor",
            "invoice.lines[1].tax_rate_bps",
        }
        eur = billing_pb2.InvoiceLine(description="x", unit_price=usd(100))
        eur.unit_price.currency_code = "EUR"
        with pytest.raises(grpc.aio.AioRpcError) as mixed:
            await create_invoice(b.stub, client, [free_line("a", 100), eur])
        assert mixed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(mixed.value)) == ["invoice.lines[1].unit_price.currency_code"]

        invoice = await create_invoice(b.stub, client, [free_line("Session", 10000)])
        for amount in (0, -100):
            with pytest.raises(grpc.aio.AioRpcError) as nonpositive:
                await pay(b.stub, invoice.name, amount)
            assert nonpositive.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert list(rpc_violations(nonpositive.value)) == ["payment.amount.amount_minor"]
        with pytest.raises(grpc.aio.AioRpcError) as currency:
            await pay(b.stub, invoice.name, 100, currency="EUR")
        assert currency.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(currency.value)) == ["payment.amount.currency_code"]
        with pytest.raises(grpc.aio.AioRpcError) as above:
            await pay(b.stub, invoice.name, 10001)
        assert above.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_field(above.value) == ("PAYMENT_ABOVE_BALANCE", "payment.amount.amount_minor")
        with pytest.raises(grpc.aio.AioRpcError) as no_method:
            await pay(b.stub, invoice.name, 100, billing_pb2.PAYMENT_METHOD_UNSPECIFIED)
        assert list(rpc_violations(no_method.value)) == ["payment.method"]
        with pytest.raises(grpc.aio.AioRpcError) as online:
            await pay(b.stub, invoice.name, 100, billing_pb2.PAYMENT_METHOD_ONLINE)
        assert set(rpc_violations(online.value)) == {"payment_token", "request_id"}

        # a deposit of another client cannot pay this client's invoice
        other = await b.stub.CreateDeposit(
            billing_pb2.CreateDepositRequest(
                deposit=billing_pb2.Deposit(
                    client=new_client(), amount=usd(500), method=billing_pb2.PAYMENT_METHOD_CASH
                )
            ),
            metadata=md(),
        )
        with pytest.raises(grpc.aio.AioRpcError) as foreign:
            await b.stub.ApplyDeposit(
                billing_pb2.ApplyDepositRequest(name=other.name, invoice=invoice.name), metadata=md()
            )
        assert foreign.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_field(foreign.value) == ("DEPOSIT_OF_ANOTHER_CLIENT", "invoice")
        with pytest.raises(grpc.aio.AioRpcError) as zero_deposit:
            await b.stub.CreateDeposit(
                billing_pb2.CreateDepositRequest(
                    deposit=billing_pb2.Deposit(client=client, amount=usd(0), method=billing_pb2.PAYMENT_METHOD_CASH)
                ),
                metadata=md(),
            )
        assert list(rpc_violations(zero_deposit.value)) == ["deposit.amount.amount_minor"]

        # promo codes: expired, used up, not eligible, unknown
        now = datetime.now(UTC)

        async def promo(code: str, **kw: object) -> billing_pb2.Promotion:
            return await b.stub.CreatePromotion(
                billing_pb2.CreatePromotionRequest(
                    promotion=billing_pb2.Promotion(display_name=code, code=code, percent_off_bps=1000, **kw)  # type: ignore[arg-type]
                ),
                metadata=md(),
            )

        await promo("OLD", start_time=ts(now - timedelta(days=10)), end_time=ts(now - timedelta(days=1)))
        await promo("ONCE", usage_limit=1)
        await promo("DELUXE-ONLY", eligible_session_types=[f"sessionTypes/{uuid.uuid4()}"])
        other_invoice = await create_invoice(b.stub, client, [free_line("Session", 10000)])
        await b.stub.ApplyPromotion(
            billing_pb2.ApplyPromotionRequest(invoice=other_invoice.name, promo_code="once"), metadata=md()
        )
        for code, reason in [
            ("OLD", "PROMO_CODE_EXPIRED"),
            ("ONCE", "PROMO_CODE_USED_UP"),
            ("DELUXE-ONLY", "PROMO_CODE_NOT_ELIGIBLE"),
            ("NOPE", "PROMO_CODE_UNKNOWN"),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await b.stub.ApplyPromotion(
                    billing_pb2.ApplyPromotionRequest(invoice=invoice.name, promo_code=code), metadata=md()
                )
            assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION, code
            assert error_field(refused.value) == (reason, "promo_code")
        with pytest.raises(grpc.aio.AioRpcError) as bad_promo:
            await b.stub.CreatePromotion(
                billing_pb2.CreatePromotionRequest(promotion=billing_pb2.Promotion(display_name="x", code="X Y")),
                metadata=md(),
            )
        assert set(rpc_violations(bad_promo.value)) == {"promotion.code", "promotion.discount"}
        unchanged = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=md())
        assert unchanged.total.amount_minor == 10000
        assert unchanged.amount_paid.amount_minor == 0


async def test_promotion_discounts_before_tax(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        await b.stub.CreatePromotion(
            billing_pb2.CreatePromotionRequest(
                promotion=billing_pb2.Promotion(display_name="Ten off", code="ten", amount_off=usd(1000))
            ),
            metadata=md(),
        )
        invoice = await create_invoice(b.stub, new_client(), [free_line("Fee", 3000, 825), free_line("Print", 1000)])
        discounted = await b.stub.ApplyPromotion(
            billing_pb2.ApplyPromotionRequest(invoice=invoice.name, promo_code="TEN"), metadata=md()
        )
        # 1000 off spread 3:1 -> 750 and 250; tax 8.25 % of 2250 = 185.625 -> 186
        assert [line.discount.amount_minor for line in discounted.lines] == [750, 250]
        assert discounted.discount.amount_minor == 1000
        assert discounted.tax.amount_minor == 186
        assert discounted.total.amount_minor == 3186
        assert discounted.promo_code == "TEN"
        assert_ledger(discounted)


async def test_another_company_sees_and_changes_nothing(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        client = new_client()
        invoice = await create_invoice(b.stub, client, [free_line("Session", 10000)])
        payment = await pay(b.stub, invoice.name, 1000)
        deposit = await b.stub.CreateDeposit(
            billing_pb2.CreateDepositRequest(
                deposit=billing_pb2.Deposit(client=client, amount=usd(500), method=billing_pb2.PAYMENT_METHOD_CASH)
            ),
            metadata=md(),
        )
        b_md = md(COMPANY_B)
        calls: list[Awaitable[object]] = [
            b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=b_md),
            b.stub.VoidInvoice(billing_pb2.VoidInvoiceRequest(name=invoice.name), metadata=b_md),
            pay(b.stub, invoice.name, 100, company=COMPANY_B),
            b.stub.ListPayments(billing_pb2.ListPaymentsRequest(invoice=invoice.name), metadata=b_md),
            b.stub.GetPayment(billing_pb2.GetPaymentRequest(name=payment.name), metadata=b_md),
            b.stub.RefundPayment(billing_pb2.RefundPaymentRequest(name=payment.name), metadata=b_md),
            b.stub.GetDeposit(billing_pb2.GetDepositRequest(name=deposit.name), metadata=b_md),
            b.stub.ApplyDeposit(
                billing_pb2.ApplyDepositRequest(name=deposit.name, invoice=invoice.name), metadata=b_md
            ),
            b.stub.RenderSessionConfirmation(
                billing_pb2.RenderSessionConfirmationRequest(invoice=invoice.name), metadata=b_md
            ),
            b.stub.RenderPaymentReceipt(billing_pb2.RenderPaymentReceiptRequest(payment=payment.name), metadata=b_md),
        ]
        for call in calls:
            with pytest.raises(grpc.aio.AioRpcError) as hidden:
                await call
            assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
        assert not (await b.stub.ListInvoices(billing_pb2.ListInvoicesRequest(), metadata=b_md)).invoices
        assert not (await b.stub.ListDeposits(billing_pb2.ListDepositsRequest(), metadata=b_md)).deposits
        # company B's first invoice is numbered in its own sequence
        own = await create_invoice(b.stub, client, [free_line("Session", 100)], company=COMPANY_B)
        assert own.invoice_number == "INV-000001"
        after = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=md())
        assert after.amount_paid.amount_minor == 1000
        assert after.status == billing_pb2.INVOICE_STATUS_OPEN
        held = await b.stub.GetDeposit(billing_pb2.GetDepositRequest(name=deposit.name), metadata=md())
        assert held.amount_applied.amount_minor == 0


async def test_online_payment_charges_once(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url, slow_seconds=1.0) as b:
        invoice = await create_invoice(b.stub, new_client(), [free_line("Session", 10000)])
        online = billing_pb2.PAYMENT_METHOD_ONLINE
        rid = str(uuid.uuid4())
        first = await pay(b.stub, invoice.name, 4000, online, token="tok_sandbox_ok", request_id=rid)
        again = await pay(b.stub, invoice.name, 4000, online, token="tok_sandbox_ok", request_id=rid)
        assert again == first
        assert first.provider_charge_id.startswith("ch_sandbox_")
        assert b.provider.charged_total() == 4000

        with pytest.raises(grpc.aio.AioRpcError) as declined:
            await pay(b.stub, invoice.name, 1000, online, token="tok_sandbox_declined", request_id=str(uuid.uuid4()))
        assert declined.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_field(declined.value) == ("CARD_DECLINED", "payment_token")

        rid_error = str(uuid.uuid4())
        with pytest.raises(grpc.aio.AioRpcError) as down:
            await pay(b.stub, invoice.name, 1000, online, token="tok_sandbox_error", request_id=rid_error)
        assert down.value.code() == grpc.StatusCode.UNAVAILABLE

        # a slow charge whose caller gave up: the retry with the same request_id charges once
        rid_slow = str(uuid.uuid4())
        with pytest.raises(grpc.aio.AioRpcError) as gave_up:
            await b.stub.CreatePayment(
                billing_pb2.CreatePaymentRequest(
                    payment=billing_pb2.Payment(invoice=invoice.name, amount=usd(2000), method=online),
                    payment_token="tok_sandbox_slow",
                    request_id=rid_slow,
                ),
                metadata=md(),
                timeout=0.2,
            )
        assert gave_up.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        retried = await pay(b.stub, invoice.name, 2000, online, token="tok_sandbox_slow", request_id=rid_slow)
        assert retried.amount.amount_minor == 2000
        assert b.provider.charged_total() == 6000
        assert len(b.provider.charges) == 2

        refunded = await b.stub.RefundPayment(
            billing_pb2.RefundPaymentRequest(name=first.name, amount=usd(1500), request_id=str(uuid.uuid4())),
            metadata=md(),
        )
        assert refunded.amount_refunded.amount_minor == 1500
        assert b.provider.refunded[first.provider_charge_id] == 1500
        final = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=md())
        assert final.amount_paid.amount_minor == 4500
        assert_ledger(final)


async def test_concurrent_payments_never_overpay(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        invoice = await create_invoice(b.stub, new_client(), [free_line("Session", 10000)])
        results = await asyncio.gather(*(pay(b.stub, invoice.name, 3000) for _ in range(6)), return_exceptions=True)
        taken = [r for r in results if isinstance(r, billing_pb2.Payment)]
        refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(taken) == 3
        assert len(refused) == 3
        assert all(r.code() == grpc.StatusCode.FAILED_PRECONDITION for r in refused)
        final = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=md())
        assert final.amount_paid.amount_minor == 9000
        assert final.balance.amount_minor == 1000


async def test_a_charge_that_cannot_be_recorded_is_reversed(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with billing_service(databases, nats_server.url, slow_seconds=0.5) as b:
        invoice = await create_invoice(b.stub, new_client(), [free_line("Session", 10000)])
        online = billing_pb2.PAYMENT_METHOD_ONLINE
        # both pass the early balance check, both are charged; only one fits the balance
        results = await asyncio.gather(
            *(
                pay(b.stub, invoice.name, 6000, online, token="tok_sandbox_slow", request_id=str(uuid.uuid4()))
                for _ in range(2)
            ),
            return_exceptions=True,
        )
        taken = [r for r in results if isinstance(r, billing_pb2.Payment)]
        refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(taken) == 1
        assert len(refused) == 1
        assert error_field(refused[0]) == ("PAYMENT_ABOVE_BALANCE", "payment.amount.amount_minor")
        assert len(b.provider.charges) == 2
        reversed_charges = [c for c in b.provider.charges.values() if b.provider.refunded.get(c.charge_id) == 6000]
        assert len(reversed_charges) == 1
        assert reversed_charges[0].charge_id != taken[0].provider_charge_id
        final = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=md())
        assert final.amount_paid.amount_minor == 6000


async def test_numbers_retries_and_pages(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        client = new_client()
        # a fresh company's first invoices, created at once: numbered 1..8 without a gap or a twin
        made = await asyncio.gather(*(create_invoice(b.stub, client, [free_line("Print", 100)]) for _ in range(8)))
        assert sorted(i.invoice_number for i in made) == [f"INV-{n:06d}" for n in range(1, 9)]

        rid = str(uuid.uuid4())
        request = billing_pb2.CreateInvoiceRequest(
            invoice=billing_pb2.Invoice(client=client, lines=[free_line("Frame", 4500)]), request_id=rid
        )
        first = await b.stub.CreateInvoice(request, metadata=md())
        assert await b.stub.CreateInvoice(request, metadata=md()) == first  # a retry creates nothing
        request.invoice.lines[0].unit_price.amount_minor = 1
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await b.stub.CreateInvoice(request, metadata=md())
        assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        seen: list[str] = []
        token = ""
        tokens: list[str] = []
        for _ in range(10):
            page = await b.stub.ListInvoices(
                billing_pb2.ListInvoicesRequest(client=client, page_size=4, page_token=token), metadata=md()
            )
            seen += [i.invoice_number for i in page.invoices]
            token = page.next_page_token
            tokens.append(token)
            if not token:
                break
        assert seen == [f"INV-{n:06d}" for n in range(9, 0, -1)]
        with pytest.raises(grpc.aio.AioRpcError) as foreign_token:
            await b.stub.ListInvoices(
                billing_pb2.ListInvoicesRequest(
                    client=new_client(), page_size=4, page_token=page.next_page_token or "x"
                ),
                metadata=md(),
            )
        assert foreign_token.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(foreign_token.value)) == ["page_token"]


async def test_a_cancelled_bookings_invoice_is_reduced_to_its_fee(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with billing_service(databases, nats_server.url) as b:
        fee = await create_item(b.stub, "SESSION-FEE-KEEP", 15000, 825)
        client = new_client()
        invoice = await create_invoice(b.stub, client, [billing_pb2.InvoiceLine(price_list_item=fee.name)])
        assert invoice.total.amount_minor == 16238
        paid = await pay(b.stub, invoice.name, 5000, billing_pb2.PAYMENT_METHOD_CARD)

        def reduce(name: str, amount: int, currency: str = "USD", **more: str) -> Awaitable[billing_pb2.Invoice]:
            kept = usd(amount)
            kept.currency_code = currency
            request = billing_pb2.ReduceInvoiceToFeeRequest(name=name, fee=kept, **more)
            return b.stub.ReduceInvoiceToFee(request, metadata=md())

        # what it holds above the fee is refunded first: never an invoice holding more than its total
        with pytest.raises(grpc.aio.AioRpcError) as holds:
            await reduce(invoice.name, 2000)
        assert holds.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_field(holds.value) == ("INVOICE_HOLDS_MORE_THAN_FEE", "fee")
        await b.stub.RefundPayment(billing_pb2.RefundPaymentRequest(name=paid.name, amount=usd(3000)), metadata=md())
        reduced = await reduce(invoice.name, 2000, reason="Cancelled online", request_id=str(uuid.uuid4()))
        assert (reduced.cancellation_credit.amount_minor, reduced.total.amount_minor) == (14238, 2000)
        assert reduced.cancellation_reason == "Cancelled online"
        assert (reduced.amount_paid.amount_minor, reduced.balance.amount_minor) == (2000, 0)
        assert reduced.status == billing_pb2.INVOICE_STATUS_PAID  # settled by what was kept
        assert (reduced.subtotal.amount_minor, reduced.tax.amount_minor) == (15000, 1238)  # the lines stay
        assert_ledger(reduced)

        # nothing paid: the fee is due
        unpaid = await create_invoice(b.stub, client, [billing_pb2.InvoiceLine(price_list_item=fee.name)])
        due = await reduce(unpaid.name, 2500)
        assert (due.total.amount_minor, due.balance.amount_minor, due.status) == (
            2500,
            2500,
            billing_pb2.INVOICE_STATUS_OPEN,
        )
        assert due.cancellation_reason == "Booking cancelled"
        # a fee above the total keeps the total
        small = await create_invoice(b.stub, client, [free_line("Mini", 1000, 0)])
        kept = await reduce(small.name, 2500)
        assert (kept.cancellation_credit.amount_minor, kept.total.amount_minor) == (0, 1000)

        # bad input names the field, and changes nothing
        for amount, currency, more, field in [
            (0, "USD", {}, "fee.amount_minor"),
            (-5, "USD", {}, "fee.amount_minor"),
            (100, "usd", {}, "fee.currency_code"),
            (100, "EUR", {}, "fee.currency_code"),
            (100, "USD", {"reason": "x" * 201}, "reason"),
            (100, "USD", {"request_id": "short"}, "request_id"),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await reduce(due.name, amount, currency, **more)
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT, field
            assert field in rpc_violations(bad.value), field
        with pytest.raises(grpc.aio.AioRpcError) as no_fee:
            await b.stub.ReduceInvoiceToFee(billing_pb2.ReduceInvoiceToFeeRequest(name=due.name), metadata=md())
        assert list(rpc_violations(no_fee.value)) == ["fee"]
        again = await b.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=due.name), metadata=md())
        assert again.total.amount_minor == 2500
        voided = await b.stub.VoidInvoice(billing_pb2.VoidInvoiceRequest(name=again.name), metadata=md())
        with pytest.raises(grpc.aio.AioRpcError) as void:
            await reduce(voided.name, 100)
        assert error_field(void.value)[0] == "INVOICE_VOID"
