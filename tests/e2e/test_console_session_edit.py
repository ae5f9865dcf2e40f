"""The session record's time, people and blocks in a real browser (Debian chromium) over the real
clients, scheduling and billing services with the demo studio: the front desk moves a session
to a time when its photographer is busy elsewhere and is told beside the photographer (nothing
changed), then to a free time, saves and reloads (persisted); changes an advanced session's
block, adds one, saves and reloads. Screenshots at 1280x800 and 1024x768."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.console_stack_support import (  # noqa: F401 (`stack`)
    DEMO_META,
    ConsoleStack,
    EditStudio,
    date_text,
    module_console_stack,
    weekday,
)
from tests.e2e.test_console_calendar import SIZES, _log_in, _shot

pytestmark = pytest.mark.xdist_group("console_session_edit")

DESK = "frontdesk@example.com"


async def test_front_desk_edits_the_time_and_a_block(browser: Browser, stack: ConsoleStack) -> None:
    studio = await EditStudio.of(stack)
    for n, size in enumerate(SIZES):
        when, then = weekday(50 + 3 * n), weekday(51 + 3 * n)
        session = await studio.book(when, 9, studio.john)
        await studio.book(when, 14, studio.others[0])  # the other photographer is busy 14:00-15:00
        wedding = await studio.book_wedding((then, 9, 11, studio.john))
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        page = await context.new_page()
        await _log_in(page, DESK)

        # onto the other photographer at 14:30: refused beside the photographer, nothing changed
        await page.goto(f"/{session.name}")
        await expect(page.get_by_label("Start time")).to_have_value("09:00")
        await page.get_by_label("Start time").fill("14:30")
        await page.get_by_label("End time").fill("15:30")
        await page.get_by_label("Photographer").select_option(studio.others[0].name)
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("alert")).to_contain_text("nothing was changed")
        await expect(page.locator("#photographer-error")).to_contain_text("is busy then")
        await expect(page.get_by_label("Photographer")).to_have_attribute("aria-invalid", "true")
        await expect(page.get_by_label("Start time")).to_have_value("14:30")  # what was typed stays
        await expect(page.get_by_label("Book anyway, over the conflict")).to_be_visible()
        await _shot(page, size, "session-time-conflict")
        assert (await studio.get(session.name)).start.hours == 9

        # John at 11:30-12:45 on the next day: saved, and still there after a reload
        await page.get_by_label("Photographer").select_option(studio.john.name)
        await page.get_by_label("Session date").fill(date_text(then))
        await page.get_by_label("Start time").fill("11:30")
        await page.get_by_label("End time").fill("12:45")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_contain_text("Saved")
        await page.reload()
        await expect(page.get_by_label("Session date")).to_have_value(date_text(then))
        await expect(page.get_by_label("Start time")).to_have_value("11:30")
        await expect(page.get_by_label("End time")).to_have_value("12:45")
        await expect(page.locator(".history")).to_contain_text("Priya Patel")
        await _shot(page, size, "session-time-saved")
        moved = await studio.get(session.name)
        assert (moved.session_date, moved.start.hours, moved.start.minutes) == (then, 11, 30)

        # the wedding's block an hour later, and a second block added with the room
        await page.goto(f"/{wedding.name}")
        await expect(page.get_by_label("Block 1: start")).to_have_value("09:00")
        await page.get_by_label("Block 1: start").fill("13:00")
        await page.get_by_label("Block 1: end").fill("14:30")
        await page.get_by_label("New block: date").fill(date_text(then))
        await page.get_by_label("New block: start").fill("16:00")
        await page.get_by_label("New block: end").fill("17:00")
        await page.locator(f"input[name='blocks-1-schedules'][value='{studio.room.name}']").check()
        await _shot(page, size, "session-blocks-editing")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_contain_text("Saved")
        await page.reload()
        await expect(page.locator("#calendar-blocks > legend")).to_contain_text("2 time blocks")
        await expect(page.get_by_label("Block 1: start")).to_have_value("13:00")
        await expect(page.get_by_label("Block 2: start")).to_have_value("16:00")
        await page.locator("#calendar-blocks").scroll_into_view_if_needed()
        await _shot(page, size, "session-blocks-saved")
        blocks = (await studio.get(wedding.name)).time_blocks
        assert [(b.start.hours, list(b.schedules)) for b in blocks] == [
            (13, [studio.john.name]),
            (16, [studio.room.name]),
        ]
        await context.close()
