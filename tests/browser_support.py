"""Debian chromium through Playwright for the e2e tests: the `browser` fixture (a pytest plugin
of the root conftest, so every test module has it) and screenshots under test-artifacts/.
Without /usr/bin/chromium the tests skip saying so, except with CI=true, where they fail.

One chromium per test process (each xdist worker): starting one is seconds of CPU, and a test
works in browser contexts of its own (cookies, storage and pages are per context), which are
closed after it even when it fails. A chromium that died is started again for the next test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Playwright, async_playwright

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = "Debian chromium not installed: apt-get install chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class Chromium:
    """The test process's chromium, launched on first use."""

    def __init__(self, playwright: Playwright) -> None:
        self.playwright = playwright
        self.browser: Browser | None = None

    async def get(self) -> Browser:
        if self.browser is None or not self.browser.is_connected():
            self.browser = await self.playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            )
        return self.browser

    async def close(self) -> None:
        if self.browser is not None and self.browser.is_connected():
            await self.browser.close()


@pytest.fixture(scope="session")
async def chromium_process() -> AsyncIterator[Chromium]:
    async with async_playwright() as playwright:
        chromium = Chromium(playwright)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture(name="browser")
async def chromium_browser(chromium_process: Chromium) -> AsyncIterator[Browser]:
    """The process's chromium; the contexts the test opened are closed after it."""
    require_chromium()
    browser = await chromium_process.get()
    before = set(browser.contexts)
    try:
        yield browser
    finally:
        if browser.is_connected():
            for context in browser.contexts:
                if context not in before:
                    await context.close()


@asynccontextmanager
async def launched_chromium() -> AsyncIterator[Browser]:
    """Headless Debian chromium of its own, for a test that is not async itself (`asyncio.run`)."""
    require_chromium()
    async with async_playwright() as playwright:
        chromium = Chromium(playwright)
        try:
            yield await chromium.get()
        finally:
            await chromium.close()


async def screenshot(page: Page, folder: str, size: tuple[int, int], name: str) -> None:
    """test-artifacts/<folder>/<width>x<height>/<name>.png, the whole page."""
    where = ARTIFACTS / folder / f"{size[0]}x{size[1]}"
    where.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(where / f"{name}.png"), full_page=True)
