"""The form letter editor in a real browser: an owner opens the reminder letter, previews an
edit, is refused a template error beside the field with its line, and saves.
Screenshots at 1280x800 and 1024x768 go to test-artifacts/console/<size>/letters-*.png."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from shutterbook_console import main as console_main
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.console_browser import logged_in
from tests.console_support import console
from tests.e2e.test_console_mailbox import SIZES
from tests.notifications_support import notifications_service


async def test_edit_a_form_letter_with_preview_and_a_refused_line(
    browser: Browser, sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    url = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with (
        notifications_service(sqlite_databases, nats_server.url, smtp_sink, scheduling_port=1) as n,
        console(url, notifications_addr=f"127.0.0.1:{n.port}") as c,
    ):
        await c.staff("owner@example.com", ["owner"], name="Olivia Owens")
        for size in SIZES:
            async with logged_in(browser, c.url, size, "owner@example.com") as (page, folder):
                await page.get_by_role("link", name="Form letters").click()
                await expect(page.get_by_role("heading", name="Form letters")).to_be_visible()
                await page.screenshot(path=str(folder / "letters-01-list.png"), full_page=True)

                await page.get_by_role("link", name="Reminder").first.click()
                text = page.get_by_label("Text", exact=True)
                await text.fill("Hello {{ client.given_name }},\n\nsee you on {{ session.start_date }}.\n")
                await page.get_by_role("button", name="Preview").click()
                await expect(page.locator("pre.preview-text")).to_contain_text("see you on ")
                await expect(page.locator("pre.preview-text")).not_to_contain_text("{{")
                html = page.frame_locator("iframe.mail-html").locator("body")
                await expect(html).to_contain_text("A reminder of your upcoming session.")
                await expect(html).not_to_contain_text("{{")
                await page.locator("iframe.mail-html").scroll_into_view_if_needed()
                await page.screenshot(path=str(folder / "letters-02-preview.png"), full_page=True)

                await text.fill("Hello,\n\nsee you {{ session.start_date \n")
                await page.get_by_role("button", name="Save").click()
                await expect(page.get_by_role("alert")).to_be_visible()
                await expect(page.locator("#body_text-error")).to_contain_text("Line 3")
                await expect(text).to_have_attribute("aria-invalid", "true")
                await page.screenshot(path=str(folder / "letters-03-refused.png"), full_page=True)

                await text.fill("Hello {{ client.given_name }},\n\nsee you soon.\n")
                await page.get_by_role("button", name="Save").click()
                await expect(page.get_by_role("status")).to_have_text("Form letter saved.")
