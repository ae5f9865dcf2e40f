"""The front desk's work on the invoice record and the client record, over HTTP through the
console in front of the real clients, scheduling and billing services (sandbox card provider),
seeded with the demo studio. One stack for the module's one walk:

- lines added (free-form and from the price list) and removed while the invoice is open; a bad
  price is refused beside its field;
- payments taken: a declined card is an error beside the card and nothing is paid, an amount
  above the balance an error beside the amount; cash and card taken, each with a printable
  receipt (a PDF naming the client and the invoice number, no internal ids);
- refunds within the front desk's cumulative limit, and one above it refused beside its amount
  (billing's limit), the refund receipt;
- a customer deposit taken on the client record (a bad amount refused beside it), its receipt,
  and the deposit applied to the invoice as a payment;
- a photographer gets neither the record nor a receipt, and may not post a payment."""

from __future__ import annotations

import io
import re

import httpx
from pypdf import PdfReader

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.demo import DEMO_STAFF_PASSWORD
from tests.console_stack_support import DEMO_META, ConsoleStack, console_stack
from tests.console_support import csrf, log_in

DESK = "frontdesk@example.com"


def _usd(minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code="USD", amount_minor=minor)


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def _invoice(stack: ConsoleStack) -> billing_pb2.Invoice:
    sessions = await stack.services.scheduling.ListSessions(pb.ListSessionsRequest(page_size=1000), metadata=DEMO_META)
    session = next(s for s in sessions.sessions if not s.cancelled)
    lines = [billing_pb2.InvoiceLine(description="Album prints", quantity=2, unit_price=_usd(4000), tax_rate_bps=800)]
    return await stack.billing.stub.CreateInvoice(
        billing_pb2.CreateInvoiceRequest(
            invoice=billing_pb2.Invoice(client=session.client, session=session.name, currency_code="USD", lines=lines)
        ),
        metadata=DEMO_META,
    )


async def _get(stack: ConsoleStack, name: str) -> billing_pb2.Invoice:
    return await stack.billing.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=name), metadata=DEMO_META)


async def _post(http: httpx.AsyncClient, path: str, form: dict[str, str]) -> httpx.Response:
    token = next(iter((await csrf(http)).values()))  # the form's hidden field holds the cookie's value
    return await http.post(path, data={**form, "_csrf_token": token})


def _field_error(page: str, field: str) -> str:
    """The error shown beside `field` (empty when none)."""
    found = re.search(rf'id="{re.escape(field)}[^"]*-error">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>|⚠", "", found.group(1)).strip() if found else ""


async def test_the_front_desk_takes_lines_payments_refunds_and_deposits(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with console_stack(sqlite_databases, nats_server.url) as stack, stack.console.client(timeout=60) as http:
        invoice = await _invoice(stack)  # 2 x 40.00 at 8 %: 86.40
        assert (await log_in(http, DESK, DEMO_STAFF_PASSWORD)).status_code == 200
        page = await http.get(f"/{invoice.name}")
        assert page.status_code == 200
        assert "Add a line" in page.text
        assert "Take a payment" in page.text

        # lines: a price that is no price is refused beside it; a free-form line and an item added
        bad = await _post(http, f"/{invoice.name}/lines", {"description": "Frame", "unit_price": "abc"})
        assert bad.status_code == 422
        assert "25.00" in _field_error(bad.text, "unit_price")
        assert len((await _get(stack, invoice.name)).lines) == 1
        added = await _post(
            http, f"/{invoice.name}/lines", {"description": "Frame", "unit_price": "30", "quantity": "1"}
        )
        assert added.status_code in (302, 303)
        listed = await stack.billing.stub.ListPriceListItems(
            billing_pb2.ListPriceListItemsRequest(), metadata=DEMO_META
        )
        item = listed.price_list_items[0]
        await _post(http, f"/{invoice.name}/lines", {"item": item.name, "quantity": "2"})
        stored = await _get(stack, invoice.name)
        assert [line.description for line in stored.lines][:2] == ["Album prints", "Frame"]
        assert len(stored.lines) == 3
        assert stored.lines[2].price_list_item == item.name
        # the Frame line removed: repriced without it
        frame = stored.lines[1]
        removed = await _post(http, f"/{frame.name}/remove", {})
        assert removed.status_code in (302, 303)
        stored = await _get(stack, invoice.name)
        assert [line.name for line in stored.lines] == [stored.lines[0].name, stored.lines[1].name]
        assert frame.name not in {line.name for line in stored.lines}
        total = stored.total.amount_minor
        assert total == 8640 + 2 * item.unit_price.amount_minor + stored.lines[1].tax.amount_minor

        # payments: a declined card, and too much, are refused beside their fields; nothing paid
        declined = await _post(
            http,
            f"/{invoice.name}/payments",
            {"method": "card", "amount": "30.00", "card_token": "tok_sandbox_declined"},
        )
        assert declined.status_code == 409
        assert "declined" in _field_error(declined.text, "card_token")
        above = await _post(http, f"/{invoice.name}/payments", {"method": "cash", "amount": f"{total + 100}"})
        assert "Above the balance due" in _field_error(above.text, "amount")
        assert (await _get(stack, invoice.name)).amount_paid.amount_minor == 0
        cash = await _post(http, f"/{invoice.name}/payments", {"method": "cash", "amount": "80.00", "note": "desk"})
        assert cash.status_code in (302, 303)
        card = await _post(
            http, f"/{invoice.name}/payments", {"method": "card", "amount": "30.00", "card_token": "tok_sandbox_ok"}
        )
        receipt_of = re.search(r"receipt=(payments/[0-9a-f-]+)", card.headers["location"])
        assert receipt_of is not None
        card_payment = receipt_of.group(1)
        page = await http.get(card.headers["location"])
        assert "Payment taken." in page.text
        assert f"/{card_payment}/receipt.pdf" in page.text
        stored = await _get(stack, invoice.name)
        assert stored.amount_paid.amount_minor == 11000
        receipt = await http.get(f"/{card_payment}/receipt.pdf")
        assert receipt.headers["content-type"] == "application/pdf"
        text = _pdf_text(receipt.content)
        assert "Payment receipt" in text
        assert stored.invoice_number in text
        assert stored.client_display_name
        assert stored.client_display_name in text
        assert "30.00 USD" in text
        assert "Card" in text
        assert not re.search(r"(invoices|clients|payments)/", text)

        # refunds: the card's 30.00 within the limit (100.00 for the front desk); then 80.00 more
        # would take the invoice's refunds to 110.00: refused beside the amount, nothing refunded
        refund = await _post(
            http,
            f"/{invoice.name}/{card_payment}/refund",
            {"refund_amount": "30.00", "reason": "changed their mind"},
        )
        assert refund.status_code in (302, 303)
        assert "done=refunded" in refund.headers["location"]
        payments = await stack.billing.stub.ListPayments(
            billing_pb2.ListPaymentsRequest(invoice=invoice.name), metadata=DEMO_META
        )
        cash_payment = next(p.name for p in payments.payments if p.method == billing_pb2.PAYMENT_METHOD_CASH)
        over = await _post(
            http, f"/{invoice.name}/{cash_payment}/refund", {"refund_amount": "80.00", "reason": "all of it"}
        )
        assert over.status_code == 403
        assert "refund limit" in _field_error(over.text, "refund_amount")
        assert (await _get(stack, invoice.name)).amount_paid.amount_minor == 8000
        no_reason = await _post(http, f"/{invoice.name}/{cash_payment}/refund", {"refund_amount": "5"})
        assert no_reason.status_code == 422
        assert _field_error(no_reason.text, "reason")
        refund_text = _pdf_text((await http.get(f"/{card_payment}/receipt.pdf")).content)
        assert "Refund receipt" in refund_text
        assert "changed their mind" in refund_text

        # a customer deposit on the client record, its receipt, then applied to the invoice
        client = stored.client
        bad_deposit = await _post(http, f"/{client}/deposits", {"method": "cash", "amount": "-5"})
        assert bad_deposit.status_code == 422
        assert _field_error(bad_deposit.text, "amount")
        took = await _post(http, f"/{client}/deposits", {"method": "cash", "amount": "50.00", "note": "for prints"})
        assert took.status_code in (302, 303)
        deposit = re.search(r"receipt=(deposits/[0-9a-f-]+)", took.headers["location"])
        assert deposit is not None
        record = await http.get(took.headers["location"])
        assert "Deposit taken." in record.text
        assert f"/{deposit.group(1)}/receipt.pdf" in record.text
        assert "data-deposits" in record.text
        deposit_text = _pdf_text((await http.get(f"/{deposit.group(1)}/receipt.pdf")).content)
        assert "Customer deposit receipt" in deposit_text
        assert "50.00 USD" in deposit_text
        assert "clients/" not in deposit_text
        balance = (await _get(stack, invoice.name)).balance.amount_minor
        applied = await _post(
            http,
            f"/{invoice.name}/payments",
            {"method": "deposit", "deposit": deposit.group(1), "amount": f"{min(balance, 5000) / 100:.2f}"},
        )
        assert applied.status_code in (302, 303)
        after = await _get(stack, invoice.name)
        assert after.amount_paid.amount_minor == 8000 + min(balance, 5000)

        # the photographer (no billing.read) is refused the record, the receipt and the desk's forms
        async with stack.console.client(timeout=60) as photographer:
            assert (await log_in(photographer, "john@example.com", DEMO_STAFF_PASSWORD)).status_code == 200
            assert (await photographer.get(f"/{invoice.name}")).status_code == 403
            assert (await photographer.get(f"/{card_payment}/receipt.pdf")).status_code == 403
            refused = await _post(photographer, f"/{invoice.name}/payments", {"method": "cash", "amount": "1.00"})
            assert refused.status_code == 403
            assert (await photographer.get(f"/{client}")).status_code == 200
            assert "Take a deposit" not in (await photographer.get(f"/{client}")).text
        assert (await _get(stack, invoice.name)).amount_paid.amount_minor == after.amount_paid.amount_minor
