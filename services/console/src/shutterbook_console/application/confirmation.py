"""The printable session confirmation (reference page 03, "Print Session Confirmation"): a PDF a
customer can read. The studio's name, the location's name and address, the session number
(never an internal id), the client's name, the session's times in the location's zone, and,
when the session has an invoice, its lines with tax, the total, what is paid and the balance.
It prints without an invoice too. The photographer confirmation is the same page for the staff
taking the pictures: who, when, where, with whom, and no money. Rendered with fpdf2's core
fonts (Latin-1)."""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.session_records import visible_session
from shutterbook_console.application.studio import Studio, one_line
from shutterbook_console.upstreams import Upstreams

if TYPE_CHECKING:
    from fpdf import FPDF
from shutterbook_kit.identity import Caller

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Printable:
    filename: str
    content: bytes


def money(amount_minor: int, currency: str) -> str:
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{whole:,}.{cents:02d} {currency}"


def latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _when(start: datetime, end: datetime) -> str:
    day = start.strftime("%A, %B %d, %Y")
    return f"{day}, {start.strftime('%I:%M %p').lstrip('0')} to {end.strftime('%I:%M %p').lstrip('0')}"


def postal_address(location: pb.Location) -> str:
    return one_line(location.address)


def pdf_row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(45, 7, latin1(label))
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 7, latin1(value or "-"), new_x="LMARGIN", new_y="NEXT")


def start_pdf(studio: Studio, title: str) -> FPDF:
    from fpdf import FPDF  # fpdf2 (with fontTools and Pillow) loads with the first PDF, not at start

    pdf = FPDF(format="Letter")
    pdf.set_title(title)
    pdf.set_creator(studio.name or "Shutterbook")
    pdf.add_page()
    return pdf


def studio_heading(pdf: FPDF, studio: Studio, fallback_name: str, place: str) -> None:
    """The top of a document: the studio's logo, name, address and contact (its company
    profile), then `place` (the location's name and address). Without a profile: the location's
    name. A logo fpdf2 cannot read is left out rather than failing the document."""
    if studio.logo:
        try:
            pdf.image(io.BytesIO(studio.logo), h=18)
        except (ValueError, RuntimeError, OSError):
            log.warning("company logo not printable")
    pdf.set_font("helvetica", "B", 20)
    pdf.cell(0, 11, latin1(studio.name or fallback_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    for line in (studio.address, studio.contact, place):
        if line:
            pdf.cell(0, 6, latin1(line), new_x="LMARGIN", new_y="NEXT")


def line_table(pdf: FPDF, invoice: bpb.Invoice) -> None:
    """The invoice's lines: item, quantity, price, tax and amount."""
    c = invoice.currency_code
    pdf.set_font("helvetica", "B", 11)
    for text, width in (("Item", 80), ("Qty", 14), ("Price", 32), ("Tax", 30), ("Amount", 0)):
        pdf.cell(width, 7, text, border="B", new_x="RIGHT", new_y="TOP")
    pdf.ln(7)
    pdf.set_font("helvetica", size=11)
    for line in invoice.lines:
        pdf.cell(80, 7, latin1(line.description[:42]))
        pdf.cell(14, 7, str(line.quantity))
        pdf.cell(32, 7, money(line.unit_price.amount_minor, c))
        pdf.cell(30, 7, money(line.tax.amount_minor, c))
        pdf.cell(0, 7, money(line.total.amount_minor, c), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def render(
    studio: Studio,
    session: pb.Session,
    location: pb.Location,
    client_name: str,
    session_type: str,
    invoice: bpb.Invoice | None,
) -> bytes:
    zone = ZoneInfo(location.time_zone or session.time_zone or "UTC")
    start = session.start_time.ToDatetime(zone)
    end = session.end_time.ToDatetime(zone)
    pdf = start_pdf(studio, f"Session confirmation {session.session_number}")
    studio_heading(pdf, studio, location.display_name, f"{location.display_name} - {postal_address(location)}")
    pdf.ln(6)
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, "Session confirmation", new_x="LMARGIN", new_y="NEXT")

    def row(label: str, value: str) -> None:
        pdf_row(pdf, label, value)

    row("Client", client_name or "-")
    row("Session number", session.session_number)
    row("Session", session_type)
    row("When", f"{_when(start, end)} ({location.time_zone})")
    row("Where", f"{location.display_name}, {postal_address(location)}")
    if session.description:
        row("Notes", session.description)
    pdf.ln(4)
    if invoice is None:
        pdf.set_font("helvetica", "I", 11)
        pdf.cell(0, 7, "No invoice yet.", new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())
    c = invoice.currency_code
    line_table(pdf, invoice)
    row("Invoice", invoice.invoice_number)
    row("Subtotal", money(invoice.subtotal.amount_minor, c))
    if invoice.discount.amount_minor:
        row("Discount", f"-{money(invoice.discount.amount_minor, c)} ({invoice.promo_code})")
    row("Tax", money(invoice.tax.amount_minor, c))
    if invoice.cancellation_credit.amount_minor:
        credit = money(invoice.cancellation_credit.amount_minor, c)
        row("Cancellation credit", f"-{credit} ({invoice.cancellation_reason[:40]})")
    row("Total", money(invoice.total.amount_minor, c))
    row("Paid", money(invoice.amount_paid.amount_minor, c))
    row("Balance due", money(invoice.balance.amount_minor, c))
    return bytes(pdf.output())


async def session_confirmation(up: Upstreams, caller: Caller, name: str, studio: Studio) -> Printable:
    session = await visible_session(up, caller, name)
    known = session.client.replace("clients/", "knownClients/", 1)
    location, client, stype, invoices = await asyncio.gather(
        up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=session.location), caller),
        up.call(up.scheduling.GetKnownClient, pb.GetKnownClientRequest(name=known), caller),
        up.call(up.scheduling.GetSessionType, pb.GetSessionTypeRequest(name=session.session_type), caller),
        up.call(up.billing.ListInvoices, bpb.ListInvoicesRequest(session=session.name, page_size=10), caller),
    )
    live = [i for i in invoices.invoices if i.status != bpb.INVOICE_STATUS_VOID]
    content = render(studio, session, location, client.display_name, stype.display_name, live[0] if live else None)
    return Printable(f"session-{session.session_number or 'confirmation'}.pdf", content)


def render_photographer(
    studio: Studio,
    session: pb.Session,
    location: pb.Location,
    client: pb.KnownClient,
    session_type: str,
    crew: dict[str, str],
) -> bytes:
    """`crew`: "Photographer", "Assistant", "Camera room" to the schedules' names."""
    zone = ZoneInfo(location.time_zone or session.time_zone or "UTC")
    start, end = session.start_time.ToDatetime(zone), session.end_time.ToDatetime(zone)
    pdf = start_pdf(studio, f"Photographer confirmation {session.session_number}")
    studio_heading(pdf, studio, location.display_name, "")
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, "Photographer confirmation", new_x="LMARGIN", new_y="NEXT")

    def row(label: str, value: str) -> None:
        pdf_row(pdf, label, value)

    row("Session number", session.session_number)
    row("Session", session_type)
    row("When", f"{_when(start, end)} ({location.time_zone})")
    row("Where", f"{location.display_name}, {postal_address(location)}")
    for role, name in crew.items():
        row(role, name)
    row("Client", client.display_name)
    row("Contact", client.primary_email)
    if session.description:
        row("Notes", session.description)
    row("Confirmed", "yes" if session.confirmed else "not yet")
    return bytes(pdf.output())


async def photographer_confirmation(up: Upstreams, caller: Caller, name: str, studio: Studio) -> Printable:
    session = await visible_session(up, caller, name)
    known = session.client.replace("clients/", "knownClients/", 1)
    roles = {"Photographer": session.photographer, "Assistant": session.assistant, "Camera room": session.camera_room}
    wanted = {role: schedule for role, schedule in roles.items() if schedule}
    location, client, stype, schedules = await asyncio.gather(
        up.call(up.scheduling.GetLocation, pb.GetLocationRequest(name=session.location), caller),
        up.call(up.scheduling.GetKnownClient, pb.GetKnownClientRequest(name=known), caller),
        up.call(up.scheduling.GetSessionType, pb.GetSessionTypeRequest(name=session.session_type), caller),
        asyncio.gather(
            *(up.call(up.scheduling.GetSchedule, pb.GetScheduleRequest(name=s), caller) for s in wanted.values())
        ),
    )
    crew = {role: schedule.display_name for role, schedule in zip(wanted, schedules, strict=True)}
    if session.camera_room_text and "Camera room" not in crew:
        crew["Camera room"] = session.camera_room_text
    content = render_photographer(studio, session, location, client, stype.display_name, crew)
    return Printable(f"photographer-{session.session_number or 'confirmation'}.pdf", content)
