"""The invoice record in a real browser (Debian chromium) over the real clients, scheduling and
billing services with the demo studio: a front desk opens an invoice with two lines and a cash
payment from the session's invoices tab, sees its lines, total, paid and balance, the payment,
and the History (created, paid: the invoice's and the payment's audit entries), and an invoice
reduced to a cancellation fee with its credit; a photographer
(no billing.read) gets a 403 page, and an invoice id billing does not know a 404 page. A manager
voids an unpaid invoice and is told why a paid one is not voided; a front desk has no Void
button and billing refuses a void posted anyway. At the desk, a front desk adds a line (a bad
price refused beside its field), removes it, is told beside the card that it was declined, takes
the card, prints its receipt (a PDF), refunds part of it, and takes a customer deposit on the
client record. Screenshots at 1280x800 and 1024x768."""

from __future__ import annotations

import io
import uuid

import pytest
from playwright.async_api import Browser, Page, expect
from pypdf import PdfReader

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from tests.console_stack_support import DEMO_META, ConsoleStack, module_console_stack  # noqa: F401 (`stack`)
from tests.e2e.test_console_calendar import SIZES, _log_in, _shot

# the tests share one demo stack (module_console_stack): one worker runs them all
pytestmark = pytest.mark.xdist_group("console_invoice_record")

DESK = "frontdesk@example.com"
PHOTOGRAPHER = "john@example.com"


def _usd(minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code="USD", amount_minor=minor)


async def _paid_invoice(stack: ConsoleStack, paid: bool = True) -> billing_pb2.Invoice:
    """A session's invoice: 2 x 40.00 at 8 % tax and 25.00 untaxed (111.40), 50.00 paid in cash."""
    sessions = await stack.services.scheduling.ListSessions(pb.ListSessionsRequest(page_size=1000), metadata=DEMO_META)
    session = next(s for s in sessions.sessions if not s.cancelled)
    lines = [
        billing_pb2.InvoiceLine(description="Album prints", quantity=2, unit_price=_usd(4000), tax_rate_bps=800),
        billing_pb2.InvoiceLine(description="Retouching", quantity=1, unit_price=_usd(2500)),
    ]
    invoice = await stack.billing.stub.CreateInvoice(
        billing_pb2.CreateInvoiceRequest(
            invoice=billing_pb2.Invoice(client=session.client, session=session.name, currency_code="USD", lines=lines)
        ),
        metadata=DEMO_META,
    )
    payment = billing_pb2.Payment(
        invoice=invoice.name, amount=_usd(5000), method=billing_pb2.PAYMENT_METHOD_CASH, note="desk"
    )
    if paid:
        await stack.billing.stub.CreatePayment(billing_pb2.CreatePaymentRequest(payment=payment), metadata=DEMO_META)
    return await stack.billing.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=DEMO_META)


async def test_front_desk_reads_an_invoice_and_a_photographer_may_not(browser: Browser, stack: ConsoleStack) -> None:
    invoice = await _paid_invoice(stack)
    assert invoice.total.amount_minor == 11140  # what the page must show
    session = await stack.services.scheduling.GetSession(pb.GetSessionRequest(name=invoice.session), metadata=DEMO_META)
    where = pb.GetLocationRequest(name=session.location)
    zone = (await stack.services.scheduling.GetLocation(where, metadata=DEMO_META)).time_zone
    assert zone not in ("", "UTC")  # times shown in the location's zone, labelled
    for size in SIZES:
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        page = await context.new_page()
        await _log_in(page, DESK)
        await page.goto(f"/{invoice.session}")
        await page.get_by_role("tab", name="Invoices and payments").click()
        await page.locator("#invoices").get_by_role("link", name=invoice.invoice_number).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice.invoice_number}")
        rows = page.locator("[data-lines] tbody tr")
        await expect(rows).to_have_count(2)
        await expect(rows.first).to_contain_text("Album prints")
        await expect(rows.first).to_contain_text("USD 80.00")
        await expect(rows.first).to_contain_text("USD 6.40")
        await expect(page.locator("[data-total]")).to_have_text("USD 111.40")
        await expect(page.locator("[data-paid]")).to_have_text("USD 50.00")
        await expect(page.locator("[data-balance]")).to_have_text("USD 61.40")
        await expect(page.locator("[data-state]")).to_have_text("Open")
        payments = page.locator("[data-payments] tbody tr[data-payment]")
        await expect(payments).to_have_count(1)
        await expect(payments.first).to_contain_text("Cash")
        await expect(payments.first).to_contain_text("Taken")
        await expect(page.locator("[data-payments] thead")).to_contain_text(f"When ({zone})")
        history = page.locator("#history li")
        assert await history.count() >= 2  # the invoice created and the payment taken
        await expect(page.locator("#history")).to_contain_text("Created")
        await expect(page.locator("#history")).to_contain_text("amount")
        await _shot(page, size, "invoice-record")
        await page.locator("#history").scroll_into_view_if_needed()
        await _shot(page, size, "invoice-history")
        await page.get_by_role("link", name=invoice.client_display_name or "View client").first.click()
        await expect(page.get_by_role("heading", level=1)).not_to_contain_text("Invoice")
        await context.close()

    # a cancelled booking's invoice reduced to its fee shows the credit, the new total and why
    reduced = await _paid_invoice(stack, paid=False)
    await stack.billing.stub.ReduceInvoiceToFee(
        billing_pb2.ReduceInvoiceToFeeRequest(name=reduced.name, fee=_usd(2500), reason="Booking cancelled online"),
        metadata=DEMO_META,
    )
    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    await _log_in(page, DESK)
    await page.goto(f"/{reduced.name}")
    await expect(page.locator("[data-credit]")).to_contain_text("USD 86.40")
    await expect(page.locator("[data-credit]")).to_contain_text("Booking cancelled online")
    await expect(page.locator("[data-total]")).to_have_text("USD 25.00")
    await expect(page.locator("[data-balance]")).to_have_text("USD 25.00")
    await expect(page.locator("#history")).to_contain_text("Reduced to fee")
    await _shot(page, (1024, 768), "invoice-reduced-to-fee")
    await context.close()

    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    await _log_in(page, PHOTOGRAPHER)
    refused = await page.goto(f"/{invoice.name}")
    assert refused is not None
    assert refused.status == 403
    await expect(page.get_by_text("Your role does not show invoices and payments")).to_be_visible()
    await expect(page.get_by_text("USD 111.40")).to_have_count(0)
    await _shot(page, (1024, 768), "invoice-photographer")
    await context.close()

    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await _log_in(page, DESK)
    unknown = await page.goto(f"/invoices/{uuid.uuid4()}")
    assert unknown is not None
    assert unknown.status == 404
    await context.close()
    await _desk_walk(browser, stack)


async def test_a_manager_voids_an_unpaid_invoice_and_a_front_desk_may_not(
    browser: Browser, stack: ConsoleStack
) -> None:
    paid, unpaid = await _paid_invoice(stack), await _paid_invoice(stack, paid=False)
    desk = await browser.new_context(base_url=stack.console.url, viewport={"width": 1280, "height": 800})
    page = await desk.new_page()
    await _log_in(page, DESK)
    await page.goto(f"/{unpaid.name}")
    await expect(page.get_by_role("button", name="Void invoice")).to_have_count(0)
    cookies = await desk.cookies()
    csrf = next(c["value"] for c in cookies if c["name"] == "sb_console_csrf")
    refused = await page.request.post(f"/{unpaid.name}/void", form={"_csrf_token": csrf})
    assert refused.status == 403
    assert "Not voided" in await refused.text()
    await desk.close()

    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    await _log_in(page, "manager@example.com")
    await page.goto(f"/{paid.name}")
    await page.get_by_role("button", name="Void invoice").click()
    await expect(page.get_by_role("alert")).to_contain_text("Not voided")
    await expect(page.locator("[data-state]")).to_have_text("Open")
    await _shot(page, (1024, 768), "invoice-void-refused")
    await page.goto(f"/{unpaid.name}")
    await page.get_by_role("button", name="Void invoice").click()
    await expect(page.get_by_role("status")).to_have_text("Voided.")
    await expect(page.locator("[data-state]")).to_have_text("Void")
    await expect(page.locator("#history li").first).to_contain_text("by Marcus Manning")
    await _shot(page, (1024, 768), "invoice-voided")
    await context.close()
    for invoice, status in ((paid, billing_pb2.INVOICE_STATUS_OPEN), (unpaid, billing_pb2.INVOICE_STATUS_VOID)):
        ask = billing_pb2.GetInvoiceRequest(name=invoice.name)
        stored = await stack.billing.stub.GetInvoice(ask, metadata=DEMO_META)
        assert stored.status == status


async def _desk_walk(browser: Browser, stack: ConsoleStack) -> None:
    """The desk's walk (on the stack of the test that reads an invoice: one stack for both)."""
    invoice = await _paid_invoice(stack, paid=False)  # 111.40 due
    for size in SIZES:
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        context.set_default_timeout(30_000)
        page = await context.new_page()
        await _log_in(page, DESK)
        await page.goto(f"/{invoice.name}")
        lines = page.locator("[data-lines] tbody tr")
        count = await lines.count()

        # a line: a price that is no price is refused beside it, then added, then removed
        await page.get_by_text("Add a line").click()
        form = page.locator("[data-add-line]")
        await form.get_by_label("Description").fill(f"Frame {size[0]}")
        await form.get_by_label("Unit price").fill("twelve")
        await form.get_by_role("button", name="Add line").click()
        await expect(page.locator("#unit_price-error")).to_contain_text("Enter an amount")
        await expect(page.locator("#unit_price")).to_have_attribute("aria-invalid", "true")
        await _shot(page, size, "invoice-desk-line-error")
        await page.locator("#unit_price").fill("12.50")
        await page.locator("[data-add-line]").get_by_role("button", name="Add line").click()
        await expect(page.get_by_role("status")).to_have_text("Line added.")
        await expect(lines).to_have_count(count + 1)
        await page.get_by_role("button", name=f"Remove Frame {size[0]}").click()
        await expect(page.get_by_role("status")).to_have_text("Line removed.")
        await expect(lines).to_have_count(count)

        # a declined card: said beside the card, nothing paid; then a good card, with its receipt
        pay = page.locator("[data-take-payment]")
        await pay.get_by_role("radio", name="Card").check()
        await pay.get_by_label("Amount").fill("40.00")
        await page.locator("#card_token").fill("tok_sandbox_declined")
        await pay.get_by_role("button", name="Take payment").click()
        await expect(page.locator("#card_token-error")).to_contain_text("declined")
        await page.locator("#card_token").scroll_into_view_if_needed()
        await _shot(page, size, "invoice-desk-card-declined")
        await page.locator("#card_token").fill("tok_sandbox_ok")
        await page.locator("[data-take-payment]").get_by_role("button", name="Take payment").click()
        await expect(page.get_by_role("status")).to_contain_text("Payment taken.")
        href = await page.locator("[data-receipt]").get_attribute("href")
        assert href
        pdf = await page.request.get(href)
        assert pdf.headers["content-type"] == "application/pdf"
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(await pdf.body())).pages)
        assert "Payment receipt" in text
        assert invoice.invoice_number in text
        assert "40.00 USD" in text
        await _shot(page, size, "invoice-desk-paid")

        # a part refunded (within the front desk's limit), shown on the payment
        row = page.locator("[data-payments] tbody tr[data-payment]").last
        await page.get_by_text("Refund this payment").last.click()
        refund = page.locator("[data-refund]").last
        await refund.get_by_label("Amount to refund").fill("15.00")
        await refund.get_by_label("Reason").fill("one print damaged")
        await _shot(page, size, "invoice-desk-refund")
        await refund.get_by_role("button", name="Refund").click()
        await expect(page.get_by_role("status")).to_contain_text("Refund made.")
        await expect(row).to_contain_text("Partly refunded")

        # a customer deposit on the client record, with its receipt
        await page.goto(f"/{invoice.client}#invoices")
        await page.get_by_text("Take a deposit").click()
        deposit = page.locator("[data-take-deposit]")
        await deposit.get_by_label("Amount").fill("25.00")
        await deposit.get_by_role("button", name="Take deposit").click()
        await expect(page.get_by_role("status")).to_contain_text("Deposit taken.")
        await page.get_by_role("tab", name="Invoices and payments").click()
        await expect(page.locator("[data-deposits]")).to_contain_text("USD 25.00")
        await _shot(page, size, "client-deposit")
        await context.close()
    stored = await stack.billing.stub.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=DEMO_META)
    assert stored.amount_paid.amount_minor == 2 * (4000 - 1500)
    assert len(stored.lines) == len(invoice.lines)


async def _pdf_text(page: Page, href: str) -> str:
    pdf = await page.request.get(href)
    assert pdf.headers["content-type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(await pdf.body())).pages)


async def test_the_desk_applies_and_refunds_a_deposit_on_the_client_record(
    browser: Browser, stack: ConsoleStack
) -> None:
    """A front desk applies part of a customer deposit to the client's open invoice and refunds
    part of the rest, each with its receipt; a bad amount and a refund above the front desk's
    limit are refused beside their fields, and nothing moves."""
    b = stack.billing.stub
    for size in SIZES:
        invoice = await _paid_invoice(stack, paid=False)  # 111.40 due
        sessions = await stack.services.scheduling.ListSessions(
            pb.ListSessionsRequest(client=invoice.client, page_size=1000), metadata=DEMO_META
        )
        zones = {s.time_zone for s in sessions.sessions}
        assert zones
        assert "UTC" not in zones
        deposit = await b.CreateDeposit(
            billing_pb2.CreateDepositRequest(
                deposit=billing_pb2.Deposit(
                    client=invoice.client, amount=_usd(15000), method=billing_pb2.PAYMENT_METHOD_CASH
                )
            ),
            metadata=DEMO_META,
        )
        uid = deposit.name.removeprefix("deposits/")
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        context.set_default_timeout(30_000)
        page = await context.new_page()
        await _log_in(page, DESK)
        await page.goto(f"/{invoice.client}#invoices")
        await page.get_by_role("tab", name="Invoices and payments").click()
        held = page.locator(f'[data-deposit="{deposit.name}"]')

        # applied: an amount that is no amount is refused beside it; then 30.00 to the invoice
        await held.get_by_text("Apply to an invoice").click()
        await held.get_by_label("Invoice").select_option(invoice.name)
        await held.get_by_label("Amount to apply").fill("thirty")
        await held.get_by_role("button", name="Apply deposit").click()
        await page.get_by_role("tab", name="Invoices and payments").click()
        await expect(page.locator(f"#amount-{uid}-error")).to_contain_text("Enter an amount")
        await expect(page.locator(f"#amount-{uid}")).to_have_attribute("aria-invalid", "true")
        await page.locator(f"#amount-{uid}").scroll_into_view_if_needed()
        await _shot(page, size, "client-deposit-apply-error")
        await page.locator(f"#amount-{uid}").fill("30.00")
        await held.get_by_role("button", name="Apply deposit").click()
        await expect(page.get_by_role("status")).to_contain_text("Deposit applied to the invoice.")
        href = await page.locator("[data-receipt]").get_attribute("href")
        assert href
        assert href.startswith("/payments/")
        text = await _pdf_text(page, href)
        assert "Payment receipt" in text
        assert "Customer deposit applied" in text
        assert invoice.invoice_number in text
        assert "30.00 USD" in text

        # refunded: above the front desk's limit (100.00) is refused beside the amount; 20.00 is not
        await page.get_by_role("tab", name="Invoices and payments").click()
        await held.get_by_text("Refund what it holds").click()
        await held.get_by_label("Amount to refund").fill("110.00")
        await held.get_by_label("Reason").fill("session cancelled")
        await held.get_by_role("button", name="Refund deposit").click()
        await page.get_by_role("tab", name="Invoices and payments").click()
        await expect(page.locator(f"#refund_amount-{uid}-error")).to_contain_text("refund limit")
        await expect(page.locator(f"#reason-{uid}")).to_have_value("session cancelled")  # kept as typed
        await page.locator(f"#refund_amount-{uid}").scroll_into_view_if_needed()
        await _shot(page, size, "client-deposit-refund-limit")
        await page.locator(f"#refund_amount-{uid}").fill("20.00")
        await held.get_by_role("button", name="Refund deposit").click()
        await expect(page.get_by_role("status")).to_contain_text("Deposit refunded.")
        href = await page.locator("[data-receipt]").get_attribute("href")
        assert href == f"/{deposit.name}/receipt.pdf"
        text = await _pdf_text(page, href)
        assert "Customer deposit receipt" in text
        assert "20.00 USD" in text  # refunded
        assert "100.00 USD" in text  # held: 150.00 - 30.00 applied - 20.00 refunded
        assert any(f"({zone})" in text for zone in zones)  # the client's session's zone, named
        assert "(UTC)" not in text
        await page.get_by_role("tab", name="Invoices and payments").click()
        await expect(page.locator("[data-deposits]")).to_contain_text("USD 100.00")
        await _shot(page, size, "client-deposit-refunded")
        await context.close()
        stored = await b.GetDeposit(billing_pb2.GetDepositRequest(name=deposit.name), metadata=DEMO_META)
        assert (stored.amount_applied.amount_minor, stored.amount_refunded.amount_minor) == (3000, 2000)
        paid = await b.GetInvoice(billing_pb2.GetInvoiceRequest(name=invoice.name), metadata=DEMO_META)
        assert paid.amount_paid.amount_minor == 3000
