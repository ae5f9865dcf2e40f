"""Use cases: payments on invoices, refunds, customer deposits.

Online payments and deposits are charged through the `PaymentProvider` before the record
is written: the provider call never holds a database transaction open. The request_id is
required for them and is the charge's idempotency key, so a retried request charges once
(the provider returns the first charge for the key) and records once (run_idempotent).
If the record can no longer be written (a concurrent payment took the balance), the charge
is refunded with a derived idempotency key before the error is returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shutterbook.billing.v1 import billing_pb2, events_pb2
from shutterbook_billing.application import invoices
from shutterbook_billing.application.common import SOURCE, Unavailable, id_of, money, precondition, timestamp
from shutterbook_billing.domain.money import (
    MAX_AMOUNT_MINOR,
    PaymentRefused,
    balance_of,
    check_currency,
    check_positive_amount,
    take_payment,
    take_refund,
)
from shutterbook_billing.domain.payments import Charge, PaymentDeclined, PaymentProvider, ProviderUnavailable
from shutterbook_billing.storage.models import DepositRefundRow, DepositRow, InvoiceRow, PaymentRow, RefundRow
from shutterbook_kit.db import Database
from shutterbook_kit.errors import DomainError, FieldViolation, InvalidArgument, NotFound, Violations
from shutterbook_kit.idempotency import request_fingerprint, run_idempotent, stored_response, validate_request_id
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import IdempotencyRecord, utcnow
from shutterbook_kit.uow import UnitOfWork

R = TypeVar("R", bound=Message)

_METHODS = {
    billing_pb2.PAYMENT_METHOD_CASH: "CASH",
    billing_pb2.PAYMENT_METHOD_CHECK: "CHECK",
    billing_pb2.PAYMENT_METHOD_CARD: "CARD",
    billing_pb2.PAYMENT_METHOD_ONLINE: "ONLINE",
    billing_pb2.PAYMENT_METHOD_DEPOSIT: "DEPOSIT",
}
_METHOD_ENUM = {v: k for k, v in _METHODS.items()}
_TAKEN_DIRECTLY = ("CASH", "CHECK", "CARD", "ONLINE")


def payment_to_proto(row: PaymentRow) -> billing_pb2.Payment:
    return billing_pb2.Payment(
        name=f"payments/{row.id}",
        invoice=f"invoices/{row.invoice_id}",
        client=f"clients/{row.client_id}",
        amount=money(row.currency_code, row.amount_minor),
        method=_METHOD_ENUM[row.method],
        amount_refunded=money(row.currency_code, row.refunded_minor),
        provider_charge_id=row.provider_charge_id,
        deposit=f"deposits/{row.deposit_id}" if row.deposit_id else "",
        note=row.note,
        create_time=timestamp(row.created_at),
    )


def deposit_to_proto(row: DepositRow) -> billing_pb2.Deposit:
    return billing_pb2.Deposit(
        name=f"deposits/{row.id}",
        client=f"clients/{row.client_id}",
        amount=money(row.currency_code, row.amount_minor),
        method=_METHOD_ENUM[row.method],
        amount_applied=money(row.currency_code, row.applied_minor),
        amount_refunded=money(row.currency_code, row.refunded_minor),
        balance=money(row.currency_code, _deposit_balance(row)),
        provider_charge_id=row.provider_charge_id,
        session=f"sessions/{row.session_id}" if row.session_id else "",
        note=row.note,
        create_time=timestamp(row.created_at),
    )


def _deposit_balance(row: DepositRow) -> int:
    """What a deposit still holds: neither applied to invoices nor refunded (nor reserved for a refund)."""
    return row.amount_minor - row.applied_minor - row.refunded_minor


def _refused(exc: PaymentRefused, field: str) -> DomainError:
    if exc.reason == "AMOUNT_NOT_POSITIVE":
        return InvalidArgument(str(exc), violations=[], reason=exc.reason, metadata={"field": field})
    return precondition(field, exc.reason, f"{field} {exc}")


async def _recorded(db: Database, company_id: str, scope: str, request_id: str) -> bool:
    """True when this request_id already has a stored result (a retry: replay, charge nothing)."""
    if not request_id:
        return False
    async with UnitOfWork(db, readonly=True) as uow:
        found = await uow.session.scalar(
            select(IdempotencyRecord.request_id).where(
                IdempotencyRecord.company_id == company_id,
                IdempotencyRecord.scope == scope,
                IdempotencyRecord.request_id == request_id,
            )
        )
    return found is not None


async def _charge(
    provider: PaymentProvider, key: str, token: str, amount: int, currency: str, description: str
) -> Charge:
    try:
        return await provider.charge(
            idempotency_key=key, token=token, amount_minor=amount, currency_code=currency, description=description
        )
    except PaymentDeclined as exc:
        raise precondition("payment_token", "CARD_DECLINED", f"the card was declined: {exc}") from exc
    except ProviderUnavailable as exc:
        raise Unavailable(f"payment provider unavailable, retry with the same request_id: {exc}") from exc


async def _record_or_refund(
    db: Database,
    provider: PaymentProvider,
    charge: Charge | None,
    key: str,
    run: Callable[[], Awaitable[R]],
) -> R:
    """Write the record of a charge; if that is refused, give the money back first."""
    try:
        return await run()
    except DomainError:
        if charge is not None:
            try:
                await provider.refund(
                    idempotency_key=f"{key}:reversal", charge_id=charge.charge_id, amount_minor=charge.amount_minor
                )
            except (PaymentDeclined, ProviderUnavailable) as exc:  # pragma: no cover - sandbox always refunds
                raise Unavailable(f"charge {charge.charge_id} could not be reversed yet: {exc}") from exc
        raise


def _check_method(method: int, field: str, v: Violations) -> str:
    name = _METHODS.get(method)  # type: ignore[call-overload]
    if name is None:
        v.add(field, "is required: CASH, CHECK, CARD or ONLINE")
        return ""
    if name == "DEPOSIT":
        v.add(field, "DEPOSIT payments are made with ApplyDeposit")
        return ""
    return str(name)


def _check_online(method: str, token: str, request_id: str, v: Violations) -> None:
    if method == "ONLINE":
        if not token:
            v.add("payment_token", "is required for online payments")
        if not request_id:
            v.add("request_id", "is required for online payments (it is the charge's idempotency key)")
    elif token:
        v.add("payment_token", "is only for online payments")


async def _after_payment(
    uow: UnitOfWork, company_id: str, invoice: InvoiceRow, payment: PaymentRow
) -> billing_pb2.Payment:
    became_paid = invoices.set_status(invoice)
    invoice.updated_at = utcnow()
    await uow.session.flush()
    _, lines = await invoices.load_invoice(uow, company_id, invoice.id)
    invoice_msg = invoices.to_proto(invoice, lines)
    payment_msg = payment_to_proto(payment)
    uow.emit(
        "billing.payment.received",
        company_id,
        events_pb2.PaymentReceivedEvent(payment=payment_msg, invoice=invoice_msg),
    )
    if became_paid:
        uow.emit("billing.invoice.paid", company_id, events_pb2.InvoicePaidEvent(invoice=invoice_msg))
    return payment_msg


def _mismatch(field: str, expected: str) -> InvalidArgument:
    return InvalidArgument(
        "currency mismatch",
        violations=[FieldViolation(field, f"must be the invoice's currency {expected}")],
        reason="CURRENCY_MISMATCH",
        metadata={"field": field},
    )


def _check_invoice_takes(invoice: InvoiceRow, currency: str, amount: int, prefix: str) -> int:
    """The invoice's new amount paid after `amount`, or why it cannot take it."""
    if invoice.status == invoices.VOID:
        raise precondition(f"{prefix}invoice", "INVOICE_VOID", "a void invoice takes no payments")
    if currency != invoice.currency_code:
        raise _mismatch(f"{prefix}amount.currency_code", invoice.currency_code)
    try:
        return take_payment(invoice.total_minor, invoice.paid_minor, amount)
    except PaymentRefused as exc:
        raise _refused(exc, f"{prefix}amount.amount_minor") from exc


async def _payment_for_update(uow: UnitOfWork, company_id: str, payment_id: str, name: str) -> PaymentRow:
    row = await uow.session.scalar(
        select(PaymentRow).where(PaymentRow.company_id == company_id, PaymentRow.id == payment_id).with_for_update()
    )
    if row is None:
        raise NotFound(f"{name} not found")
    return row


async def _deposit_for_update(uow: UnitOfWork, company_id: str, deposit_id: str, name: str) -> DepositRow:
    row = await uow.session.scalar(
        select(DepositRow).where(DepositRow.company_id == company_id, DepositRow.id == deposit_id).with_for_update()
    )
    if row is None:
        raise NotFound(f"{name} not found")
    return row


# --- CreatePayment ---------------------------------------------------------------------------


async def create_payment(
    db: Database, provider: PaymentProvider, company_id: str, request: billing_pb2.CreatePaymentRequest
) -> billing_pb2.Payment:
    p = request.payment
    invoice_id = parse_name(p.invoice, "invoices", field="payment.invoice")
    v = Violations()
    validate_request_id(request.request_id, v)
    check_currency(p.amount.currency_code, "payment.amount.currency_code", v)
    check_positive_amount(p.amount.amount_minor, "payment.amount.amount_minor", v)
    method = _check_method(p.method, "payment.method", v)
    _check_online(method, request.payment_token, request.request_id, v)
    if len(p.note) > 500:
        v.add("payment.note", "must be at most 500 characters")
    v.raise_if_any()
    amount, currency = p.amount.amount_minor, p.amount.currency_code
    scope = "CreatePayment"
    key = f"{company_id}:{scope}:{request.request_id}"
    charge: Charge | None = None
    if not await _recorded(db, company_id, scope, request.request_id):
        # fail fast, before any money moves; the binding check is repeated under the row lock
        async with UnitOfWork(db, readonly=True) as uow:
            invoice, _ = await invoices.load_invoice(uow, company_id, invoice_id, name=p.invoice)
            _check_invoice_takes(invoice, currency, amount, "payment.")
        if method == "ONLINE":
            charge = await _charge(provider, key, request.payment_token, amount, currency, f"invoices/{invoice_id}")

    async def work(uow: UnitOfWork) -> billing_pb2.Payment:
        invoice, _ = await invoices.load_invoice(uow, company_id, invoice_id, for_update=True, name=p.invoice)
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
        uow.session.add(row)
        return await _after_payment(uow, company_id, invoice, row)

    async def run() -> billing_pb2.Payment:
        return await run_idempotent(
            db,
            company_id=company_id,
            scope=scope,
            request=request,
            request_id=request.request_id,
            response_type=billing_pb2.Payment,
            work=work,
            source=SOURCE,
        )

    return await _record_or_refund(db, provider, charge, key, run)


async def get_payment(db: Database, company_id: str, name: str) -> billing_pb2.Payment:
    payment_id = parse_name(name, "payments")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.scalar(
            select(PaymentRow).where(PaymentRow.company_id == company_id, PaymentRow.id == payment_id)
        )
    if row is None:
        raise NotFound(f"{name} not found")
    return payment_to_proto(row)


async def list_payments(
    db: Database, company_id: str, request: billing_pb2.ListPaymentsRequest
) -> billing_pb2.ListPaymentsResponse:
    invoice_id = parse_name(request.invoice, "invoices", field="invoice")
    query_key = {"invoice": invoice_id}
    page = parse_page(request.page_size, request.page_token, query_key)
    async with UnitOfWork(db, readonly=True) as uow:
        await invoices.load_invoice(uow, company_id, invoice_id, name=request.invoice)  # NOT_FOUND if not ours
        query = select(PaymentRow).where(PaymentRow.company_id == company_id, PaymentRow.invoice_id == invoice_id)
        if page.cursor is not None:
            query = query.offset(int(page.cursor["o"]))
        rows = list(
            (await uow.session.scalars(query.order_by(PaymentRow.created_at, PaymentRow.id).limit(page.size + 1))).all()
        )
    more = len(rows) > page.size
    offset = int(page.cursor["o"]) if page.cursor else 0
    return billing_pb2.ListPaymentsResponse(
        payments=[payment_to_proto(r) for r in rows[: page.size]],
        next_page_token=next_token({"o": offset + page.size} if more else None, query_key),
    )


# --- RefundPayment ---------------------------------------------------------------------------


async def refund_payment(
    db: Database, provider: PaymentProvider, company_id: str, request: billing_pb2.RefundPaymentRequest
) -> billing_pb2.Payment:
    payment_id = parse_name(request.name, "payments")
    v = Violations()
    validate_request_id(request.request_id, v)
    if request.HasField("amount"):
        check_currency(request.amount.currency_code, "amount.currency_code", v)
        check_positive_amount(request.amount.amount_minor, "amount.amount_minor", v)
    if len(request.reason) > 500:
        v.add("reason", "must be at most 500 characters")
    v.raise_if_any()
    scope = "RefundPayment"
    key = f"{company_id}:{scope}:{request.request_id}"

    def amount_of(payment: PaymentRow) -> int:
        if not request.HasField("amount"):
            return payment.amount_minor - payment.refunded_minor
        if request.amount.currency_code != payment.currency_code:
            raise _mismatch("amount.currency_code", payment.currency_code)
        return request.amount.amount_minor

    provider_refund_id = ""
    if not await _recorded(db, company_id, scope, request.request_id):
        async with UnitOfWork(db, readonly=True) as uow:
            payment = await uow.session.scalar(
                select(PaymentRow).where(PaymentRow.company_id == company_id, PaymentRow.id == payment_id)
            )
            if payment is None:
                raise NotFound(f"{request.name} not found")
            amount = amount_of(payment)
            try:
                take_refund(amount, payment.amount_minor - payment.refunded_minor, amount)
            except PaymentRefused as exc:
                raise _refused(exc, "amount.amount_minor") from exc
        if payment.method == "ONLINE":
            if not request.request_id:
                raise InvalidArgument(
                    "request_id is required",
                    violations=[FieldViolation("request_id", "is required to refund an online payment")],
                )
            try:
                refund = await provider.refund(
                    idempotency_key=key, charge_id=payment.provider_charge_id, amount_minor=amount
                )
            except PaymentDeclined as exc:
                raise precondition("name", "REFUND_REFUSED", f"the provider refused the refund: {exc}") from exc
            except ProviderUnavailable as exc:
                raise Unavailable(f"payment provider unavailable, retry with the same request_id: {exc}") from exc
            provider_refund_id = refund.refund_id

    async def work(uow: UnitOfWork) -> billing_pb2.Payment:
        payment = await _payment_for_update(uow, company_id, payment_id, request.name)
        amount = amount_of(payment)
        invoice, _ = await invoices.load_invoice(uow, company_id, payment.invoice_id, for_update=True)
        try:
            invoice.paid_minor = take_refund(invoice.paid_minor, payment.amount_minor - payment.refunded_minor, amount)
        except PaymentRefused as exc:
            raise _refused(exc, "amount.amount_minor") from exc
        payment.refunded_minor += amount
        if payment.deposit_id is not None:  # a deposit's money goes back onto the deposit
            deposit = await _deposit_for_update(uow, company_id, payment.deposit_id, "deposit")
            deposit.applied_minor -= amount
        uow.session.add(
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
        await uow.session.flush()
        _, lines = await invoices.load_invoice(uow, company_id, invoice.id)
        payment_msg = payment_to_proto(payment)
        uow.emit(
            "billing.payment.refunded",
            company_id,
            events_pb2.PaymentRefundedEvent(
                payment=payment_msg,
                refund_amount=money(payment.currency_code, amount),
                invoice=invoices.to_proto(invoice, lines),
                reason=request.reason,
            ),
        )
        return payment_msg

    return await run_idempotent(
        db,
        company_id=company_id,
        scope=scope,
        request=request,
        request_id=request.request_id,
        response_type=billing_pb2.Payment,
        work=work,
        source=SOURCE,
    )


# --- deposits ----------------------------------------------------------------------------------


async def create_deposit(
    db: Database, provider: PaymentProvider, company_id: str, request: billing_pb2.CreateDepositRequest
) -> billing_pb2.Deposit:
    d = request.deposit
    v = Violations()
    validate_request_id(request.request_id, v)
    client_id = _uuid_in(d.client, "clients", "deposit.client", v, required=True)
    session_id = _uuid_in(d.session, "sessions", "deposit.session", v, required=False)
    check_currency(d.amount.currency_code, "deposit.amount.currency_code", v)
    check_positive_amount(d.amount.amount_minor, "deposit.amount.amount_minor", v)
    method = _check_method(d.method, "deposit.method", v)
    _check_online(method, request.payment_token, request.request_id, v)
    if len(d.note) > 500:
        v.add("deposit.note", "must be at most 500 characters")
    v.raise_if_any()
    scope = "CreateDeposit"
    key = f"{company_id}:{scope}:{request.request_id}"
    charge: Charge | None = None
    if method == "ONLINE" and not await _recorded(db, company_id, scope, request.request_id):
        charge = await _charge(
            provider, key, request.payment_token, d.amount.amount_minor, d.amount.currency_code, f"deposit {d.client}"
        )

    async def work(uow: UnitOfWork) -> billing_pb2.Deposit:
        assert client_id is not None
        row = DepositRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            client_id=client_id,
            currency_code=d.amount.currency_code,
            amount_minor=d.amount.amount_minor,
            applied_minor=0,
            refunded_minor=0,
            method=method,
            provider_charge_id=charge.charge_id if charge else "",
            session_id=session_id,
            note=d.note,
            created_at=utcnow(),
        )
        uow.session.add(row)
        await uow.session.flush()
        deposit = deposit_to_proto(row)
        uow.emit("billing.deposit.created", company_id, events_pb2.DepositCreatedEvent(deposit=deposit))
        return deposit

    async def run() -> billing_pb2.Deposit:
        return await run_idempotent(
            db,
            company_id=company_id,
            scope=scope,
            request=request,
            request_id=request.request_id,
            response_type=billing_pb2.Deposit,
            work=work,
            source=SOURCE,
        )

    return await _record_or_refund(db, provider, charge, key, run)


def _uuid_in(name: str, collection: str, field: str, v: Violations, *, required: bool) -> str | None:
    if not name:
        if required:
            v.add(field, "is required")
        return None
    try:
        if not name.startswith(f"{collection}/"):
            raise ValueError(name)
        return str(uuid.UUID(id_of(name, collection)))
    except ValueError:
        v.add(field, f"must look like {collection}/{{uuid}}")
        return None


async def get_deposit(db: Database, company_id: str, name: str) -> billing_pb2.Deposit:
    deposit_id = parse_name(name, "deposits")
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.scalar(
            select(DepositRow).where(DepositRow.company_id == company_id, DepositRow.id == deposit_id)
        )
    if row is None:
        raise NotFound(f"{name} not found")
    return deposit_to_proto(row)


async def list_deposits(
    db: Database, company_id: str, request: billing_pb2.ListDepositsRequest
) -> billing_pb2.ListDepositsResponse:
    v = Violations()
    client_id = _uuid_in(request.client, "clients", "client", v, required=False)
    v.raise_if_any()
    query_key = {"client": client_id}
    page = parse_page(request.page_size, request.page_token, query_key)
    offset = int(page.cursor["o"]) if page.cursor else 0
    query = select(DepositRow).where(DepositRow.company_id == company_id)
    if client_id:
        query = query.where(DepositRow.client_id == client_id)
    query = query.order_by(DepositRow.created_at, DepositRow.id).offset(offset).limit(page.size + 1)
    async with UnitOfWork(db, readonly=True) as uow:
        rows = list((await uow.session.scalars(query)).all())
    more = len(rows) > page.size
    return billing_pb2.ListDepositsResponse(
        deposits=[deposit_to_proto(r) for r in rows[: page.size]],
        next_page_token=next_token({"o": offset + page.size} if more else None, query_key),
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
        deposit = await _deposit_for_update(uow, company_id, deposit_id, request.name)
        invoice, _ = await invoices.load_invoice(uow, company_id, invoice_id, for_update=True, name=request.invoice)
        if deposit.client_id != invoice.client_id:
            raise precondition("invoice", "DEPOSIT_OF_ANOTHER_CLIENT", "the deposit belongs to another client")
        if deposit.currency_code != invoice.currency_code:
            raise precondition("invoice", "CURRENCY_MISMATCH", "the deposit and the invoice differ in currency")
        available = _deposit_balance(deposit)
        if request.HasField("amount"):
            if request.amount.currency_code != deposit.currency_code:
                raise _mismatch("amount.currency_code", deposit.currency_code)
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
        uow.session.add(row)
        payment = await _after_payment(uow, company_id, invoice, row)
        uow.emit(
            "billing.deposit.applied",
            company_id,
            events_pb2.DepositAppliedEvent(deposit=deposit_to_proto(deposit), payment=payment),
        )
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


# --- RefundDeposit -----------------------------------------------------------------------------
#
# Only a deposit's balance (neither applied nor refunded) can go back to the client. Other
# methods are recorded in one transaction. An online refund moves money at the provider,
# which cannot be taken back, so it is reserved first: under the deposit's row lock (the
# lock ApplyDeposit takes) the amount is added to `refunded_minor` and a PENDING refund row
# keyed by the request_id is written; then the provider is called outside any transaction
# with the request's idempotency key; then the row is marked DONE with the event and the
# stored response. A declined refund releases the reservation; an unreachable provider
# leaves it reserved (the provider may have refunded) until a retry with the same request_id
# finishes it, and the provider's ledger makes that retry refund once.

_REFUND_PENDING = "PENDING"
_REFUND_DONE = "DONE"
_REFUND_SCOPE = "RefundDeposit"


def _check_refund_deposit_request(request: billing_pb2.RefundDepositRequest) -> None:
    v = Violations()
    validate_request_id(request.request_id, v)
    amount = request.amount
    if amount.amount_minor < 0:
        v.add("amount.amount_minor", "must not be negative (zero or unset: all of the balance)")
    elif amount.amount_minor > MAX_AMOUNT_MINOR:
        v.add("amount.amount_minor", f"must be at most {MAX_AMOUNT_MINOR}")
    if amount.amount_minor or amount.currency_code:
        check_currency(amount.currency_code, "amount.currency_code", v)
    if len(request.reason) > 500:
        v.add("reason", "must be at most 500 characters")
    v.raise_if_any()


def _deposit_refund_amount(deposit: DepositRow, request: billing_pb2.RefundDepositRequest) -> int:
    """How much this request refunds of the deposit (under its row lock), or why it cannot."""
    balance = _deposit_balance(deposit)
    if balance == 0:
        raise precondition(
            "name", "DEPOSIT_NOTHING_TO_REFUND", "the deposit holds nothing to refund: it was all applied or refunded"
        )
    if request.amount.currency_code and request.amount.currency_code != deposit.currency_code:
        raise InvalidArgument(
            "currency mismatch",
            violations=[FieldViolation("amount.currency_code", f"must be the deposit's {deposit.currency_code}")],
            reason="CURRENCY_MISMATCH",
            metadata={"field": "amount.currency_code"},
        )
    amount = request.amount.amount_minor or balance
    if amount > balance:
        raise InvalidArgument(
            f"amount is above the deposit's balance ({balance})",
            violations=[FieldViolation("amount", f"must be at most the deposit's balance {balance}")],
            reason="REFUND_ABOVE_DEPOSIT_BALANCE",
            metadata={"field": "amount"},
        )
    return amount


def _emit_deposit_refunded(
    uow: UnitOfWork, company_id: str, deposit: DepositRow, refund: DepositRefundRow
) -> billing_pb2.Deposit:
    deposit_msg = deposit_to_proto(deposit)
    uow.emit(
        "billing.deposit.refunded",
        company_id,
        events_pb2.DepositRefundedEvent(
            deposit=deposit_msg,
            refund_amount=money(deposit.currency_code, refund.amount_minor),
            reason=refund.reason,
            provider_refund_id=refund.provider_refund_id,
        ),
    )
    return deposit_msg


async def refund_deposit(
    db: Database, provider: PaymentProvider, company_id: str, request: billing_pb2.RefundDepositRequest
) -> billing_pb2.Deposit:
    deposit_id = parse_name(request.name, "deposits")
    _check_refund_deposit_request(request)
    request_id = request.request_id
    fingerprint = request_fingerprint(request)
    if request_id:
        replay = await stored_response(db, company_id, _REFUND_SCOPE, request_id, fingerprint, billing_pb2.Deposit)
        if replay is not None:
            return replay
    async with UnitOfWork(db, readonly=True) as uow:
        method = await uow.session.scalar(
            select(DepositRow.method).where(DepositRow.company_id == company_id, DepositRow.id == deposit_id)
        )
    if method is None:
        raise NotFound(f"{request.name} not found")

    def new_refund(deposit: DepositRow, amount: int, status: str) -> DepositRefundRow:
        return DepositRefundRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            deposit_id=deposit.id,
            amount_minor=amount,
            reason=request.reason,
            status=status,
            request_id=request_id or None,
            request_hash=fingerprint,
            provider_refund_id="",
            created_at=utcnow(),
            completed_at=utcnow() if status == _REFUND_DONE else None,
        )

    async def run(work: Callable[[UnitOfWork], Awaitable[billing_pb2.Deposit]]) -> billing_pb2.Deposit:
        return await run_idempotent(
            db,
            company_id=company_id,
            scope=_REFUND_SCOPE,
            request=request,
            request_id=request_id,
            response_type=billing_pb2.Deposit,
            work=work,
            source=SOURCE,
        )

    if method != "ONLINE":

        async def record(uow: UnitOfWork) -> billing_pb2.Deposit:
            deposit = await _deposit_for_update(uow, company_id, deposit_id, request.name)
            refund = new_refund(deposit, _deposit_refund_amount(deposit, request), _REFUND_DONE)
            deposit.refunded_minor += refund.amount_minor
            uow.session.add(refund)
            await uow.session.flush()
            return _emit_deposit_refunded(uow, company_id, deposit, refund)

        return await run(record)

    if not request_id:
        raise InvalidArgument(
            "request_id is required",
            violations=[FieldViolation("request_id", "is required to refund an online deposit (it keys the refund)")],
        )
    key = f"{company_id}:{_REFUND_SCOPE}:{request_id}"

    # 1. reserve the amount on the deposit (or find this request's reservation from an earlier try)
    try:
        async with UnitOfWork(db, source=SOURCE) as uow:
            deposit = await _deposit_for_update(uow, company_id, deposit_id, request.name)
            refund = await uow.session.scalar(
                select(DepositRefundRow).where(
                    DepositRefundRow.company_id == company_id, DepositRefundRow.request_id == request_id
                )
            )
            if refund is None:
                refund = new_refund(deposit, _deposit_refund_amount(deposit, request), _REFUND_PENDING)
                deposit.refunded_minor += refund.amount_minor
                uow.session.add(refund)
                await uow.commit()
            elif refund.request_hash != fingerprint:
                raise InvalidArgument(
                    "request_id was already used with a different request", reason="REQUEST_ID_REUSED", violations=[]
                )
            refund_id, amount, charge_id = refund.id, refund.amount_minor, deposit.provider_charge_id
            done, provider_refund_id = refund.status == _REFUND_DONE, refund.provider_refund_id
    except IntegrityError:
        # a concurrent twin with this request_id reserved first: it refunds, or a retry finishes it
        replay = await stored_response(db, company_id, _REFUND_SCOPE, request_id, fingerprint, billing_pb2.Deposit)
        if replay is not None:
            return replay
        raise Unavailable("the same refund is in progress; retry with the same request_id") from None

    # 2. the provider, outside any transaction; its idempotency key makes a retry refund once
    try:
        if not done:  # done: a concurrent twin finished it between our replay check and here
            provider_refund_id = (
                await provider.refund(idempotency_key=key, charge_id=charge_id, amount_minor=amount)
            ).refund_id
    except PaymentDeclined as exc:
        async with UnitOfWork(db, source=SOURCE) as uow:
            deposit = await _deposit_for_update(uow, company_id, deposit_id, request.name)
            refund = await uow.session.get(DepositRefundRow, refund_id)
            if refund is not None and refund.status == _REFUND_PENDING:
                deposit.refunded_minor -= refund.amount_minor
                await uow.session.delete(refund)
                await uow.commit()
        raise precondition("name", "REFUND_REFUSED", f"the provider refused the refund: {exc}") from exc
    except ProviderUnavailable as exc:
        raise Unavailable(
            f"payment provider unavailable; the amount stays reserved, retry with the same request_id: {exc}"
        ) from exc

    # 3. record it as done, with its event, and store the response for retries
    async def complete(uow: UnitOfWork) -> billing_pb2.Deposit:
        deposit = await _deposit_for_update(uow, company_id, deposit_id, request.name)
        refund = await uow.session.get(DepositRefundRow, refund_id)
        if refund is None:  # pragma: no cover - a reserved refund row is only removed when declined
            raise NotFound(f"refund of {request.name} not found")
        if refund.status == _REFUND_DONE:  # a concurrent twin finished it; its response is replayed
            return deposit_to_proto(deposit)
        refund.status = _REFUND_DONE
        refund.provider_refund_id = provider_refund_id
        refund.completed_at = utcnow()
        await uow.session.flush()
        return _emit_deposit_refunded(uow, company_id, deposit, refund)

    return await run(complete)
