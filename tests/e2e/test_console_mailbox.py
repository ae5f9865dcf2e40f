"""Issue 18's must-show, in a real browser (Debian chromium through Playwright): a customer
books on the booking page, and the front desk opens the console's Mailbox and sees the
confirmation email: the right session, its local time, the manage link and booking.ics.

The stack runs in this process as `make run` wires it: clients, scheduling and billing behind
the gateway with the demo data, notifications sending to a real SMTP sink, the sink's JSON
listing, and the console pointed at it. Screenshots at 1280x800 and 1024x768 go to
test-artifacts/console/<size>/mailbox-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import grpc
import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from shutterbook_console import main as console_main
from shutterbook_console.demo import seed_demo_staff
from shutterbook_devstack.mail_sink import MailboxHttp, MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_kit.demo import DEMO_COMPANY_ID, DEMO_STAFF_PASSWORD
from tests.booking_page_browser import book_as_customer, en_us_clock
from tests.console_support import console
from tests.notifications_support import notifications_service
from tests.stack_support import booking_stack

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "console"
SIZES = [(1280, 800), (1024, 768)]
DESK = "frontdesk@example.com"
CUSTOMER_ZONE = "America/Chicago"  # neither demo location's zone: the email must use the location's
TYPE = "Mini Session"


@pytest.fixture
def mailbox_http(smtp_sink: MailSink) -> Iterator[MailboxHttp]:
    listing = MailboxHttp(smtp_sink.folder, port=0)
    listing.start()
    yield listing
    listing.stop()


async def _shot(page: Page, size: tuple[int, int], name: str) -> None:
    folder = ARTIFACTS / f"{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def test_a_booking_shows_its_confirmation_in_the_console_mailbox(
    browser: Browser,
    sqlite_databases: DatabaseFactory,
    nats_server: EmbeddedNats,
    smtp_sink: MailSink,
    mailbox_http: MailboxHttp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    console_db = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
    monkeypatch.setenv("SHUTTERBOOK_CONSOLE_DATABASE_URL", console_db)  # where the demo seeding puts staff
    async with (
        booking_stack(sqlite_databases, nats_server.url, demo=True) as stack,
        notifications_service(
            sqlite_databases,
            nats_server.url,
            smtp_sink,
            stack.services.scheduling_port,
            billing_port=stack.billing.port,  # the confirmation prints what the session owes
        ),
    ):
        scheduling = f"127.0.0.1:{stack.services.scheduling_port}"
        async with grpc.aio.insecure_channel(scheduling) as channel:
            assert await seed_demo_staff(channel, DEMO_COMPANY_ID, console_db) == 4

        href = await book_as_customer(
            browser, stack.base_url, type_name=TYPE, email="grace@example.com", zone=CUSTOMER_ZONE
        )
        parts = urlsplit(href)
        booking_id = parts.path.rsplit("/", 1)[-1]
        token = parse_qs(parts.fragment)["token"][0]
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:
            reply = await http.get(
                f"/v1/bookings/{booking_id}", headers=stack.headers(DEMO_COMPANY_ID, **{"X-Booking-Token": token})
            )
            assert reply.status_code == 200, reply.text
            booking = reply.json()
        local_start = en_us_clock(booking["start_time"], booking["time_zone"])
        assert local_start != en_us_clock(booking["start_time"], CUSTOMER_ZONE)  # the zones tell apart

        async def confirmation_sent() -> bool:
            return any(m.to == "grace@example.com" for m in smtp_sink.messages())

        # the notifications consumer may first wait (retrying with backoff) until the new client
        # reaches it; on a loaded machine that takes longer than the default 20 s
        await eventually(confirmation_sent, timeout=90, what="the confirmation email in the sink")

        async with console(console_db, scheduling=scheduling, dev_mailbox_url=f"{mailbox_http.url}/messages") as c:
            for size in SIZES:
                context = await browser.new_context(
                    base_url=c.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
                )
                context.set_default_timeout(20_000)
                page = await context.new_page()
                await page.goto("/mailbox")  # staff only: to the login page first
                await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
                await page.get_by_label("Email", exact=True).fill(DESK)
                await page.get_by_label("Password", exact=True).fill(DEMO_STAFF_PASSWORD)
                await page.get_by_role("button", name="Log in").click()
                await expect(page.get_by_role("heading", name="Welcome, Priya")).to_be_visible()

                kept_before = len(smtp_sink.messages())
                await page.get_by_role("link", name="Mailbox").click()
                await expect(page.get_by_role("heading", name="Mailbox")).to_be_visible()
                rows = page.locator("table.mail-list tbody tr")
                row = rows.filter(has_text="grace@example.com")
                await expect(row).to_have_count(1)
                # every message the sink kept is listed; the stack may keep sending (reminders,
                # other triggers) while the page loads, so the count lies between the two reads
                assert kept_before <= await rows.count() <= len(smtp_sink.messages())
                await _shot(page, size, "mailbox-01-list")

                await row.get_by_role("link").click()
                await expect(page.locator(".mail-to")).to_have_text(re.compile("grace@example.com"))
                await expect(page.locator("ul.attachments")).to_contain_text("booking.ics")
                text = page.locator("pre.mail-text")
                await expect(text).to_contain_text(TYPE)
                await expect(text).to_contain_text(local_start)
                await expect(text).to_contain_text(booking["location"]["address_text"])
                await expect(text).to_contain_text(href if href.startswith("http") else booking_id)
                frame = page.frame_locator("iframe.mail-html")
                await expect(frame.locator("body")).to_contain_text(local_start)
                assert await page.locator("iframe.mail-html").get_attribute("sandbox") == ""
                await _shot(page, size, "mailbox-02-confirmation")
                await context.close()
