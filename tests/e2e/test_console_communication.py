"""The session record's Communication tab in a real browser: after a real online booking (real
gateway, clients, scheduling, billing and notifications services, a real SMTP server), an owner
opens the booked session in the console and sees what was sent for it: when, channel, letter,
recipient, attachment, and that it was sent; for a client whose mail server refuses the address
(SMTP 550), that it bounced and the server's answer. Screenshots at 1280x800 and 1024x768 go to
test-artifacts/console/<size>/communication-*.png."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from shutterbook.notifications.v1 import notifications_pb2 as npb
from shutterbook_console import main as console_main
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from tests.console_browser import logged_in
from tests.console_support import console
from tests.e2e.test_console_mailbox import SIZES
from tests.helpers import COMPANY_A
from tests.notifications_support import notifications_service
from tests.stack_support import booking_body, booking_stack, offer_online


async def test_the_session_record_shows_what_was_sent_for_the_session(
    browser: Browser, sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        notifications_service(
            sqlite_databases,
            nats_server.url,
            smtp_sink,
            stack.services.scheduling_port,
            billing_port=stack.billing.port,
        ) as n,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as gateway,
    ):
        offer = await offer_online(stack, time_zone="America/Chicago")

        async def book(slot: int, email: str, state: npb.DeliveryState.ValueType) -> str:
            """Books the slot for a client with this email; the session, once its messages are in `state`."""
            created = await gateway.post(
                "/v1/bookings", json=booking_body(offer.slot_id(slot), email=email), headers=stack.headers()
            )
            assert created.status_code == 201, created.text
            booked = f"sessions/{created.json()['id']}"

            async def reached() -> bool:
                found = await n.messages(COMPANY_A, session=booked)
                return bool(found) and all(m.state == state for m in found)

            await eventually(reached, what=f"the confirmation {npb.DeliveryState.Name(state)}")
            return booked

        session = await book(0, "ada@example.com", npb.DELIVERY_STATE_SENT)
        smtp_sink.refusals["gone@example.com"] = "550 5.1.1 <gone@example.com>: no such mailbox"
        refused = await book(1, "gone@example.com", npb.DELIVERY_STATE_BOUNCED)
        console_db = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
        async with console(
            console_db,
            scheduling=f"127.0.0.1:{stack.services.scheduling_port}",
            clients=f"127.0.0.1:{stack.services.clients_port}",
            billing=f"127.0.0.1:{stack.billing.port}",
            notifications_addr=f"127.0.0.1:{n.port}",
        ) as c:
            await c.staff("owner@example.com", ["owner"], company=COMPANY_A, name="Olivia Owens")
            for size in SIZES:
                async with logged_in(browser, c.url, size, "owner@example.com") as (page, folder):
                    await page.goto(f"/{session}")
                    tab = page.get_by_role("region", name="Communication")
                    await expect(tab).to_be_visible()
                    row = tab.locator("tbody tr")
                    await expect(row).to_have_count(1)
                    await expect(row).to_contain_text("Online booking confirmation")
                    await expect(row).to_contain_text("Email")
                    await expect(row).to_contain_text("ada@example.com")
                    await expect(row).to_contain_text("booking.ics")
                    await expect(row).to_contain_text("Sent")
                    await tab.scroll_into_view_if_needed()
                    await page.screenshot(path=str(folder / "communication-01-session.png"), full_page=False)

                    await page.goto(f"/{refused}")
                    row = page.get_by_role("region", name="Communication").locator("tbody tr")
                    await expect(row).to_have_count(1)
                    await expect(row).to_contain_text("gone@example.com")
                    await expect(row).to_contain_text("Bounced")
                    await expect(row).to_contain_text("SMTP 550 5.1.1 <gone@example.com>: no such mailbox")
                    await row.scroll_into_view_if_needed()
                    await page.screenshot(path=str(folder / "communication-02-bounced.png"), full_page=False)
