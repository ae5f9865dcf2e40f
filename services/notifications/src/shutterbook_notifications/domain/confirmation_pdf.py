"""The session confirmation PDF attached to "email session confirmation" (reference page 03):
the studio, the location and its address, the session number and type, the client, the times
in the location's zone, and what billing says is owed (lines, total, paid, balance). Built from
the letter's own fields, so it says what the email says and never shows an internal id.
Rendered with fpdf2's core fonts (Latin-1: other characters print as '?')."""

from __future__ import annotations

from typing import Any

from shutterbook_notifications.domain.account import SessionAccount


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


class _Page:
    def __init__(self, title: str) -> None:
        from fpdf import FPDF  # fpdf2 (with fontTools and Pillow) loads with the first PDF, not at start

        self.pdf = FPDF(format="Letter")
        self.pdf.set_title(_latin1(title))
        self.pdf.set_creator("Shutterbook")
        self.pdf.add_page()

    def heading(self, text: str, size: int) -> None:
        self.pdf.set_font("helvetica", "B", size)
        self.pdf.multi_cell(0, size * 0.6, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    def field(self, label: str, value: str) -> None:
        if not value:
            return
        self.pdf.set_font("helvetica", "B", 11)
        self.pdf.cell(45, 7, _latin1(label))
        self.pdf.set_font("helvetica", size=11)
        self.pdf.multi_cell(0, 7, _latin1(value), new_x="LMARGIN", new_y="NEXT")

    def table(self, account: SessionAccount) -> None:
        self.pdf.ln(4)
        self.pdf.set_font("helvetica", "B", 11)
        widths = (95, 15, 35, 0)
        for text, width in zip(("Item", "Qty", "Unit price", "Amount"), widths, strict=True):
            self.pdf.cell(width, 7, text, border="B")
        self.pdf.ln(7)
        self.pdf.set_font("helvetica", size=11)
        for line in account.lines:
            self.pdf.cell(widths[0], 7, _latin1(line.description[:52]))
            self.pdf.cell(widths[1], 7, str(line.quantity))
            self.pdf.cell(widths[2], 7, account.text(line.unit_price_minor))
            self.pdf.cell(0, 7, account.text(line.total_minor), new_x="LMARGIN", new_y="NEXT")
        if not account.lines:
            self.pdf.cell(0, 7, "(no items)", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(3)
        self.field("Total", account.text(account.total_minor))
        self.field("Paid", account.text(account.paid_minor))
        self.field("Balance due", account.text(max(account.balance_minor, 0)))


def confirmation_pdf(context: dict[str, Any], account: SessionAccount | None) -> bytes:
    """The PDF from a letter context (`letter_context`) and the session's account, if any."""
    session, location = context["session"], context["location"]
    studio = context["company"]["name"] or location["name"]
    page = _Page(f"Session Confirmation {session['number']}".strip())
    page.heading(studio, 18)
    page.heading("Session Confirmation", 14)
    page.pdf.ln(2)
    page.field("Session", session["number"])
    page.field("Session type", session["type"])
    page.field("Client", context["client"]["display_name"])
    page.field("Date", session["start_date"])
    zone = f" ({session['time_zone_abbreviation']}, {session['time_zone']})"
    page.field("Time", f"{session['start_time']} to {session['end_time']}{zone}")
    page.field("Location", location["name"])
    page.field("Address", location["address"])
    page.field("Description", session["description"])
    if account is None:
        page.pdf.ln(4)
        page.field("Invoice", "none yet")
    else:
        page.table(account)
    return bytes(page.pdf.output())


def confirmation_filename(context: dict[str, Any]) -> str:
    number = "".join(c for c in str(context["session"]["number"]) if c.isalnum() or c in "-_")
    return f"session-confirmation-{number}.pdf" if number else "session-confirmation.pdf"
