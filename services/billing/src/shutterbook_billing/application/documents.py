"""Use cases: PDF documents of a session's invoice (reference page 03: print or email the
session confirmation; print a receipt). Rendered with fpdf2's core fonts (Latin-1)."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shutterbook.billing.v1 import billing_pb2
from shutterbook_billing.application import client_directory, invoices
from shutterbook_billing.application.payments import payment_to_proto
from shutterbook_billing.application.studio_profile import Studio, studio_of
from shutterbook_billing.domain.money import format_money
from shutterbook_billing.storage.models import InvoiceLineRow, InvoiceRow
from shutterbook_billing.storage.payments import PaymentRepository
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.uow import UnitOfWork

if TYPE_CHECKING:
    from fpdf import FPDF

log = logging.getLogger(__name__)

_METHOD_LABEL = {
    billing_pb2.PAYMENT_METHOD_CASH: "Cash",
    billing_pb2.PAYMENT_METHOD_CHECK: "Check",
    billing_pb2.PAYMENT_METHOD_CARD: "Card",
    billing_pb2.PAYMENT_METHOD_ONLINE: "Online card payment",
    billing_pb2.PAYMENT_METHOD_DEPOSIT: "Customer deposit",
}


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


class _Doc:
    def __init__(self, title: str, studio: Studio, row: InvoiceRow) -> None:
        # imported on the first document, not at start: fpdf2 (with fontTools and Pillow) is the
        # slowest import of billing and most processes never render a PDF
        from fpdf import FPDF

        self.pdf: FPDF = FPDF(format="Letter")
        self.pdf.set_title(title)
        self.pdf.set_creator(studio.display_name or "Shutterbook")
        self.pdf.add_page()
        self.heading(studio, row)
        self.pdf.set_font("helvetica", "B", 18)
        self.pdf.cell(0, 12, _latin1(title), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("helvetica", size=11)

    def heading(self, studio: Studio, row: InvoiceRow) -> None:
        """The studio at the top: its logo, name, address and contact (the company profile);
        without a profile, the location's name and address as before."""
        if studio.logo:
            try:
                self.pdf.image(io.BytesIO(studio.logo), h=18)
            except (ValueError, RuntimeError, OSError):  # an undecodable logo is left out, not fatal
                log.warning("company logo not printable", extra={"company": row.company_id})
        name = studio.display_name or row.location_display_name
        address = studio.address if studio.display_name else row.location_address
        if name:
            self.pdf.set_font("helvetica", "B", 16)
            self.pdf.cell(0, 9, _latin1(name), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("helvetica", size=10)
        for line in (*address.split("\n"), studio.contact if studio.display_name else ""):
            if line:
                self.pdf.cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(4)

    def row(self, label: str, value: str) -> None:
        self.pdf.set_font("helvetica", "B", 11)
        self.pdf.cell(50, 7, _latin1(label))
        self.pdf.set_font("helvetica", size=11)
        self.pdf.multi_cell(0, 7, _latin1(value), new_x="LMARGIN", new_y="NEXT")

    def gap(self) -> None:
        self.pdf.ln(4)

    def lines(self, row: InvoiceRow, lines: list[InvoiceLineRow]) -> None:
        c = row.currency_code
        self.pdf.set_font("helvetica", "B", 11)
        for text, width in (("Item", 90), ("Qty", 15), ("Unit price", 40), ("Amount", 0)):
            self.pdf.cell(width, 7, text, border="B", new_x="RIGHT", new_y="TOP")
        self.pdf.ln(7)
        self.pdf.set_font("helvetica", size=11)
        for line in lines:
            self.pdf.cell(90, 7, _latin1(line.description[:48]))
            self.pdf.cell(15, 7, str(line.quantity))
            self.pdf.cell(40, 7, format_money(c, line.unit_price_minor))
            self.pdf.cell(0, 7, format_money(c, line.subtotal_minor), new_x="LMARGIN", new_y="NEXT")
        if not lines:
            self.pdf.cell(0, 7, "(no items)", new_x="LMARGIN", new_y="NEXT")
        self.gap()
        self.row("Subtotal", format_money(c, row.subtotal_minor))
        if row.discount_minor:
            self.row("Discount", f"-{format_money(c, row.discount_minor)} ({row.promo_code})")
        self.row("Tax", format_money(c, row.tax_minor))
        if row.credit_minor:
            self.row("Cancellation credit", f"-{format_money(c, row.credit_minor)} ({row.credit_reason})")
        self.row("Total", format_money(c, row.total_minor))
        self.row("Paid", format_money(c, row.paid_minor))
        self.row("Balance due", format_money(c, row.total_minor - row.paid_minor))

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())


def _local(row: InvoiceRow) -> tuple[str, str]:
    if row.session_start is None:
        return "", ""
    try:
        zone = ZoneInfo(row.time_zone) if row.time_zone else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    start = row.session_start.astimezone(zone) if zone else row.session_start
    end = row.session_end.astimezone(zone) if (zone and row.session_end) else row.session_end
    when = start.strftime("%A, %B %d, %Y %I:%M %p")
    if end is not None:
        when += end.strftime(" - %I:%M %p")
    return when, row.time_zone or "UTC"


def _client(row: InvoiceRow, known_name: str) -> str:
    # a name, never the client's id (documents go to clients)
    return row.client_display_name or known_name or "(name not on file)"


def _session_rows(doc: _Doc, row: InvoiceRow, known_name: str) -> None:
    doc.row("Client", _client(row, known_name))
    if row.session_id:
        if row.session_number:
            doc.row("Session number", row.session_number)
        if row.session_type_display_name:
            doc.row("Session type", row.session_type_display_name)
        when, zone = _local(row)
        if when:
            doc.row("When", f"{when} ({zone})")
        if row.location_display_name or row.location_address:
            doc.row("Studio", "\n".join(p for p in (row.location_display_name, row.location_address) if p))
        if row.session_description:
            doc.row("Description", row.session_description)


async def render_session_confirmation(db: Database, company_id: str, name: str) -> billing_pb2.Document:
    invoice_id = parse_name(name, "invoices", field="invoice")
    async with UnitOfWork(db, readonly=True) as uow:
        row, lines = await invoices.load_invoice(uow, company_id, invoice_id, name=name)
        known_name = await client_directory.name_of(uow, company_id, row.client_id)
        studio = await studio_of(uow, company_id)
    doc = _Doc("Session Confirmation", studio, row)
    doc.row("Invoice", invoices.invoice_number(row.number))
    _session_rows(doc, row, known_name)
    doc.gap()
    doc.lines(row, lines)
    return billing_pb2.Document(
        filename=f"confirmation-{invoices.invoice_number(row.number)}.pdf",
        content_type="application/pdf",
        content=doc.bytes(),
    )


async def render_payment_receipt(db: Database, company_id: str, name: str) -> billing_pb2.Document:
    payment_id = parse_name(name, "payments", field="payment")
    async with UnitOfWork(db, readonly=True) as uow:
        payment = await PaymentRepository(uow.session).get(company_id, payment_id)
        if payment is None:
            raise NotFound(f"{name} not found")
        row, lines = await invoices.load_invoice(uow, company_id, payment.invoice_id)
        known_name = await client_directory.name_of(uow, company_id, row.client_id)
        studio = await studio_of(uow, company_id)
    message = payment_to_proto(payment)
    doc = _Doc("Payment Receipt", studio, row)
    doc.row("Date", payment.created_at.strftime("%B %d, %Y %H:%M UTC"))
    doc.row("Amount received", format_money(payment.currency_code, payment.amount_minor))
    if payment.refunded_minor:
        doc.row("Refunded", format_money(payment.currency_code, payment.refunded_minor))
    doc.row("Method", _METHOD_LABEL.get(message.method, "Payment"))
    if payment.note:
        doc.row("Note", payment.note)
    doc.row("Invoice", invoices.invoice_number(row.number))
    _session_rows(doc, row, known_name)
    doc.gap()
    doc.lines(row, lines)
    return billing_pb2.Document(
        filename=f"receipt-{invoices.invoice_number(row.number)}-{payment.id[:8]}.pdf",
        content_type="application/pdf",
        content=doc.bytes(),
    )
