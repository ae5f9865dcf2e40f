"""PDF session confirmation and payment receipt of a session's invoice: the documents open,
and their text holds the client, the session, the studio, the lines and the total, and no
internal id."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from shutterbook.billing.v1 import billing_pb2
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.billing_support import billing_service, create_item, known_client, md, pay, snapshot

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def assert_no_ids(text: str) -> None:
    """Documents go to clients: names and numbers, never an internal id."""
    assert not UUID.search(text), text
    for prefix in ("clients/", "sessions/", "locations/", "payments/", "invoices/"):
        assert prefix not in text, (prefix, text)


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_confirmation_and_receipt(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with billing_service(databases, nats_server.url) as b:
        fee = await create_item(b.stub, "SESSION-FEE-DELUXE", 25000, 825)
        prints = await create_item(b.stub, "PRINT-8X10", 2000)
        client = await known_client(b.stub)
        session = snapshot(client, [fee.name, prints.name])
        invoice = await b.stub.EnsureSessionInvoice(
            billing_pb2.EnsureSessionInvoiceRequest(session=session), metadata=md()
        )
        payment = await pay(b.stub, invoice.name, 10000, billing_pb2.PAYMENT_METHOD_CHECK)

        confirmation = await b.stub.RenderSessionConfirmation(
            billing_pb2.RenderSessionConfirmationRequest(invoice=invoice.name), metadata=md()
        )
        assert confirmation.content_type == "application/pdf"
        assert confirmation.filename == f"confirmation-{invoice.invoice_number}.pdf"
        text = pdf_text(confirmation.content)
        for expected in (
            "Session Confirmation",
            "Ada Lovelace",
            "S-000042",
            "Downtown Studio",
            "120 Main Street, New York, NY 10001",
            "Deluxe Portrait",
            # 15:00 UTC on December 5 is 10:00 in New York (EST)
            "Saturday, December 05, 2026 10:00 AM - 11:30 AM (America/New_York)",
            "Session-Fee-Deluxe",
            "Print-8X10",
            "USD 250.00",
            "Total",
            "USD 290.63",
            "Balance due",
            "USD 190.63",
            invoice.invoice_number,
        ):
            assert expected in text, expected
        assert_no_ids(text)

        receipt = await b.stub.RenderPaymentReceipt(
            billing_pb2.RenderPaymentReceiptRequest(payment=payment.name), metadata=md()
        )
        text = pdf_text(receipt.content)
        for expected in (
            "Payment Receipt",
            "USD 100.00",
            "Check",
            "Ada Lovelace",
            "S-000042",
            "Downtown Studio",
            "Session-Fee-Deluxe",
            "USD 290.63",
        ):
            assert expected in text, expected
        assert_no_ids(text)
