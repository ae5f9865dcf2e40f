"""Studio setup > Locations, Rooms and Session statuses in a real browser (Debian chromium) over
the real scheduling, clients and billing services with the demo studio. An owner goes from
Company to Locations by the setup sub-navigation, adds a location whose lunch is outside its
hours (refused beside the lunch row, what was typed kept), corrects it and saves; adds a camera
room there and renames it; adds a session status with its due-in days. Scheduling holds what
the pages said. Screenshots at 1280x800 and 1024x768 (test-artifacts/console/<size>/setup-*.png)."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from tests.browser_support import screenshot
from tests.console_stack_support import DEMO_META, ConsoleStack, module_console_stack  # noqa: F401 (`stack`)
from tests.e2e.test_console_calendar import SIZES
from tests.e2e.test_console_type_setup import log_in

OWNER = "owner@example.com"


async def test_an_owner_sets_up_a_location_a_room_and_a_status(browser: Browser, stack: ConsoleStack) -> None:
    scheduling = stack.services.scheduling
    for size in SIZES:
        where = f"Harbor Studio {size[0]}"
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        page = await context.new_page()
        await log_in(page, OWNER)
        await page.get_by_role("link", name="Studio setup").click()
        setup_nav = page.get_by_role("navigation", name="Studio setup")
        await setup_nav.get_by_role("link", name="Locations").click()
        await expect(page.get_by_role("heading", level=1, name="Studio setup: locations")).to_be_visible()
        await expect(setup_nav.get_by_role("link", name="Locations")).to_have_attribute("aria-current", "page")
        await screenshot(page, "console", size, "setup-01-locations")

        await page.get_by_role("link", name="Add a location").click()
        await page.get_by_label("Location name").fill(where)
        await page.get_by_label("Time zone").select_option("America/Los_Angeles")
        await page.get_by_label("Street address").fill("1 Pier Way")
        await page.get_by_label("City").fill("Seattle")
        await page.get_by_label("Country code").fill("US")
        await page.get_by_label("Studio hours, row 1: day").select_option(label="Tuesday")
        await page.get_by_label("Studio hours, row 1: from").fill("09:00")
        await page.get_by_label("Studio hours, row 1: to").fill("17:00")
        await page.get_by_label("Lunch periods, row 1: day").select_option(label="Tuesday")
        await page.get_by_label("Lunch periods, row 1: from").fill("16:30")
        await page.get_by_label("Lunch periods, row 1: to").fill("17:30")
        await page.get_by_role("button", name="Add location").click()
        await expect(page.locator("#lunch-0-start-error")).to_contain_text("inside the studio hours of Tuesday")
        await expect(page.get_by_role("alert")).to_contain_text("Not saved")
        await expect(page.get_by_label("Location name")).to_have_value(where)
        await expect(page.get_by_label("Lunch periods, row 1: from")).to_have_value("16:30")
        await screenshot(page, "console", size, "setup-02-location-refused")
        await page.get_by_label("Lunch periods, row 1: from").fill("12:00")
        await page.get_by_label("Lunch periods, row 1: to").fill("12:45")
        await page.get_by_role("button", name="Add location").click()
        await expect(page.locator("p.notice")).to_have_text("Added.")
        row = page.get_by_role("row").filter(has_text=where)
        await expect(row).to_contain_text("America/Los_Angeles")
        await expect(row).to_contain_text("Tue 09:00–17:00")
        await expect(row).to_contain_text("Tue 12:00–12:45")
        await screenshot(page, "console", size, "setup-03-location-added")

        await setup_nav.get_by_role("link", name="Rooms").click()
        await page.get_by_label("Room name").fill("Camera room")
        await page.get_by_label("Location").select_option(label=where)
        await page.get_by_role("button", name="Add room").click()
        await expect(page.locator("p.notice")).to_have_text("Added.")
        await page.get_by_role("row").filter(has_text=where).get_by_role("link", name="Camera room").click()
        await page.get_by_label("Room name").fill(f"Main camera room {size[0]}")
        await page.get_by_role("button", name="Save name").click()
        await expect(page.locator("p.notice")).to_have_text("Saved.")
        await setup_nav.get_by_role("link", name="Rooms").click()
        await expect(page.get_by_role("row").filter(has_text=where)).to_contain_text(f"Main camera room {size[0]}")
        await screenshot(page, "console", size, "setup-04-rooms")

        await setup_nav.get_by_role("link", name="Session statuses").click()
        await page.get_by_label("Status name").fill(f"Retouching {size[0]}")
        await page.get_by_label("Due in (days)").fill("soon")
        await page.get_by_role("button", name="Add status").click()
        await expect(page.locator("#due_in_days-error")).to_contain_text("whole number of days")
        await expect(page.get_by_label("Status name")).to_have_value(f"Retouching {size[0]}")
        await page.get_by_label("Due in (days)").fill("10")
        await page.get_by_role("button", name="Add status").click()
        await expect(page.locator("p.notice")).to_have_text("Added.")
        await expect(page.get_by_role("row").filter(has_text=f"Retouching {size[0]}")).to_contain_text("10")
        await screenshot(page, "console", size, "setup-05-statuses")
        await context.close()

        locations = (
            await scheduling.ListLocations(pb.ListLocationsRequest(page_size=100), metadata=DEMO_META)
        ).locations
        location = next(x for x in locations if x.display_name == where)
        assert location.time_zone == "America/Los_Angeles"
        assert [(x.day, x.start.hours, x.end.minutes) for x in location.lunch_periods] == [(2, 12, 45)]
        schedules = await scheduling.ListSchedules(
            pb.ListSchedulesRequest(page_size=100, location=location.name), metadata=DEMO_META
        )
        assert [(x.display_name, x.kind) for x in schedules.schedules] == [
            (f"Main camera room {size[0]}", pb.SCHEDULE_KIND_RESOURCE)
        ]
        statuses = await scheduling.ListSessionStatuses(
            pb.ListSessionStatusesRequest(page_size=100), metadata=DEMO_META
        )
        assert [x.due_in_days for x in statuses.session_statuses if x.display_name == f"Retouching {size[0]}"] == [10]
