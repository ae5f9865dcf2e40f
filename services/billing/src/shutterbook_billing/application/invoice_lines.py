"""Use cases: a line added to an invoice after it was made (a print ordered at the viewing), or
removed from it (at the desk, while the invoice is open)."""

from __future__ import annotations

from shutterbook.billing.v1 import billing_pb2, events_pb2
from shutterbook_billing import events
from shutterbook_billing.application import invoices
from shutterbook_billing.application.common import SOURCE, precondition
from shutterbook_billing.domain.money import Discount
from shutterbook_billing.storage.invoices import InvoiceRepository
from shutterbook_billing.storage.models import InvoiceLineRow, InvoiceRow
from shutterbook_billing.storage.promotions import PromotionRepository
from shutterbook_kit import audit
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.resource_names import name_ids, parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork


async def add_invoice_line(
    db: Database, company_id: str, request: billing_pb2.AddInvoiceLineRequest
) -> billing_pb2.Invoice:
    invoice_id = parse_name(request.invoice, "invoices", field="invoice")
    v = Violations()
    validate_request_id(request.request_id, v)
    if not request.HasField("line"):
        v.add("line", "is required")
    item_id = invoices.check_line(request.line, "line", v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.Invoice:
        row, lines = await invoices.load_invoice(uow, company_id, invoice_id, for_update=True, name=request.invoice)
        if row.status == invoices.VOID:
            raise precondition("invoice", "INVOICE_VOID", "a void invoice takes no lines")
        items = await invoices.items_by_id(uow, company_id, [item_id] if item_id else [])
        drafted = invoices.draft_line(request.line, item_id, items, "line", v)
        if drafted is not None and drafted[1][1] != row.currency_code:
            v.add(drafted[1][0], f"currency {drafted[1][1]} differs from the invoice's {row.currency_code}")
        v.raise_if_any()
        assert drafted is not None
        before = invoices.to_proto(row, lines)
        line = invoices.line_row(row, max((x.position for x in lines), default=-1) + 1, drafted[0])
        await _reprice(uow, company_id, row, [*lines, line])
        await InvoiceRepository(uow.session).insert(line)
        invoice = invoices.to_proto(row, [*lines, line])
        added = invoice.lines[-1]
        uow.emit(events.INVOICE_LINE_ADDED, company_id, events_pb2.InvoiceLineAddedEvent(invoice=invoice, line=added))
        uow.audit(
            company_id,
            invoice.name,
            "line_added",
            before=_totals(before),
            after=_totals(invoice),
            changes=audit.added({"line": added}),
        )
        return invoice

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="AddInvoiceLine",
        request=request,
        request_id=request.request_id,
        response_type=billing_pb2.Invoice,
        work=work,
        source=SOURCE,
    )


async def _reprice(uow: UnitOfWork, company_id: str, row: InvoiceRow, lines: list[InvoiceLineRow]) -> None:
    """The invoice's amounts and status from `lines`, with its promotion."""
    promotions = PromotionRepository(uow.session)
    promotion = await promotions.get(company_id, row.promotion_id) if row.promotion_id else None
    discount = Discount(promotion.percent_off_bps, promotion.amount_off_minor) if promotion else None
    invoices.reprice(row, lines, discount)
    invoices.set_status(row)
    row.updated_at = utcnow()


async def remove_invoice_line(
    db: Database, company_id: str, request: billing_pb2.RemoveInvoiceLineRequest
) -> billing_pb2.Invoice:
    parse_name(request.name, "invoices", "lines")  # the shape, and ids that can exist
    ids = name_ids(request.name, "invoices", "lines")
    assert ids is not None
    invoice_id, line_id = ids
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> billing_pb2.Invoice:
        invoice_name = f"invoices/{invoice_id}"
        row, lines = await invoices.load_invoice(uow, company_id, invoice_id, for_update=True, name=invoice_name)
        removed = next((x for x in lines if x.id == line_id), None)
        if removed is None:
            raise NotFound(f"{request.name} not found")
        if row.status == invoices.VOID:
            raise precondition("name", "INVOICE_VOID", "a void invoice keeps its lines")
        before = invoices.to_proto(row, lines)
        kept = [x for x in lines if x.id != line_id]
        await _reprice(uow, company_id, row, kept)
        if row.total_minor < row.paid_minor:
            raise precondition(
                "name",
                "INVOICE_PAID_BEYOND",
                "without this line the invoice would total less than was paid: refund first",
            )
        await InvoiceRepository(uow.session).delete_line(removed)
        invoice = invoices.to_proto(row, kept)
        line = next(x for x in before.lines if x.name == request.name)
        uow.emit(
            events.INVOICE_LINE_REMOVED, company_id, events_pb2.InvoiceLineRemovedEvent(invoice=invoice, line=line)
        )
        uow.audit(
            company_id,
            invoice.name,
            "line_removed",
            before=_totals(before),
            after=_totals(invoice),
            changes=audit.added({"line": line}),
        )
        return invoice

    return await run_idempotent(
        db,
        company_id=company_id,
        scope="RemoveInvoiceLine",
        request=request,
        request_id=request.request_id,
        response_type=billing_pb2.Invoice,
        work=work,
        source=SOURCE,
    )


def _totals(invoice: billing_pb2.Invoice) -> billing_pb2.Invoice:
    """The invoice without its lines: an entry names the line added, not every line again."""
    copy = billing_pb2.Invoice()
    copy.CopyFrom(invoice)
    del copy.lines[:]
    return copy
