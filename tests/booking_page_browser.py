"""A customer on the public booking page in a real browser, as the e2e tests walk it: from the
session type to "You're booked" (paying in the sandbox when the type asks for a deposit), and
a time as en-US shows it, to compare an email or page against."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect

from shutterbook_kit.demo import DEMO_PUBLISHABLE_KEY


def en_us_clock(instant: str, zone: str) -> str:
    """ "9:00 AM", as en-US shows the instant in the zone."""
    local = datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


async def book_as_customer(
    browser: Browser,
    base_url: str,
    *,
    type_name: str,
    email: str,
    zone: str,
    name: tuple[str, str] = ("Grace", "Hopper"),
    screenshots: str | None = None,
) -> str:
    """Books the first open time of `type_name` at the first location; returns the manage
    link's href. With `screenshots`, keeps the details form and the confirmation there as
    booking-details.png and booking-booked.png."""
    context = await browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 800}, timezone_id=zone, locale="en-US"
    )
    context.set_default_timeout(20_000)
    try:
        page = await context.new_page()
        await page.goto(f"/book?key={DEMO_PUBLISHABLE_KEY}")
        await page.get_by_role("radio", name=re.compile(type_name)).check()
        await page.get_by_role("button", name="Continue").click()
        # the demo studio has two locations: the customer picks one before any times show
        await expect(page.get_by_role("heading", level=2, name="Choose a location")).to_be_visible()
        await page.locator("input[name=location]").first.check()
        await page.get_by_role("button", name="Continue").click()
        await expect(page.get_by_role("heading", level=2, name="Choose a day")).to_be_visible()
        await page.get_by_role("radio").first.check()
        await page.get_by_role("button", name="Continue").click()
        await expect(page.get_by_role("heading", level=2, name=re.compile("^Choose a time on"))).to_be_visible()
        await page.get_by_role("radio").first.check()
        await page.get_by_role("button", name="Continue").click()
        await expect(page.get_by_role("heading", level=2, name="Your details")).to_be_visible()
        await page.get_by_label("First name").first.fill(name[0])
        await page.get_by_label("Last name").first.fill(name[1])
        await page.get_by_label("Email").fill(email)
        if screenshots:
            await page.screenshot(path=f"{screenshots}/booking-details.png", full_page=True)
        book = page.get_by_role("button", name=re.compile("^(Book now|Continue to payment)$"))
        if (await book.text_content() or "").strip() == "Continue to payment":
            await book.click()
            await page.get_by_role("button", name="Pay and book").click()
        else:
            await book.click()
        await expect(page.get_by_role("heading", level=2, name="You're booked")).to_be_visible()
        if screenshots:
            await page.screenshot(path=f"{screenshots}/booking-booked.png", full_page=True)
        href = await page.locator("a[data-manage-link]").get_attribute("href")
        assert href
        return href
    finally:
        await context.close()
