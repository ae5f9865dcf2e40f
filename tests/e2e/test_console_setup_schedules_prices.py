"""Studio setup's staff schedules, price list and promotions in a real browser (Debian chromium)
over the real scheduling, clients and billing services with the demo studio. A manager goes
from the company screen to staff schedules, creates a schedule for a photographer, types two
overlapping rows (refused beside the second row's start, what was typed kept), fixes them,
adds a time off and saves; adds a price list item and changes its price; creates a promotion
for one session type. Scheduling and billing hold what the pages said. Screenshots at
1280x800 and 1024x768 (test-artifacts/console/<size>/setup-*.png)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, expect

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory
from tests.browser_support import screenshot
from tests.console_stack_support import DEMO_META, ConsoleStack, console_stack
from tests.e2e.test_console_calendar import SIZES
from tests.e2e.test_console_type_setup import MANAGER, log_in


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ConsoleStack]:
    databases = DatabaseFactory(backend="sqlite", tmp=tmp_path_factory.mktemp("setup"), created=[])
    nats = EmbeddedNats(free_port(), tmp_path_factory.mktemp("nats"))
    nats.start()
    try:
        async with console_stack(databases, nats.url) as s:
            yield s
    finally:
        nats.stop()


async def test_a_manager_sets_up_hours_a_price_and_a_promotion(browser: Browser, stack: ConsoleStack) -> None:
    scheduling, billing = stack.services.scheduling, stack.billing.stub
    types = (await scheduling.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=DEMO_META)).session_types
    family = types[0]
    for size in SIZES:
        w = size[0]
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        page = await context.new_page()
        await log_in(page, MANAGER)
        await page.get_by_role("link", name="Studio setup").click()
        setup = page.get_by_role("navigation", name="Studio setup")
        await setup.get_by_role("link", name="Staff schedules").click()
        await expect(page.get_by_role("heading", level=1, name="Studio setup: staff schedules")).to_be_visible()
        await page.get_by_label("Location").select_option(label="Downtown Studio (America/New_York)")
        await page.get_by_role("button", name="Show").click()
        await expect(page.locator("[data-schedules]")).to_contain_text("John Doe (Downtown)")
        await screenshot(page, "console", size, "setup-01-schedules")

        name = f"Jane, weekdays {w}"
        await page.get_by_label("Staff member").select_option(label="Jane Peterson")
        await page.get_by_label("Schedule name (optional)").fill(name)
        await page.get_by_role("button", name="Create schedule").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Staff schedule: {name}")
        await expect(page.locator("p.notice")).to_contain_text("now set its working hours")

        # two overlapping rows: refused beside the second, what was typed kept
        await page.get_by_label("Day of row 1").select_option(label="Tuesday")
        await page.get_by_label("From, row 1", exact=True).fill("09:00")
        await page.get_by_label("To, row 1", exact=True).fill("12:00")
        await page.get_by_label("Day of row 2").select_option(label="Tuesday")
        await page.get_by_label("From, row 2", exact=True).fill("11:00")
        await page.get_by_label("To, row 2", exact=True).fill("15:00")
        await page.get_by_label("Time off from, row 1").fill("2026-12-24T09:00")
        await page.get_by_label("Time off until, row 1").fill("2026-12-26T18:00")
        await page.get_by_label("Reason, row 1").fill("Holidays")
        await page.get_by_role("button", name="Save schedule").click()
        await expect(page.locator("#from_1-error")).to_contain_text("Overlaps Tuesday 09:00–12:00")
        await expect(page.get_by_role("alert")).to_contain_text("Not saved")
        await expect(page.get_by_label("From, row 2", exact=True)).to_have_value("11:00")
        await expect(page.get_by_label("From, row 2", exact=True)).to_have_attribute("aria-invalid", "true")
        await expect(page.get_by_label("Reason, row 1")).to_have_value("Holidays")
        await screenshot(page, "console", size, "setup-02-schedule-refused")

        await page.get_by_label("From, row 2", exact=True).fill("13:00")
        await page.get_by_label("To, row 2", exact=True).fill("17:00")
        await page.get_by_label("Day of row 3").select_option(label="Thursday")
        await page.get_by_label("From, row 3", exact=True).fill("10:00")
        await page.get_by_label("To, row 3", exact=True).fill("16:00")
        await page.get_by_role("button", name="Save schedule").click()
        await expect(page.locator("p.notice")).to_have_text("Saved.")
        await expect(page.get_by_label("Time off from, row 1")).to_have_value("2026-12-24T09:00")
        await screenshot(page, "console", size, "setup-03-schedule-saved")
        schedule_id = page.url.split("/")[-1].split("?")[0]
        saved = await scheduling.GetSchedule(pb.GetScheduleRequest(name=f"schedules/{schedule_id}"), metadata=DEMO_META)
        assert [(h.day, h.start.hours, h.end.hours) for h in saved.working_hours] == [
            (pb.DAY_OF_WEEK_TUESDAY, 9, 12),
            (pb.DAY_OF_WEEK_TUESDAY, 13, 17),
            (pb.DAY_OF_WEEK_THURSDAY, 10, 16),
        ]
        assert saved.time_off[0].start_time.ToDatetime(tzinfo=UTC) == datetime(2026, 12, 24, 14, 0, tzinfo=UTC)

        # a price list item, then its price changed
        sku = f"ALBUM-{w}"
        await page.get_by_role("navigation", name="Studio setup").get_by_role("link", name="Price list").click()
        await page.get_by_label("Name", exact=True).fill(f"Leather album {w}")
        await page.get_by_label("SKU").fill(sku)
        await page.get_by_label("Unit price (USD)").fill("249.5")
        await page.get_by_label("Tax rate (%)").fill("8.875")
        await page.get_by_role("button", name="Add item").click()
        await expect(page.locator("#tax_rate-error")).to_contain_text("at most two decimals")
        await expect(page.get_by_label("SKU")).to_have_value(sku)
        await page.get_by_label("Tax rate (%)").fill("8.25")
        await page.get_by_role("button", name="Add item").click()
        await expect(page.locator("p.notice")).to_have_text("Item added.")
        await page.get_by_role("link", name=f"Leather album {w}").click()
        await expect(page.get_by_label("Unit price (USD)")).to_have_value("249.50")
        await page.get_by_label("Unit price (USD)").fill("275")
        await page.get_by_role("button", name="Save item").click()
        await expect(page.locator("p.notice")).to_have_text("Saved.")
        await screenshot(page, "console", size, "setup-04-price-item")
        items = await billing.ListPriceListItems(bpb.ListPriceListItemsRequest(page_size=1000), metadata=DEMO_META)
        item = next(x for x in items.price_list_items if x.sku == sku)
        assert (item.unit_price.amount_minor, item.tax_rate_bps) == (27500, 825)

        # a promotion for one session type
        code = f"SPRING{w}"
        await page.get_by_role("navigation", name="Studio setup").get_by_role("link", name="Promotions").click()
        await page.get_by_label("Promo code").fill(code.lower())
        await page.get_by_label("Name", exact=True).fill("Spring Family Special")
        await page.get_by_label("Percent off", exact=True).check()
        await page.get_by_label("Percent off (%)").fill("15")
        await page.get_by_label("First day (optional)").fill("2027-03-01")
        await page.get_by_label("Last day (optional)").fill("2027-05-31")
        await page.get_by_label("Usage limit (optional)").fill("40")
        await page.get_by_label(family.display_name, exact=True).check()
        await page.get_by_role("button", name="Create promotion").click()
        await expect(page.locator("p.notice")).to_have_text("Promotion created.")
        row = page.locator(f'tr[data-code="{code}"]')
        await expect(row).to_contain_text("15 % off")
        await expect(row).to_contain_text(family.display_name)
        await screenshot(page, "console", size, "setup-05-promotions")
        await context.close()

        found = await billing.ListPromotions(bpb.ListPromotionsRequest(page_size=1000), metadata=DEMO_META)
        promotion = next(p for p in found.promotions if p.code == code)
        assert (promotion.percent_off_bps, promotion.usage_limit) == (1500, 40)
        assert list(promotion.eligible_session_types) == [family.name]
