"""Use case: the invoice of a cancelled booking whose studio keeps only a fee (the type's
`keep_fee` cancellation policy, reference: issue 20) is reduced to that fee. A cancellation
credit takes the rest off its total; it is then paid when what it holds covers the fee, else
open with the rest of the fee due. What it holds above the fee is refunded first (by the
caller, with RefundPayment): an invoice never holds more than its total."""

from __future__ import annotations

from shutterbook.billing.v1 import billing_pb2, events_pb2
from shutterbook_billing import events
from shutterbook_billing.application import invoices
from shutterbook_billing.application.common import SOURCE, precondition
from shutterbook_billing.domain.money import cancellation_credit, check_currency, check_positive_amount
from shutterbook_billing.storage.invoices import InvoiceRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

MAX_REASON = 200
DEFAULT_REASON = "Booking cancelled"


async def reduce_invoice_to_fee(
    db: Database, company_id: str, request: billing_pb2.ReduceInvoiceToFeeRequest
) -> billing_pb2.Invoice:
    invoice_id = parse_name(request.name, "invoices")
    v = Violations()
    validate_request_id(request.request_id, v)
    if not request.HasField("fee"):
        v.add("fee", "is required")
    else:
        check_currency(request.fee.currency_code, "fee.currency_code", v)
        check_positive_amount(request.fee.amount_minor, "fee.amount_minor", v)
    if len(request.reason) > MAX_REASON:
        v.add("reason", f"must be at most {MAX_REASON} characters")
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.Invoice:
        row, lines = await invoices.load_invoice(uow, company_id, invoice_id, for_update=True, name=request.name)
        if row.status == invoices.VOID:
            raise precondition("name", "INVOICE_VOID", "a void invoice keeps no fee")
        if request.fee.currency_code != row.currency_code:
            v.add("fee.currency_code", f"differs from the invoice's {row.currency_code}")
            v.raise_if_any()
        before = invoices.to_proto(row, lines)
        total_before_credit = row.total_minor + row.credit_minor
        credit = cancellation_credit(total_before_credit, request.fee.amount_minor)
        if row.paid_minor > total_before_credit - credit:
            raise precondition(
                "fee", "INVOICE_HOLDS_MORE_THAN_FEE", "refund what the invoice holds above the fee before reducing it"
            )
        row.credit_minor = credit
        row.credit_reason = request.reason.strip() or DEFAULT_REASON
        row.total_minor = total_before_credit - credit
        became_paid = invoices.set_status(row)
        row.updated_at = utcnow()
        await InvoiceRepository(uow.session).save()
        invoice = invoices.to_proto(row, lines)
        uow.emit(events.INVOICE_REDUCED_TO_FEE, company_id, events_pb2.InvoiceReducedToFeeEvent(invoice=invoice))
        if became_paid:
            uow.emit(events.INVOICE_PAID, company_id, events_pb2.InvoicePaidEvent(invoice=invoice))
        uow.audit(company_id, invoice.name, "reduced_to_fee", before=before, after=invoice)
        return invoice

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="ReduceInvoiceToFee",
        request=request,
        request_id=request.request_id,
        response_type=billing_pb2.Invoice,
        work=work,
        source=SOURCE,
    )
