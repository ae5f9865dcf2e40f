"""The Sessions hub and the Clients hub in a real browser over the real services with the demo
studio: a front desk finds a client by part of a name and opens the record; filters sessions by
photographer and no show, and exports them as CSV; staff of one location see only its sessions.
Screenshots at 1280x800 and 1024x768."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.async_api import Browser, expect

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.accounts import NewStaff, create_staff
from shutterbook_kit.demo import DEMO_COMPANY_ID
from tests.console_stack_support import DEMO_META, ConsoleStack, module_console_stack  # noqa: F401 (`stack`)
from tests.console_support import PASSWORD, log_in
from tests.e2e.test_console_calendar import SIZES, _log_in, _shot

# the tests share one demo stack (module_console_stack): one worker runs them all
pytestmark = pytest.mark.xdist_group("console_hubs")

DESK = "frontdesk@example.com"


async def _sessions(stack: ConsoleStack) -> list[pb.Session]:
    reply = await stack.services.scheduling.ListSessions(pb.ListSessionsRequest(page_size=1000), metadata=DEMO_META)
    return list(reply.sessions)


async def test_front_desk_searches_clients_and_filters_sessions(browser: Browser, stack: ConsoleStack) -> None:
    sessions = await _sessions(stack)
    john = next(s for s in sessions if s.photographer)
    marked = pb.UpdateSessionRequest(session=pb.Session(name=john.name, no_show=True))
    marked.update_mask.paths.append("no_show")
    await stack.services.scheduling.UpdateSession(marked, metadata=DEMO_META)
    schedule = await stack.services.scheduling.GetSchedule(
        pb.GetScheduleRequest(name=john.photographer), metadata=DEMO_META
    )
    for size in SIZES:
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        page = await context.new_page()
        await _log_in(page, DESK)
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
        await page.get_by_label("Search").fill("ughe")  # part of "Hughes"
        await page.get_by_role("button", name="Search").click()
        rows = page.locator("table.hub tbody tr")
        await expect(rows.first).to_contain_text("Hughes")
        assert all("Hughes" in text for text in await rows.all_inner_texts())
        await _shot(page, size, "hub-clients-search")
        await rows.first.get_by_role("link").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Hughes")

        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
        await expect(page.locator("table.hub tbody tr").first).to_be_visible()
        await _shot(page, size, "hub-sessions")
        await page.get_by_label("Photographer").select_option(label=schedule.display_name)
        await page.get_by_label("No show").select_option(label="Yes")
        await page.get_by_role("button", name="Filter").click()
        await expect(page.locator("table.hub tbody tr")).to_have_count(1)
        await expect(page.locator("table.hub tbody tr")).to_contain_text(john.session_number)
        await expect(page.locator("table.hub tbody tr")).to_contain_text("No show")
        await _shot(page, size, "hub-sessions-filtered")

        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Export to CSV").click()
        download = await waiting.value
        path = await download.path()
        table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert table[0][0] == "Session number"
        assert [row[0] for row in table[1:]] == [john.session_number]
        await context.close()


async def test_the_hubs_page_sort_and_name_bad_filters(browser: Browser, stack: ConsoleStack) -> None:
    sessions = await _sessions(stack)
    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await _log_in(page, DESK)
    await page.goto("/sessions?page_size=25&sort=latest")
    rows = page.locator("table.hub tbody tr")
    await expect(rows).to_have_count(25)
    latest = max(sessions, key=lambda s: (s.start_time.seconds, s.name))
    await expect(rows.first).to_contain_text(latest.session_number)
    seen = 25
    while await page.get_by_role("link", name="Next page →").count():
        await page.get_by_role("link", name="Next page →").click()
        seen += await rows.count()
    assert seen == len(sessions)
    await page.goto("/sessions?date_from=2030-02-01&date_to=2030-01-01")
    await expect(page.get_by_role("alert")).to_contain_text("correct the filter")
    await expect(page.locator("#date_to-error")).to_contain_text("Must not be before")
    await expect(page.get_by_label("To", exact=True)).to_have_value("2030-01-01")

    # the Clients hub by name, newest first: every client once, page after page, in that order
    for sort, order_by in (("name", "family_name"), ("newest", "create_time desc")):
        expected: list[str] = []
        token = ""
        while True:
            listed = await stack.services.clients.ListClients(
                clients_pb2.ListClientsRequest(page_size=1000, page_token=token, order_by=order_by),
                metadata=DEMO_META,
            )
            expected += [c.name for c in listed.clients]
            token = listed.next_page_token
            if not token:
                break
        await page.goto("/clients?page_size=25")
        await page.get_by_label("Sort").select_option(value=sort)
        await page.get_by_role("button", name="Search").click()
        await expect(page.locator("[data-count]")).to_contain_text("by name" if sort == "name" else "newest first")
        shown: list[str] = []
        while True:
            shown += [
                (await a.get_attribute("href") or "").lstrip("/")
                for a in await page.locator("table.hub tbody tr td:first-child a").all()
            ]
            following = page.get_by_role("link", name="Next page →")
            if not await following.count():
                break
            await following.click()
        assert shown == expected
        if sort == "name":
            await page.goto("/clients?page_size=25&sort=name")
            await _shot(page, (1280, 800), "hub-clients-by-name")
    await context.close()


async def test_staff_of_one_location_see_only_its_sessions(stack: ConsoleStack) -> None:
    sessions = await _sessions(stack)
    locations = sorted({s.location for s in sessions})
    assert len(locations) == 2
    mine = locations[0].removeprefix("locations/")
    await create_staff(
        stack.console.db,
        DEMO_COMPANY_ID,
        NewStaff("Dana Desk", "dana@example.com", PASSWORD, ["front_desk"], [mine], ""),
    )

    async with stack.console.client() as http:
        assert (await log_in(http, "dana@example.com")).status_code in (200, 201)
        exported = await http.get("/sessions/export.csv")
        assert exported.status_code == 200
        numbers = {row[0] for row in list(csv.reader(io.StringIO(exported.text)))[1:]}
        assert numbers == {s.session_number for s in sessions if s.location == locations[0]}
        elsewhere = await http.get(f"/sessions?location={locations[1]}")
        assert elsewhere.status_code == 422
        assert "not one of your locations" in elsewhere.text
