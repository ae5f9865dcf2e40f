"""Use cases: payments on invoices (taken directly, online through the provider as `charges`
describes, or from a deposit) and their refunds."""

from __future__ import annotations

import uuid

from shutterbook.billing.v1 import billing_pb2, events_pb2
from shutterbook_billing import events
from shutterbook_billing.application import charges, invoices
from shutterbook_billing.application.common import (
    SOURCE,
    Unavailable,
    check_refund_limit,
    found,
    money,
    precondition,
    timestamp,
)
from shutterbook_billing.application.deposits import deposit_balance, deposit_for_update, deposit_to_proto
from shutterbook_billing.domain.money import (
    PaymentRefused,
    balance_of,
    check_currency,
    check_positive_amount,
    take_payment,
    take_refund,
)
from shutterbook_billing.domain.payments import Charge, PaymentDeclined, PaymentProvider, ProviderUnavailable
from shutterbook_billing.storage.invoices import InvoiceRepository
from shutterbook_billing.storage.models import InvoiceRow, PaymentRow, RefundRow
from shutterbook_billing.storage.payments import PaymentRepository
from shutterbook_kit import audit
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FieldViolation, InvalidArgument, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.pagination import check_page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork


def payment_to_proto(row: PaymentRow) -> billing_pb2.Payment:
    return billing_pb2.Payment(
        name=f"payments/{row.id}",
        invoice=f"invoices/{row.invoice_id}",
        client=f"clients/{row.client_id}",
        amount=money(row.currency_code, row.amount_minor),
        method=charges.METHOD_ENUM[row.method],
        amount_refunded=money(row.currency_code, row.refunded_minor),
        provider_charge_id=row.provider_charge_id,
        deposit=f"deposits/{row.deposit_id}" if row.deposit_id else "",
        note=row.note,
        create_time=timestamp(row.created_at),
    )


async def _after_payment(
    uow: UnitOfWork, company_id: str, invoice: InvoiceRow, before: billing_pb2.Invoice, payment: PaymentRow
) -> billing_pb2.Payment:
    """Events and audit entries of a payment recorded on `invoice` (as it was: `before`)."""
    became_paid = invoices.set_status(invoice)
    invoice.updated_at = utcnow()
    await InvoiceRepository(uow.session).save()
    _, lines = await invoices.load_invoice(uow, company_id, invoice.id)
    invoice_msg = invoices.to_proto(invoice, lines)
    payment_msg = payment_to_proto(payment)
    uow.emit(
        events.PAYMENT_RECEIVED,
        company_id,
        events_pb2.PaymentReceivedEvent(payment=payment_msg, invoice=invoice_msg),
    )
    if became_paid:
        uow.emit(events.INVOICE_PAID, company_id, events_pb2.InvoicePaidEvent(invoice=invoice_msg))
    uow.audit(company_id, payment_msg.name, "created", after=payment_msg)
    action = "paid" if became_paid else "payment_received"
    paid_by = audit.added({"payment": payment_msg.name})
    uow.audit(company_id, invoice_msg.name, action, before=before, after=invoice_msg, changes=paid_by)
    return payment_msg


def _check_invoice_takes(invoice: InvoiceRow, currency: str, amount: int, prefix: str) -> int:
    """The invoice's new amount paid after `amount`, or why it cannot take it."""
    if invoice.status == invoices.VOID:
        raise precondition(f"{prefix}invoice", "INVOICE_VOID", "a void invoice takes no payments")
    if currency != invoice.currency_code:
        raise charges.currency_mismatch(f"{prefix}amount.currency_code", invoice.currency_code)
    try:
        return take_payment(invoice.total_minor, invoice.paid_minor, amount)
    except PaymentRefused as exc:
        raise charges.refused(exc, f"{prefix}amount.amount_minor") from exc


# --- CreatePayment ---------------------------------------------------------------------------


async def create_payment(
    db: Database, provider: PaymentProvider, company_id: str, request: billing_pb2.CreatePaymentRequest
) -> billing_pb2.Payment:
    p = request.payment
    invoice_id = parse_name(p.invoice, "invoices", field="payment.invoice")
    v = Violations()
    validate_request_id(request.request_id, v)
    method = charges.check_money_taken(
        "payment", p.amount, p.method, p.note, request.payment_token, request.request_id, v
    )
    v.raise_if_any()
    amount, currency = p.amount.amount_minor, p.amount.currency_code
    attempt = charges.Attempt(db, company_id, "CreatePayment", request.request_id)
    charge: Charge | None = None
    if not await attempt.is_retry():
        # fail fast, before any money moves; the binding check is repeated under the row lock
        async with UnitOfWork(db, readonly=True) as uow:
            invoice, _ = await invoices.load_invoice(uow, company_id, invoice_id, name=p.invoice)
            _check_invoice_takes(invoice, currency, amount, "payment.")
        if method == "ONLINE":
            description = f"invoices/{invoice_id}"
            charge = await charges.charge(provider, attempt.key, request.payment_token, amount, currency, description)

    async def work(uow: UnitOfWork) -> billing_pb2.Payment:
        invoice, lines = await invoices.load_invoice(uow, company_id, invoice_id, for_update=True, name=p.invoice)
        before = invoices.to_proto(invoice, lines)
        invoice.paid_minor = _check_invoice_takes(invoice, currency, amount, "payment.")
        row = PaymentRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            invoice_id=invoice.id,
            client_id=invoice.client_id,
            currency_code=currency,
            amount_minor=amount,
            refunded_minor=0,
            method=method,
            provider_charge_id=charge.charge_id if charge else "",
            deposit_id=None,
            note=p.note,
            created_at=utcnow(),
        )
        PaymentRepository(uow.session).add(row)
        return await _after_payment(uow, company_id, invoice, before, row)

    return await charges.record_charged(attempt, provider, charge, request, work, billing_pb2.Payment)


async def get_payment(db: Database, company_id: str, name: str) -> billing_pb2.Payment:
    payment_id = parse_name(name, "payments")
    async with UnitOfWork(db, readonly=True) as uow:
        row = found(await PaymentRepository(uow.session).get(company_id, payment_id), name)
        await invoices.check_invoice_visible(uow, company_id, row.invoice_id, name)
    return payment_to_proto(row)


async def list_payments(
    db: Database, company_id: str, request: billing_pb2.ListPaymentsRequest
) -> billing_pb2.ListPaymentsResponse:
    invoice_id = parse_name(request.invoice, "invoices", field="invoice")
    check_page(request.page_size, request.page_token)
    async with UnitOfWork(db, readonly=True) as uow:
        await invoices.load_invoice(uow, company_id, invoice_id, name=request.invoice)  # NOT_FOUND if not ours
        payments = PaymentRepository(uow.session)
        page = await payments.page_of_invoice(company_id, invoice_id, request.page_size, request.page_token)
    return billing_pb2.ListPaymentsResponse(
        payments=[payment_to_proto(r) for r in page.items], next_page_token=page.next_page_token
    )


# --- RefundPayment ---------------------------------------------------------------------------


def _check_refund_request(request: billing_pb2.RefundPaymentRequest) -> None:
    v = Violations()
    validate_request_id(request.request_id, v)
    if request.HasField("amount"):
        check_currency(request.amount.currency_code, "amount.currency_code", v)
        check_positive_amount(request.amount.amount_minor, "amount.amount_minor", v)
    if len(request.reason) > 500:
        v.add("reason", "must be at most 500 characters")
    v.raise_if_any()


def _refund_amount(request: billing_pb2.RefundPaymentRequest, payment: PaymentRow) -> int:
    """The amount asked for, or (none asked) all that is not refunded yet."""
    if not request.HasField("amount"):
        return payment.amount_minor - payment.refunded_minor
    if request.amount.currency_code != payment.currency_code:
        raise charges.currency_mismatch("amount.currency_code", payment.currency_code)
    return request.amount.amount_minor


async def _check_limit(
    uow: UnitOfWork, company_id: str, payment: PaymentRow, amount: int, limit_minor: int | None
) -> None:
    """A caller held to a refund limit: the refunds of all the invoice's payments together."""
    if limit_minor is not None:
        refunded = await PaymentRepository(uow.session).refunded_on_invoice(company_id, payment.invoice_id)
        check_refund_limit(limit_minor, refunded, amount, "invoice")


async def _refund_at_provider(
    attempt: charges.Attempt,
    provider: PaymentProvider,
    payment_id: str,
    request: billing_pb2.RefundPaymentRequest,
    limit_minor: int | None,
) -> str:
    """Check the refund before any money moves; an online payment is refunded at the provider
    (outside any transaction). The provider's refund id ("" for the other methods)."""
    async with UnitOfWork(attempt.db, readonly=True) as uow:
        payment = found(await PaymentRepository(uow.session).get(attempt.company_id, payment_id), request.name)
        await invoices.check_invoice_visible(uow, attempt.company_id, payment.invoice_id, request.name)
        amount = _refund_amount(request, payment)
        await _check_limit(uow, attempt.company_id, payment, amount, limit_minor)
        try:
            take_refund(amount, payment.amount_minor - payment.refunded_minor, amount)
        except PaymentRefused as exc:
            raise charges.refused(exc, "amount.amount_minor") from exc
    if payment.method != "ONLINE":
        return ""
    if not request.request_id:
        raise InvalidArgument(
            "request_id is required",
            violations=[FieldViolation("request_id", "is required to refund an online payment")],
        )
    try:
        refund = await provider.refund(
            idempotency_key=attempt.key, charge_id=payment.provider_charge_id, amount_minor=amount
        )
    except PaymentDeclined as exc:
        raise precondition("name", "REFUND_REFUSED", f"the provider refused the refund: {exc}") from exc
    except ProviderUnavailable as exc:
        raise Unavailable(f"payment provider unavailable, retry with the same request_id: {exc}") from exc
    return refund.refund_id


async def _record_refund(
    uow: UnitOfWork,
    company_id: str,
    payment_id: str,
    request: billing_pb2.RefundPaymentRequest,
    provider_refund_id: str,
    limit_minor: int | None,
) -> billing_pb2.Payment:
    """Take the refund off the payment and its invoice (and back onto its deposit), under their
    row locks, with its event and audit entries."""
    payment = found(await PaymentRepository(uow.session).get(company_id, payment_id, for_update=True), request.name)
    amount = _refund_amount(request, payment)
    invoice, lines = await invoices.load_invoice(uow, company_id, payment.invoice_id, for_update=True)
    await _check_limit(uow, company_id, payment, amount, limit_minor)  # under the invoice's lock
    invoice_before, payment_before = invoices.to_proto(invoice, lines), payment_to_proto(payment)
    try:
        invoice.paid_minor = take_refund(invoice.paid_minor, payment.amount_minor - payment.refunded_minor, amount)
    except PaymentRefused as exc:
        raise charges.refused(exc, "amount.amount_minor") from exc
    payment.refunded_minor += amount
    if payment.deposit_id is not None:  # a deposit's money goes back onto the deposit
        deposit = await deposit_for_update(uow, company_id, payment.deposit_id, "deposit")
        deposit_before = deposit_to_proto(deposit)
        deposit.applied_minor -= amount
        uow.audit(
            company_id, deposit_before.name, "refunded_to", before=deposit_before, after=deposit_to_proto(deposit)
        )
    PaymentRepository(uow.session).add_refund(
        RefundRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            payment_id=payment.id,
            amount_minor=amount,
            reason=request.reason,
            provider_refund_id=provider_refund_id,
            created_at=utcnow(),
        )
    )
    invoices.set_status(invoice)
    invoice.updated_at = utcnow()
    await InvoiceRepository(uow.session).save()
    _, lines = await invoices.load_invoice(uow, company_id, invoice.id)
    payment_msg, invoice_msg = payment_to_proto(payment), invoices.to_proto(invoice, lines)
    uow.emit(
        events.PAYMENT_REFUNDED,
        company_id,
        events_pb2.PaymentRefundedEvent(
            payment=payment_msg,
            refund_amount=money(payment.currency_code, amount),
            invoice=invoice_msg,
            reason=request.reason,
        ),
    )
    refund = audit.added({"refund.amount_minor": amount, "refund.reason": request.reason})
    uow.audit(company_id, payment_msg.name, "refunded", before=payment_before, after=payment_msg, changes=refund)
    uow.audit(company_id, invoice_msg.name, "refunded", before=invoice_before, after=invoice_msg, changes=refund)
    return payment_msg


async def refund_payment(
    db: Database,
    provider: PaymentProvider,
    company_id: str,
    request: billing_pb2.RefundPaymentRequest,
    *,
    limit_minor: int | None = None,
) -> billing_pb2.Payment:
    """`limit_minor`: the caller may refund at most this much of the invoice's payments
    together (None: no limit)."""
    payment_id = parse_name(request.name, "payments")
    _check_refund_request(request)
    attempt = charges.Attempt(db, company_id, "RefundPayment", request.request_id)
    provider_refund_id = ""
    if not await attempt.is_retry():
        provider_refund_id = await _refund_at_provider(attempt, provider, payment_id, request, limit_minor)

    async def work(uow: UnitOfWork) -> billing_pb2.Payment:
        return await _record_refund(uow, company_id, payment_id, request, provider_refund_id, limit_minor)

    return await run_idempotent(
        db,
        company_id=company_id,
        scope=attempt.scope,
        request=request,
        request_id=request.request_id,
        response_type=billing_pb2.Payment,
        work=work,
        source=SOURCE,
    )


async def apply_deposit(db: Database, company_id: str, request: billing_pb2.ApplyDepositRequest) -> billing_pb2.Payment:
    deposit_id = parse_name(request.name, "deposits")
    invoice_id = parse_name(request.invoice, "invoices", field="invoice")
    v = Violations()
    validate_request_id(request.request_id, v)
    if request.HasField("amount"):
        check_currency(request.amount.currency_code, "amount.currency_code", v)
        check_positive_amount(request.amount.amount_minor, "amount.amount_minor", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.Payment:
        deposit = await deposit_for_update(uow, company_id, deposit_id, request.name)
        invoice, lines = await invoices.load_invoice(uow, company_id, invoice_id, for_update=True, name=request.invoice)
        invoice_before, deposit_before = invoices.to_proto(invoice, lines), deposit_to_proto(deposit)
        if deposit.client_id != invoice.client_id:
            raise precondition("invoice", "DEPOSIT_OF_ANOTHER_CLIENT", "the deposit belongs to another client")
        if deposit.currency_code != invoice.currency_code:
            raise precondition("invoice", "CURRENCY_MISMATCH", "the deposit and the invoice differ in currency")
        available = deposit_balance(deposit)
        if request.HasField("amount"):
            if request.amount.currency_code != deposit.currency_code:
                raise charges.currency_mismatch("amount.currency_code", deposit.currency_code)
            amount = request.amount.amount_minor
        else:
            amount = min(available, balance_of(invoice.total_minor, invoice.paid_minor))
            if amount == 0:
                raise precondition("name", "NOTHING_TO_APPLY", "the deposit or the invoice has nothing left")
        if amount > available:
            raise precondition("amount.amount_minor", "ABOVE_DEPOSIT_BALANCE", f"the deposit holds only {available}")
        invoice.paid_minor = _check_invoice_takes(invoice, deposit.currency_code, amount, "")
        deposit.applied_minor += amount
        row = PaymentRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            invoice_id=invoice.id,
            client_id=invoice.client_id,
            currency_code=deposit.currency_code,
            amount_minor=amount,
            refunded_minor=0,
            method="DEPOSIT",
            provider_charge_id="",
            deposit_id=deposit.id,
            note="",
            created_at=utcnow(),
        )
        PaymentRepository(uow.session).add(row)
        payment = await _after_payment(uow, company_id, invoice, invoice_before, row)
        deposit_msg = deposit_to_proto(deposit)
        uow.emit(
            events.DEPOSIT_APPLIED, company_id, events_pb2.DepositAppliedEvent(deposit=deposit_msg, payment=payment)
        )
        applied = audit.added({"payment": payment.name, "invoice": payment.invoice})
        uow.audit(company_id, deposit_msg.name, "applied", before=deposit_before, after=deposit_msg, changes=applied)
        return payment

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="ApplyDeposit",
        request=request,
        request_id=request.request_id,
        response_type=billing_pb2.Payment,
        work=work,
        source=SOURCE,
    )
