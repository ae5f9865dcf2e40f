"""A cancelled online booking's money, as its type's cancellation policy says: refund in full,
keep the deposit, or keep a fee (reference: issue 20). Applied by the gateway itself (a booking
page's key may not refund) right after scheduling cancelled the booking; a retried cancel
finishes what got no answer (every step's request_id is derived from the booking's).

The session's invoice follows the policy too (`domain.pricing.invoice_kept`): voided when
nothing is kept, reduced to what is kept otherwise (billing's ReduceInvoiceToFee; a deposit's
kept part is applied to it), so it is settled, or due for the rest of a fee nothing paid for;
it is left as it is when the studio decides."""

from __future__ import annotations

import grpc

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.application.recovery import save
from shutterbook_gateway.domain.booking import PaymentKind, step_id
from shutterbook_gateway.domain.pricing import cancellation_refund, invoice_kept
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database

REASON = "online cancellation (the type's cancellation policy)"
CREDIT_REASON = "Booking cancelled online"
Metadata = tuple[tuple[str, str], ...]


async def _policy(up: Upstreams, md: Metadata, row: OnlineBookingRow) -> pb.OnlineBookingSettings:
    try:
        if row.kind == "session":
            s_type = await up.scheduling.GetSessionType(
                pb.GetSessionTypeRequest(name=f"sessionTypes/{row.type_id}"), metadata=md, timeout=up.deadlines.read
            )
            return s_type.online
        a_type = await up.scheduling.GetAppointmentType(
            pb.GetAppointmentTypeRequest(name=f"appointmentTypes/{row.type_id}"),
            metadata=md,
            timeout=up.deadlines.read,
        )
        return a_type.online
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:  # the type is gone: the studio decides
            return pb.OnlineBookingSettings()
        raise


async def refund_by_policy(db: Database, up: Upstreams, partner: Partner, row: OnlineBookingRow) -> None:
    """Refund what the policy gives back of what the booking charged, and settle the session's
    invoice as the policy says, once."""
    if row.cancel_refund_minor is not None:
        return
    md = partner.settling().metadata()
    online = await _policy(up, md, row)
    fee = online.cancellation_fee.amount_minor
    amount = cancellation_refund(online.cancellation_policy, fee, row.charged_minor) if row.charged_minor else 0
    money = money_pb2.Money(currency_code=row.currency_code, amount_minor=amount)
    rid = step_id(row.request_id, "cancellation refund")
    if amount and row.payment_kind == PaymentKind.INVOICE and row.payment:
        await up.billing.RefundPayment(
            billing_pb2.RefundPaymentRequest(name=row.payment, amount=money, reason=REASON, request_id=rid),
            metadata=md,
            timeout=up.deadlines.call,
        )
    elif amount and row.payment_kind == PaymentKind.DEPOSIT and row.deposit:
        await up.billing.RefundDeposit(
            billing_pb2.RefundDepositRequest(name=row.deposit, amount=money, reason=REASON, request_id=rid),
            metadata=md,
            timeout=up.deadlines.call,
        )
    kept = invoice_kept(online.cancellation_policy, fee, row.charged_minor)
    if kept is not None and row.kind == "session":
        await _settle_invoice(up, md, row, kept)
    await save(db, row, cancel_refund_minor=amount)


async def _session_invoice(up: Upstreams, md: Metadata, row: OnlineBookingRow) -> billing_pb2.Invoice | None:
    """The booking's session fee invoice (None while billing has not made it yet)."""
    if row.invoice:
        return await up.billing.GetInvoice(
            billing_pb2.GetInvoiceRequest(name=row.invoice), metadata=md, timeout=up.deadlines.read
        )
    listed = await up.billing.ListInvoices(
        billing_pb2.ListInvoicesRequest(session=f"sessions/{row.id}"), metadata=md, timeout=up.deadlines.read
    )
    return next((i for i in listed.invoices if i.session_fee_invoice), None)


async def _settle_invoice(up: Upstreams, md: Metadata, row: OnlineBookingRow, kept: int) -> None:
    invoice = await _session_invoice(up, md, row)
    if invoice is None or invoice.status == billing_pb2.INVOICE_STATUS_VOID:
        return
    if kept == 0:
        await _void(up, md, row, invoice.name)
        return
    try:
        await up.billing.ReduceInvoiceToFee(
            billing_pb2.ReduceInvoiceToFeeRequest(
                name=invoice.name,
                fee=money_pb2.Money(currency_code=invoice.currency_code, amount_minor=kept),
                reason=CREDIT_REASON,
                request_id=step_id(row.request_id, "cancellation fee"),
            ),
            metadata=md,
            timeout=up.deadlines.call,
        )
    except grpc.aio.AioRpcError as err:
        # it holds more than the fee (the studio took money by hand) or was voided meanwhile:
        # the booking stays cancelled and the invoice is left to staff
        if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
            raise
        return
    if row.payment_kind == PaymentKind.DEPOSIT and row.deposit:  # what the studio keeps of it pays the fee
        try:
            await up.billing.ApplyDeposit(
                billing_pb2.ApplyDepositRequest(
                    name=row.deposit, invoice=invoice.name, request_id=step_id(row.request_id, "cancellation deposit")
                ),
                metadata=md,
                timeout=up.deadlines.call,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.FAILED_PRECONDITION:  # nothing left on it, or nothing due
                raise


async def _void(up: Upstreams, md: Metadata, row: OnlineBookingRow, invoice: str) -> None:
    """An invoice that keeps nothing is voided (it holds no money any more)."""
    try:
        await up.billing.VoidInvoice(
            billing_pb2.VoidInvoiceRequest(name=invoice, request_id=step_id(row.request_id, "cancellation void")),
            metadata=md,
            timeout=up.deadlines.call,
        )
    except grpc.aio.AioRpcError as err:
        if err.code() != grpc.StatusCode.FAILED_PRECONDITION:  # already void, or money left on it
            raise
