"""Issue 16's must-show, in a real browser (Debian chromium through Playwright) against the whole
stack in this process (clients, scheduling, billing with its sandbox payment provider, the demo
studio): the front desk opens the Scheduling Wizard with Alt+N and books a session for a new
client (the free-time helper picks the time, the type's price list item is on the invoice by
itself, one more item added, a card payment), prints the session and photographer confirmations (PDFs whose text
names the studio, the session number and the client, and no internal id), books a linked
appointment from the confirmation, then an unlinked staff meeting. A declined card keeps the
wizard on the payment screen with the error and leaves nothing booked (the client gone, the
time free again, nothing charged); Finish with a good card then books. A wizard abandoned on
its payment screen leaves nothing. A manager cancelling the paid session with "refund" gets the
payment refunded and the invoice voided in billing, so the client owes and holds nothing.

Screenshots at 1280x800 and 1024x768 go to test-artifacts/console/<size>/wizard-*.png."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import grpc
import pytest
from playwright.async_api import Browser, Page, expect
from pypdf import PdfReader

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.billing.v1 import billing_pb2_grpc
from shutterbook.clients.v1 import clients_pb2 as cpb
from shutterbook.clients.v1 import clients_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import scheduling_pb2_grpc
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_kit.demo import DEMO_COMPANY_ID, DEMO_STAFF_PASSWORD
from tests.browser_support import screenshot
from tests.stack_support import Stack
from tests.wizard_support import wizard_stack

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "console"
CHROMIUM = Path("/usr/bin/chromium")
SIZES = [(1280, 800), (1024, 768)]
DESK = "frontdesk@example.com"
STUDIO = "Shutterbook Demo Studio"
META = company_metadata(DEMO_COMPANY_ID)


async def _shot(page: Page, size: tuple[int, int], name: str) -> None:
    await screenshot(page, "console", size, f"wizard-{name}")


async def _log_in(page: Page, email: str = DESK) -> None:
    await page.goto("/login")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(DEMO_STAFF_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()


async def _next(page: Page, heading: str) -> None:
    await page.get_by_role("button", name="Next").click()
    await expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()


async def _new_client(page: Page, given: str, family: str) -> None:
    await page.get_by_role("button", name="New client").click()
    await page.get_by_label("First name").fill(given)
    await page.get_by_label("Last name").fill(family)
    await page.get_by_label("Email").fill(f"{given.lower()}.{family.lower()}@example.com")


async def _first_free_time(page: Page, type_name: str) -> str:
    await page.get_by_label("Type", exact=True).select_option(label=type_name)
    await page.get_by_role("button", name="Find free time").click()
    first = page.locator("[data-times] button").first
    await expect(first).to_be_visible()
    text = (await first.text_content()) or ""
    await first.click()
    return text


async def _session_count(stack: Stack) -> int:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.services.scheduling_port}") as channel:
        stub = scheduling_pb2_grpc.SchedulingServiceStub(channel)
        reply = await stub.ListSessions(pb.ListSessionsRequest(page_size=1000), metadata=META)
        return len([s for s in reply.sessions if not s.cancelled])


async def _clients_named(stack: Stack, text: str) -> list[Any]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.services.clients_port}") as channel:
        stub = clients_pb2_grpc.ClientsServiceStub(channel)
        reply = await stub.SearchClients(cpb.SearchClientsRequest(query=text), metadata=META)
        return list(reply.results)


async def _book_session_for_new_client(page: Page, size: tuple[int, int], family: str) -> dict[str, Any]:
    await page.goto("/calendar")
    await page.keyboard.press("Alt+n")  # the shortcut, from any page
    await expect(page.get_by_role("heading", level=1, name="Scheduling Wizard")).to_be_visible()
    await expect(page.get_by_text("Pictures are taken")).to_be_visible()  # the page's help on which to pick
    await _shot(page, size, "1-kind")
    await _next(page, "Client")
    await _new_client(page, "Ada", family)
    await page.get_by_label("Street address").fill("12 Harbor Road")
    await page.get_by_label("City").fill("San Diego")
    await page.get_by_label("Notes").fill("Prefers mornings")
    await page.get_by_role("button", name="Add family member").click()
    member = page.locator("[data-member]").last
    await member.get_by_label("First name").fill("Tom")
    await member.get_by_label("Relationship").select_option(label="Child")
    # a birth date in the future is refused on the screen; a past one is kept
    await member.get_by_label("Birth date").fill(f"{date.today().year + 1}-01-01")
    await page.get_by_role("button", name="Next").click()
    await expect(page.locator("[data-error]")).to_contain_text("not in the future")
    await expect(member.get_by_label("Birth date")).to_have_attribute("aria-invalid", "true")
    await _shot(page, size, "2-client-birth-date-error")
    await member.get_by_label("Birth date").fill("2019-05-04")
    await _shot(page, size, "2-client")
    await _next(page, "Session information")
    await _first_free_time(page, "Family Portrait")
    await _shot(page, size, "3-details")
    await _next(page, "Invoice")
    lines = page.locator("[data-lines] tr")
    await expect(lines).to_have_count(1)
    await expect(lines.first).to_contain_text("Family Session Fee (from the type)")
    await page.get_by_label("Add an item").select_option(label="8x10 Print")
    await expect(lines).to_have_count(2)
    await _shot(page, size, "4-invoice")
    await _next(page, "Payment")
    await page.get_by_role("radio", name="Card").check()
    await page.get_by_label("Card token").fill("tok_sandbox_ok")
    await _shot(page, size, "5-payment")
    async with page.expect_response("**/api/v1/wizard/bookings") as booked:
        await page.get_by_role("button", name="Finish").click()
    body: dict[str, Any] = await (await booked.value).json()
    await expect(page.get_by_role("heading", level=2, name=re.compile(r"^Session .+ booked$"))).to_be_visible()
    await expect(page.locator("[data-summary]")).to_contain_text("0.00 USD")  # paid in full
    await _shot(page, size, "6-done")
    # the invoice record, and the payment on it
    await expect(page.get_by_role("link", name="Open invoice")).to_have_attribute("href", f"/{body['invoice']}")
    payment = f"/{body['invoice']}#payments"
    await expect(page.get_by_role("link", name="Open payment")).to_have_attribute("href", payment)
    return body


async def test_the_wizard_books_a_session_a_linked_appointment_and_a_staff_meeting(
    browser: Browser,
    sqlite_databases: DatabaseFactory,
    nats_server: EmbeddedNats,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with wizard_stack(sqlite_databases, nats_server.url, monkeypatch, studio_name=STUDIO) as (stack, c):
        scheduling = f"127.0.0.1:{stack.services.scheduling_port}"
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{stack.billing.port}") as billing_channel,
            grpc.aio.insecure_channel(scheduling) as scheduling_channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{stack.services.clients_port}") as clients_channel,
        ):
            billing = billing_pb2_grpc.BillingServiceStub(billing_channel)
            sched = scheduling_pb2_grpc.SchedulingServiceStub(scheduling_channel)
            clients = clients_pb2_grpc.ClientsServiceStub(clients_channel)
            for size in SIZES:
                context = await browser.new_context(
                    base_url=c.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
                )
                context.set_default_timeout(30_000)
                page = await context.new_page()
                await _log_in(page)
                family = f"Lovelace{size[0]}"
                booked = await _book_session_for_new_client(page, size, family)

                stored_client = await clients.GetClient(cpb.GetClientRequest(name=booked["client"]), metadata=META)
                assert list(stored_client.postal_address.address_lines) == ["12 Harbor Road"]
                assert stored_client.notes == "Prefers mornings"
                assert [(m.given_name, m.relationship) for m in stored_client.family_members] == [
                    ("Tom", cpb.FAMILY_RELATIONSHIP_CHILD)
                ]
                born = stored_client.family_members[0].birth_date
                assert (born.year, born.month, born.day) == (2019, 5, 4)
                invoice = await billing.GetInvoice(bpb.GetInvoiceRequest(name=booked["invoice"]), metadata=META)
                skus = [line.description for line in invoice.lines]
                assert skus == ["Family Session Fee", "8x10 Print"]
                assert invoice.status == bpb.INVOICE_STATUS_PAID
                payment = await billing.GetPayment(bpb.GetPaymentRequest(name=booked["payment"]), metadata=META)
                assert payment.method == bpb.PAYMENT_METHOD_ONLINE
                assert payment.provider_charge_id

                # print the session confirmation: a PDF a customer can read
                href = await page.get_by_role("link", name="Print session confirmation").get_attribute("href")
                assert href
                pdf = await page.request.get(href)
                assert pdf.headers["content-type"] == "application/pdf"
                text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(await pdf.body())).pages)
                assert STUDIO in text
                assert booked["session_number"]
                assert booked["session_number"] in text
                assert f"Ada {family}" in text
                assert "Family Session Fee" in text
                assert "Balance due" in text
                assert "sessions/" not in text
                assert "clients/" not in text
                assert "locations/" not in text

                # the photographer confirmation: who, when, where, the crew; no money
                crew = await page.get_by_role("link", name="Print photographer confirmation").get_attribute("href")
                assert crew
                crew_pdf = await page.request.get(crew)
                crew_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(await crew_pdf.body())).pages)
                assert "Photographer confirmation" in crew_text
                assert booked["session_number"] in crew_text
                assert f"Ada {family}" in crew_text
                assert "USD" not in crew_text

                # a linked appointment from the confirmation: prefilled with the client and the session
                await page.get_by_role("link", name="Book additional linked appointment").click()
                await expect(page.get_by_role("radio", name=re.compile("^Appointment"))).to_be_checked()
                await _next(page, "Client")
                await expect(page.locator("[data-chosen]")).to_have_text(f"Client: Ada {family}")
                await _next(page, "Appointment information")
                await _first_free_time(page, "Consultation")
                await _next(page, "Invoice")
                await page.get_by_label("Later").check()
                async with page.expect_response("**/api/v1/wizard/bookings") as made:
                    await page.get_by_role("button", name="Finish").click()
                appointment = (await (await made.value).json())["appointment"]
                await expect(page.get_by_role("heading", level=2, name="Appointment booked")).to_be_visible()
                await _shot(page, size, "7-linked-done")
                linked = await sched.GetAppointment(pb.GetAppointmentRequest(name=appointment), metadata=META)
                assert linked.client == booked["client"]
                assert linked.session == booked["session"]

                # an unlinked staff meeting
                await page.goto("/wizard")
                await page.get_by_role("radio", name=re.compile("^Appointment")).check()
                await _next(page, "Client")
                await page.get_by_role("button", name="No client (unlinked appointment)").click()
                await _next(page, "Appointment information")
                await _first_free_time(page, "Staff Meeting")
                await _shot(page, size, "8-staff-meeting")
                async with page.expect_response("**/api/v1/wizard/bookings") as meeting:
                    await page.get_by_role("button", name="Finish").click()
                unlinked = (await (await meeting.value).json())["appointment"]
                await expect(page.get_by_role("heading", level=2, name="Appointment booked")).to_be_visible()
                made_meeting = await sched.GetAppointment(pb.GetAppointmentRequest(name=unlinked), metadata=META)
                assert made_meeting.client == ""
                assert not made_meeting.cancelled
                await context.close()


async def test_a_declined_card_or_an_abandoned_wizard_leaves_nothing_booked(
    browser: Browser,
    sqlite_databases: DatabaseFactory,
    nats_server: EmbeddedNats,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with wizard_stack(sqlite_databases, nats_server.url, monkeypatch, studio_name=STUDIO) as (stack, c):
        size = SIZES[1]
        context = await browser.new_context(
            base_url=c.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        context.set_default_timeout(30_000)
        page = await context.new_page()
        await _log_in(page)
        sessions_before = await _session_count(stack)

        # abandoned on the payment screen: nothing written
        await page.goto("/wizard")
        await _next(page, "Client")
        await _new_client(page, "Abby", "Abandoned")
        await _next(page, "Session information")
        await _first_free_time(page, "Family Portrait")
        await _next(page, "Invoice")
        await _next(page, "Payment")
        await page.goto("/calendar")
        assert await _clients_named(stack, "Abandoned") == []
        assert await _session_count(stack) == sessions_before

        # a declined card: the wizard stays on the payment screen with the error
        await page.goto("/wizard")
        await _next(page, "Client")
        await _new_client(page, "Declan", "Declined")
        await _next(page, "Session information")
        chosen = await _first_free_time(page, "Family Portrait")
        await _next(page, "Invoice")
        await _next(page, "Payment")
        await page.get_by_role("radio", name="Card").check()
        await page.get_by_label("Card token").fill("tok_sandbox_declined")
        await page.get_by_role("button", name="Finish").click()
        await expect(page.get_by_role("alert")).to_contain_text("declined")
        await expect(page.get_by_role("heading", level=2, name="Payment")).to_be_visible()
        await _shot(page, size, "9-declined")
        assert await _clients_named(stack, "Declined") == []  # the new client is gone again
        assert await _session_count(stack) == sessions_before  # the session was cancelled
        reply = await page.request.get(
            "/api/v1/wizard/free-times?"
            + f"location={await page.get_by_label('Location').input_value()}"
            + f"&type={await page.get_by_label('Type', exact=True).input_value()}"
        )
        first = (await reply.json())["times"][0]
        assert f"{first['start'][11:]}–{first['end'][11:]}" in chosen  # the time is free again

        # the same wizard, another card: booked
        await page.get_by_label("Card token").fill("tok_sandbox_ok")
        async with page.expect_response("**/api/v1/wizard/bookings") as finished:
            await page.get_by_role("button", name="Finish").click()
        booked: dict[str, Any] = await (await finished.value).json()
        await expect(page.get_by_role("heading", level=2, name=re.compile(r"^Session .+ booked$"))).to_be_visible()
        assert len(await _clients_named(stack, "Declined")) == 1
        assert await _session_count(stack) == sessions_before + 1
        await context.close()

        # a manager cancels the paid session and chooses "refund": billing shows the refund
        manager = await browser.new_context(
            base_url=c.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        manager.set_default_timeout(30_000)
        page = await manager.new_page()
        await _log_in(page, "manager@example.com")
        await page.goto(f"/{booked['session']}")
        await page.get_by_label("Cancelled").check()
        await page.get_by_label("Refund the payments and void the invoice").check()
        await page.get_by_role("button", name="Save").click()
        paid = booked["invoice_number"]
        await expect(page.locator(".notice")).to_have_text(
            re.compile(rf"^Cancelled\. Refunded [0-9.]+ USD\. Voided {paid}\.$")
        )
        await _shot(page, size, "10-cancelled-refunded")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.billing.port}") as channel:
            billing = billing_pb2_grpc.BillingServiceStub(channel)
            payment = await billing.GetPayment(bpb.GetPaymentRequest(name=booked["payment"]), metadata=META)
            assert payment.amount_refunded.amount_minor == payment.amount.amount_minor > 0
            invoices = await billing.ListInvoices(bpb.ListInvoicesRequest(client=booked["client"]), metadata=META)
            assert [i.status for i in invoices.invoices] == [bpb.INVOICE_STATUS_VOID]
            # the client's balance: nothing owed on live invoices, nothing held as paid
            assert sum(i.balance.amount_minor for i in invoices.invoices if i.status != bpb.INVOICE_STATUS_VOID) == 0
            assert sum(i.amount_paid.amount_minor for i in invoices.invoices) == 0
        await manager.close()
