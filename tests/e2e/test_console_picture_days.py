"""Picture days in the staff console (issue 21) in Debian chromium, against the whole stack with
the demo studio (clients, scheduling, billing, the gateway's portal, notifications): a manager
opens "Picture days" from the navigation, is shown what is missing on the "New picture day"
form, creates a day for "Lincoln High" 2026, issues the codes and prints the letters (the PDF
read back: one page per family with the family's name, its code and the portal's address, and
no internal id); a parent opens the letter's portal link on a phone (375x667) with the code,
books a time, gets the confirmation email at the local SMTP sink and changes the time; the day's
page in the studio shows the progress change without being reloaded.

Screenshots at 1280x800 and 1024x768 in test-artifacts/console/<size>/picture-day-*.png, the
parent's at test-artifacts/console/375x667/picture-day-parent-*.png."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.demo import DEMO_PUBLISHABLE_KEY, DEMO_STAFF_PASSWORD
from tests.browser_support import screenshot
from tests.console_browser import logged_in
from tests.notifications_support import mails
from tests.picture_day_console_support import (
    DAY,
    SCHOOL,
    UUID,
    code_on,
    letter_pages,
    local_minutes,
)
from tests.wizard_support import wizard_stack

WIDE, NARROW, PHONE = (1280, 800), (1024, 768), (375, 667)
MANAGER = "manager@example.com"


async def _fill_day(page: Page) -> None:
    await page.get_by_label("Name families see", exact=True).fill("Lincoln High 2026")
    await page.get_by_label("Organization", exact=True).select_option(label=SCHOOL)
    await page.get_by_label("Year", exact=True).fill("2026")
    await page.get_by_label("Location", exact=True).select_option(label="Downtown Studio")
    await page.get_by_label("Session type", exact=True).select_option(label="School Portrait")
    await page.get_by_label("Photographer", exact=True).select_option(index=1)
    await page.get_by_label("Siblings per slot", exact=True).fill("2")
    await page.get_by_label("Start date", exact=True).fill(DAY)
    await page.get_by_label("End date", exact=True).fill(DAY)
    await page.get_by_label("Start time", exact=True).fill("08:00")
    await page.get_by_label("End time", exact=True).fill("12:00")
    await page.get_by_label("Duration (minutes)", exact=True).fill("15")
    zone = "America/New_York"  # Downtown Studio's
    await page.get_by_label("Opens", exact=True).fill(local_minutes(zone, timedelta(hours=-1)))
    await page.get_by_label("Closes", exact=True).fill(local_minutes(zone, timedelta(days=7)))
    await page.get_by_label("Get the remaining times, in name order", exact=True).check()


@pytest.mark.timeout(600)
async def test_a_manager_creates_a_picture_day_prints_codes_and_sees_a_booking_arrive(
    sqlite_databases: DatabaseFactory,
    nats_server: EmbeddedNats,
    monkeypatch: pytest.MonkeyPatch,
    smtp_sink: MailSink,
    browser: Browser,
) -> None:
    async with wizard_stack(sqlite_databases, nats_server.url, monkeypatch, smtp=smtp_sink, portal=True) as (
        stack,
        c,
    ):
        portal_page = f"{stack.base_url}/picture-day?key={DEMO_PUBLISHABLE_KEY}"
        async with logged_in(browser, c.url, WIDE, MANAGER, DEMO_STAFF_PASSWORD) as (page, folder):
            await page.goto("/calendar")
            await page.get_by_role("navigation", name="Main").get_by_role("link", name="Picture days").click()
            await expect(page.get_by_role("heading", name="Picture days")).to_be_visible()
            await page.get_by_role("link", name="New picture day").click()
            await expect(page.get_by_role("heading", name="New picture day")).to_be_visible()

            # nothing typed: the form says what is missing, next to the fields
            await page.get_by_role("button", name="Create picture day").click()
            await expect(page.get_by_role("alert")).to_contain_text("correct the fields")
            await expect(page.locator('[data-error-for="display_name"]')).to_contain_text("name the picture day")
            await expect(page.locator('[data-error-for="families.organization"]')).to_be_visible()
            await expect(page.locator('[data-error-for="open_time"]')).to_be_visible()
            await page.screenshot(path=str(folder / "picture-day-01-form-errors.png"), full_page=True)

            await _fill_day(page)
            await page.screenshot(path=str(folder / "picture-day-02-form.png"), full_page=True)
            await page.get_by_role("button", name="Create picture day").click()
            await expect(page.get_by_role("heading", name="Lincoln High 2026")).to_be_visible()
            day_url = page.url
            counts = page.locator(".bulk-counts")
            await expect(counts).to_contain_text("0 booked")
            await expect(counts).to_contain_text("15 not yet booked")
            await expect(page.locator("[data-families] tbody tr")).to_have_count(15)
            await page.screenshot(path=str(folder / "picture-day-03-created.png"), full_page=True)

            # issue the codes and print the letters
            async with page.expect_download() as waiting:
                await page.get_by_role("button", name="Issue codes and print letters").click()
            download = await waiting.value
            path = await download.path()
            assert path is not None
            pages = letter_pages(path.read_bytes())
            assert len(pages) == 15
            rows = await page.locator("[data-families] tbody tr td:first-child").all_inner_texts()
            for text in pages:
                assert portal_page in text.replace("\n", "")
                assert not UUID.search(text)
                assert "Downtown Studio" in text
            assert sorted(next(r for r in rows if f"Dear {r}," in text) for text in pages) == sorted(rows)
            code = code_on(pages[0])

            # a parent books on the portal with the letter's code, on a phone: the studio's page
            # shows the progress move without a reload, and the parent gets the confirmation
            await page.evaluate("window.__notReloaded = true")
            before = len(mails(smtp_sink))
            phone = await browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
            parent = await phone.new_page()
            await parent.goto(f"{portal_page}#code={code}")
            await expect(parent.get_by_role("heading", name="Lincoln High 2026")).to_be_visible()
            await parent.locator(".pd-times .button").first.click()
            await expect(parent.get_by_role("status").first).to_contain_text("Booked:")
            await screenshot(parent, "console", PHONE, "picture-day-parent-01-booked")
            await expect(counts).to_contain_text("1 booked", timeout=30_000)
            await expect(counts).to_contain_text("14 not yet booked")
            assert await page.evaluate("window.__notReloaded === true")
            assert page.url == day_url
            await page.screenshot(path=str(folder / "picture-day-04-progress.png"), full_page=True)

            for _ in range(300):  # the confirmation email at the sink; bounded: 30 s
                booked = [m for m in mails(smtp_sink)[before:] if "Booked:" in str(m["Subject"])]
                if booked:
                    break
                await asyncio.sleep(0.1)
            assert booked, "no confirmation email reached the SMTP sink"
            [confirmation] = booked
            assert any(part.get_filename() == "booking.ics" for part in confirmation.iter_attachments())

            # the parent changes the time: still one family booked, and a second email
            await parent.get_by_role("button", name="Change time").first.click()
            await parent.locator(".pd-times .button").nth(2).click()
            await expect(parent.get_by_text("Changed to")).to_be_visible()
            await screenshot(parent, "console", PHONE, "picture-day-parent-02-changed")
            for _ in range(300):  # bounded: 30 s
                moved = [m for m in mails(smtp_sink)[before:] if "has moved" in str(m["Subject"])]
                if moved:
                    break
                await asyncio.sleep(0.1)
            assert moved, "no reschedule email reached the SMTP sink"
            assert moved[0]["To"] == confirmation["To"]
            await expect(counts).to_contain_text("1 booked")
            await phone.close()

        async with logged_in(browser, c.url, NARROW, MANAGER, DEMO_STAFF_PASSWORD) as (page, folder):
            await page.goto(day_url)
            await expect(page.locator(".bulk-counts")).to_contain_text("1 booked")
            await page.screenshot(path=str(folder / "picture-day-04-progress.png"), full_page=True)
            await page.goto("/picture-days")
            row = page.locator("[data-picture-days] tbody tr").first
            await expect(row).to_contain_text("Lincoln High 2026")
            await expect(row).to_contain_text("Open for booking")
            await page.screenshot(path=str(folder / "picture-day-05-hub.png"), full_page=True)
            await page.goto("/picture-days/new")
            await page.screenshot(path=str(folder / "picture-day-02-form.png"), full_page=True)
