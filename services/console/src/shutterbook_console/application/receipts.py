"""Printable receipts a customer can read (reference page 03: payments and refunds "with a
printable receipt"): a payment's receipt (what was taken, how, the refunds of it so far, and the
invoice's lines with tax, total, paid and balance) and a customer deposit's receipt (taken,
applied, refunded, held). The studio's name, the location's name and address, times in the
location's zone, the client's name and the invoice and session numbers; never an internal id.
Rendered with fpdf2 like the session confirmation (`confirmation.py`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.clients.v1 import clients_pb2
from shutterbook.common.v1 import audit_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.confirmation import (
    Printable,
    line_table,
    money,
    pdf_row,
    start_pdf,
    studio_heading,
)
from shutterbook_console.application.hubs import display_name
from shutterbook_console.application.invoice_records import visible_invoice
from shutterbook_console.application.studio import Studio
from shutterbook_console.domain.receipt_zone import UTC_ZONE, deposit_receipt_zone
from shutterbook_console.upstreams import UpstreamError, Upstreams
from shutterbook_kit.identity import Caller

if TYPE_CHECKING:
    from fpdf import FPDF

METHODS = {
    bpb.PAYMENT_METHOD_CASH: "Cash",
    bpb.PAYMENT_METHOD_CHECK: "Check",
    bpb.PAYMENT_METHOD_CARD: "Card (studio terminal)",
    bpb.PAYMENT_METHOD_ONLINE: "Card",
    bpb.PAYMENT_METHOD_DEPOSIT: "Customer deposit applied",
}


def _at(ts: Timestamp, zone: str) -> str:
    moment = datetime.fromtimestamp(ts.seconds, UTC).astimezone(ZoneInfo(zone))
    return f"{moment:%B %d, %Y %I:%M %p} ({zone})"


def _heading(pdf: FPDF, studio: Studio, invoice: bpb.Invoice | None, title: str) -> None:
    where = invoice.session_details if invoice is not None else None
    location = where.location_display_name if where else ""
    place = " - ".join(p for p in (location, where.location_address if where else "") if p)
    studio_heading(pdf, studio, location or "Receipt", place)
    pdf.ln(6)
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")


def _refunds(history: list[audit_pb2.AuditEntry]) -> list[tuple[Timestamp, int, str]]:
    """The refunds of a payment, oldest first, from its audit trail (when, amount, reason)."""
    found = []
    for entry in history:
        if entry.action != "refunded":
            continue
        change = {c.field: c.after for c in entry.changes}
        amount = change.get("refund.amount_minor")
        reason = change.get("refund.reason")
        found.append(
            (entry.create_time, int(amount.number_value) if amount else 0, reason.string_value if reason else "")
        )
    return sorted(found, key=lambda r: (r[0].seconds, r[0].nanos))


def _lines(pdf: FPDF, invoice: bpb.Invoice) -> None:
    c = invoice.currency_code
    line_table(pdf, invoice)
    for label, minor in (
        ("Subtotal", invoice.subtotal.amount_minor),
        ("Discount", -invoice.discount.amount_minor),
        ("Tax", invoice.tax.amount_minor),
        ("Total", invoice.total.amount_minor),
        ("Paid", invoice.amount_paid.amount_minor),
        ("Balance due", invoice.balance.amount_minor),
    ):
        if label != "Discount" or minor:
            pdf_row(pdf, label, money(minor, c))


def render_payment_receipt(
    studio: Studio,
    payment: bpb.Payment,
    invoice: bpb.Invoice,
    zone: str,
    refunds: list[tuple[Timestamp, int, str]],
) -> bytes:
    c = payment.amount.currency_code or invoice.currency_code
    title = "Refund receipt" if refunds else "Payment receipt"
    pdf = start_pdf(studio, f"{title} {invoice.invoice_number}")
    _heading(pdf, studio, invoice, title)
    pdf_row(pdf, "Client", invoice.client_display_name or "-")
    pdf_row(pdf, "Invoice", invoice.invoice_number)
    details = invoice.session_details
    if details.session_number:
        session = " - ".join(p for p in (details.session_number, details.session_type_display_name) if p)
        pdf_row(pdf, "Session", session)
    pdf_row(pdf, "Received", _at(payment.create_time, zone))
    pdf_row(pdf, "Method", METHODS.get(payment.method, "Payment"))
    pdf_row(pdf, "Amount received", money(payment.amount.amount_minor, c))
    if payment.note:
        pdf_row(pdf, "Note", payment.note)
    for when, amount, reason in refunds:
        pdf_row(pdf, "Refunded", f"{money(amount, c)} on {_at(when, zone)}")
        if reason:
            pdf_row(pdf, "Reason", reason)
    if refunds:
        pdf_row(pdf, "Kept", money(payment.amount.amount_minor - payment.amount_refunded.amount_minor, c))
    pdf.ln(4)
    _lines(pdf, invoice)
    return bytes(pdf.output())


async def payment_receipt(up: Upstreams, caller: Caller, name: str, studio: Studio) -> Printable:
    """The receipt of a payment (with its refunds); one of an invoice the staff member may not
    see is NOT_FOUND, a role without billing.read is refused by billing."""
    b = up.billing
    payment = await up.call(b.GetPayment, bpb.GetPaymentRequest(name=name), caller)
    (invoice, zone), history = await asyncio.gather(
        visible_invoice(up, caller, payment.invoice),
        up.call(b.ListAuditEntries, audit_pb2.ListAuditEntriesRequest(parent=name, page_size=200), caller),
    )
    refunds = _refunds(list(history.audit_entries))
    content = render_payment_receipt(studio, payment, invoice, zone, refunds)
    kind = "refund" if refunds else "receipt"
    return Printable(f"{kind}-{invoice.invoice_number}-{len(refunds) + 1}.pdf", content)


def render_deposit_receipt(studio: Studio, deposit: bpb.Deposit, client_name: str, zone: str = UTC_ZONE) -> bytes:
    c = deposit.amount.currency_code
    pdf = start_pdf(studio, "Deposit receipt")
    _heading(pdf, studio, None, "Customer deposit receipt")
    pdf_row(pdf, "Client", client_name or "-")
    pdf_row(pdf, "Received", _at(deposit.create_time, zone))
    pdf_row(pdf, "Method", METHODS.get(deposit.method, "Payment"))
    pdf_row(pdf, "Amount received", money(deposit.amount.amount_minor, c))
    if deposit.note:
        pdf_row(pdf, "Note", deposit.note)
    if deposit.amount_applied.amount_minor:
        pdf_row(pdf, "Applied to invoices", money(deposit.amount_applied.amount_minor, c))
    if deposit.amount_refunded.amount_minor:
        pdf_row(pdf, "Refunded", money(deposit.amount_refunded.amount_minor, c))
    pdf_row(pdf, "Held for you", money(deposit.balance.amount_minor, c))
    return bytes(pdf.output())


async def _deposit_zone(up: Upstreams, caller: Caller, deposit: bpb.Deposit) -> str:
    """The zone of the deposit's receipt (`domain.receipt_zone`: the client's session nearest in
    time, else the staff member's one location, else UTC)."""
    try:
        sessions = await up.call(
            up.scheduling.ListSessions, pb.ListSessionsRequest(client=deposit.client, page_size=1000), caller
        )
    except UpstreamError:  # scheduling not answering: the receipt still prints, in UTC, said so
        return UTC_ZONE
    seen = [
        (s.start_time.ToDatetime(UTC), s.time_zone)
        for s in sessions.sessions
        if s.HasField("start_time") and caller.may_see_location(s.location.removeprefix("locations/"))
    ]
    staff_zone = ""
    if not seen and caller.location_ids is not None and len(caller.location_ids) == 1:
        [only] = caller.location_ids
        location = await up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=f"locations/{only}"), caller)
        staff_zone = location.time_zone
    return deposit_receipt_zone(deposit.create_time.ToDatetime(UTC), seen, staff_zone)


async def deposit_receipt(up: Upstreams, caller: Caller, name: str, studio: Studio) -> Printable:
    deposit = await up.call(up.billing.GetDeposit, bpb.GetDepositRequest(name=name), caller)
    client, zone = await asyncio.gather(
        up.call(up.clients.GetClient, clients_pb2.GetClientRequest(name=deposit.client), caller),
        _deposit_zone(up, caller, deposit),
    )
    content = render_deposit_receipt(studio, deposit, display_name(client), zone)
    stamp = datetime.fromtimestamp(deposit.create_time.seconds, UTC)
    return Printable(f"deposit-{stamp:%Y%m%d-%H%M}.pdf", content)
