"""The console in a real browser for the e2e tests: a logged-in page at a screen size, and the
folder its screenshots go to (test-artifacts/console/<size>/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page

from tests.console_support import PASSWORD
from tests.e2e.test_console_mailbox import ARTIFACTS


@asynccontextmanager
async def logged_in(
    browser: Browser, base_url: str, size: tuple[int, int], email: str, password: str = PASSWORD
) -> AsyncIterator[tuple[Page, Path]]:
    context = await browser.new_context(
        base_url=base_url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
    )
    context.set_default_timeout(20_000)
    try:
        page = await context.new_page()
        folder = ARTIFACTS / f"{size[0]}x{size[1]}"
        folder.mkdir(parents=True, exist_ok=True)
        await page.goto("/login")
        await page.get_by_label("Email", exact=True).fill(email)
        await page.get_by_label("Password", exact=True).fill(password)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(lambda url: not url.endswith("/login"))
        yield page, folder
    finally:
        await context.close()
