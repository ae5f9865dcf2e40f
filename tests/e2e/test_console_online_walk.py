"""Issue 17's must-show walk, in a real browser (Debian chromium) over the whole stack (clients,
scheduling, billing, the booking gateway and the console, with the demo studio): a manager
sets a session type online with a 25.00 deposit, generates a week of slots with the preview
(the count the rows hold, worked out by hand), copies the booking URL (with the studio's
active publishable key, as the gateway keeps it) from the clipboard; a customer opens it
in a fresh browser context and books one slot paying the deposit; the manager finds the
booking on the console calendar. Then the owner revokes that key on the Keys screen and the
copied URL stops working; the next copy carries a new key, issued on first use. Screenshots at 1280x800 and
1024x768 (test-artifacts/console/<size>/walk-*.png)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Browser, Page, expect

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway.application.api_keys import REVOCATION_SECONDS
from shutterbook_kit.demo import DEMO_STAFF_PASSWORD
from tests.browser_support import screenshot
from tests.console_stack_support import DEMO_META
from tests.console_support import Console, console
from tests.stack_support import Stack, booking_stack

SIZES = ((1280, 800), (1024, 768))
TYPE = "Family Portrait"


async def shots(page: Page, name: str) -> None:
    """The page at both sizes (the walk runs once, at the first)."""
    for size in reversed(SIZES):
        await page.set_viewport_size({"width": size[0], "height": size[1]})
        await screenshot(page, "console", size, f"walk-{name}")


async def log_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(DEMO_STAFF_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(lambda url: not url.endswith("/login"))


@pytest.fixture
async def walk_stack(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> AsyncIterator[tuple[Stack, Console]]:
    async with booking_stack(sqlite_databases, nats_server.url, demo=True) as stack:
        services = stack.services
        async with console(
            stack.console_db,
            scheduling=f"127.0.0.1:{services.scheduling_port}",
            clients=f"127.0.0.1:{services.clients_port}",
            billing=f"127.0.0.1:{stack.billing.port}",
            booking_page_url=stack.base_url,
            gateway_admin_url=stack.base_url,
        ) as c:
            yield stack, c


async def slot_names(stack: Stack, type_name: str, location: str) -> set[str]:
    found = await stack.online.ListTimeSlots(
        opb.ListTimeSlotsRequest(location=location, session_type=type_name, page_size=1000), metadata=DEMO_META
    )
    return {s.name for s in found.time_slots}


def weekdays(first: date, last: date) -> int:
    return sum(1 for d in range((last - first).days + 1) if (first + timedelta(days=d)).weekday() < 5)


async def test_manager_puts_a_type_online_and_a_customer_books_the_copied_url(
    browser: Browser, walk_stack: tuple[Stack, Console]
) -> None:
    stack, c = walk_stack
    types = await stack.services.scheduling.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=DEMO_META)
    family = next(t for t in types.session_types if t.display_name == TYPE)
    locations = await stack.services.scheduling.ListLocations(pb.ListLocationsRequest(), metadata=DEMO_META)
    where = locations.locations[0]
    context = await browser.new_context(
        base_url=c.url, viewport={"width": SIZES[0][0], "height": SIZES[0][1]}, locale="en-US"
    )
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    await log_in(page, "manager@example.com")

    # the type online, with a 25.00 deposit
    await page.get_by_role("link", name="Types").click()
    await page.get_by_role("link", name=TYPE, exact=True).click()
    await page.get_by_role("link", name="Online Booking", exact=True).click()
    await page.get_by_label("Available for Online Booking").check()
    await page.get_by_label("Online Payment: booking online requires a payment").check()
    await page.get_by_label("Require customer deposit").check()
    await page.get_by_label("Payment amount (listed price or deposit)").fill("25.00")
    await page.get_by_role("button", name="Save Online Booking").click()
    await expect(page.locator("p.notice")).to_have_text("Saved.")

    # a week of slots from one row, previewed first: weekdays only, 9 to 12, an hour each, a
    # break 10:00-10:30 -> 9:00 and 10:30 each weekday (11:30 would end after 12)
    first = date.today() + timedelta(days=3)
    last = first + timedelta(days=6)
    expected = weekdays(first, last) * 2
    assert expected == 10  # any 7 consecutive days hold 5 weekdays
    await page.goto("/types")
    await page.get_by_role("link", name=f"Time slots of {TYPE}").click()
    await page.get_by_label("Location").select_option(label=where.display_name)
    await page.get_by_role("button", name="Show slots").click()
    await page.get_by_role("link", name="Generate slots from rows…").click()
    await expect(page.get_by_role("heading", name="Generate time slots")).to_be_visible()
    await page.get_by_label("Start date").fill(first.isoformat())
    await page.get_by_label("End date").fill(last.isoformat())
    await page.get_by_label("Daily start").fill("09:00")
    await page.get_by_label("Daily end").fill("12:00")
    await page.get_by_label("Slot length (minutes)").fill("60")
    await page.get_by_label("Break start (optional)").fill("10:00")
    await page.get_by_label("Break end").fill("10:30")
    await page.get_by_label("Exclude Saturdays").check()
    await page.get_by_label("Exclude Sundays").check()
    before = await slot_names(stack, family.name, where.name)
    await page.get_by_role("button", name="Preview slots").click()
    await expect(page.locator("#schedules-error")).to_contain_text("Choose who or what")  # nothing written
    await page.locator("input[name=schedules]").first.check()
    await page.get_by_role("button", name="Preview slots").click()
    preview = page.locator("[data-preview]")
    await expect(preview.get_by_role("heading")).to_contain_text(f"Preview: {expected} slots")
    await expect(preview.locator("tbody tr")).to_have_count(expected)
    await expect(preview.locator("tbody tr").first).to_contain_text("09:00–10:00")
    await expect(preview.locator("tbody tr").nth(1)).to_contain_text("10:30–11:30")
    await shots(page, "01-preview")
    await page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
    await page.get_by_role("button", name=f"Create these {expected} slots").click()
    await expect(page.locator("p.notice")).to_have_text(f"{expected} time slots created.")
    await expect(page.locator("[data-slots] tbody tr", has_text="10:30–11:30")).to_have_count(expected // 2)
    generated = await slot_names(stack, family.name, where.name) - before
    assert len(generated) == expected
    await shots(page, "02-slots")
    await page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})

    # the booking URL, as copied: the gateway's page for this type, with the studio's own key
    await page.goto(f"/types/session-types/{family.name.split('/')[1]}?tab=online")
    await page.get_by_role("button", name="Copy Online Booking URL").click()
    await expect(page.locator("[data-copy-status]")).to_have_text("Copied.")
    url = await page.evaluate("navigator.clipboard.readText()")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == stack.base_url
    assert parts.path == f"/book/session-types/{family.name.split('/')[1]}"
    key = parse_qs(parts.query)["key"][0]
    assert key.startswith("pbk_")

    # a customer, in a browser of their own, books the first time offered and pays the deposit
    customer = await browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")
    shop = await customer.new_page()
    await shop.goto(url)
    await expect(shop.get_by_role("heading", level=2, name="Choose a location")).to_be_visible()  # two studios
    await shop.get_by_role("radio", name=re.compile(f"^{where.display_name}")).check()
    await shop.get_by_role("button", name="Continue").click()
    await expect(shop.get_by_role("heading", level=2, name=re.compile("^Choose a day"))).to_be_visible()
    monday = first + timedelta(days=(7 - first.weekday()) % 7)  # a day of the generated week
    await shop.locator(f"input[name=day][value='{monday.isoformat()}']").check()
    await shop.get_by_role("button", name="Continue").click()
    await expect(shop.get_by_role("heading", level=2, name=re.compile("^Choose a time on"))).to_be_visible()
    await shop.get_by_role("radio").first.check()
    await shop.get_by_role("button", name="Continue").click()
    await shop.get_by_label("First name").first.fill("Ada")
    await shop.get_by_label("Last name").first.fill("Lovelace")
    await shop.get_by_label("Email").fill("ada@example.com")
    await shop.get_by_label("Phone").fill("+1 312 555 0100")
    await shop.get_by_role("button", name="Continue to payment").click()
    await expect(shop.get_by_role("heading", level=2, name="Payment")).to_be_visible()
    await expect(shop.locator("[data-amount=due]")).to_contain_text("25.00")
    await shop.get_by_label("Card (sandbox)").select_option("tok_sandbox_ok")
    await shop.get_by_role("button", name="Pay and book").click()
    await expect(shop.get_by_role("heading", level=2, name="You're booked")).to_be_visible()
    await screenshot(shop, "console", (1024, 768), "walk-03-customer-booked")

    # the manager sees the booking on the console calendar, on its day
    sessions = await stack.services.scheduling.ListSessions(pb.ListSessionsRequest(page_size=1000), metadata=DEMO_META)
    booked = [s for s in sessions.sessions if s.booked_online and s.session_type == family.name]
    assert len(booked) == 1
    slots = await stack.online.ListTimeSlots(
        opb.ListTimeSlotsRequest(location=where.name, session_type=family.name, page_size=1000), metadata=DEMO_META
    )
    taken = [s for s in slots.time_slots if s.booked_session == booked[0].name]
    assert [s.name for s in taken] == [s.name for s in taken if s.name in generated]  # one of the week's
    assert len(taken) == 1
    assert (taken[0].date.month, taken[0].date.day) == (monday.month, monday.day)
    day = monday
    location_id = where.name.split("/")[1]
    await page.goto(f"/calendar?location={location_id}&view=day&date={day.isoformat()}")
    await expect(page.locator("main")).to_contain_text("Lovelace")
    await shots(page, "04-calendar")
    await page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
    refused = await page.goto("/keys")  # keys are the owners'
    assert refused is not None
    assert refused.status == 403
    await context.close()

    # the owner revokes the key on the Keys screen: the copied URL stops working
    owner_context = await browser.new_context(base_url=c.url, viewport={"width": 1280, "height": 800})
    owner = await owner_context.new_page()
    await log_in(owner, "owner@example.com")
    await owner.get_by_role("link", name="Keys").click()
    row = owner.locator("[data-keys] tbody tr", has_text=key)  # the studio's active publishable key
    await expect(row).to_contain_text("Publishable")
    await expect(row).to_contain_text("Active")
    # issuing: a nameless key is refused beside the field; a named one is shown once
    await owner.get_by_role("button", name="Issue key").click()
    await expect(owner.locator("#label-error")).to_contain_text("Name the key")
    await owner.get_by_label("Name").fill("Yearbook partner")
    await owner.get_by_role("button", name="Issue key").click()
    issued_key = await owner.locator("#issued-key").input_value()
    assert issued_key.startswith("sbk_")
    await expect(owner.locator("[data-issued]")).to_contain_text("shown only this once")
    partner_row = owner.locator("[data-keys] tbody tr", has_text="Yearbook partner")
    await expect(partner_row).to_contain_text("Active")
    await shots(owner, "05-keys")
    await owner.goto("/keys")
    assert issued_key.split("_", 2)[2] not in await owner.content()  # the secret never again
    await row.get_by_role("button", name="Revoke").click()
    await expect(owner.locator("p.notice")).to_contain_text("Key revoked")
    await expect(owner.locator("[data-keys] tbody tr", has_text=key)).to_contain_text("Revoked")
    deadline = time.monotonic() + REVOCATION_SECONDS
    for _ in range(200):  # bounded: the gateway refuses the key within its revocation bound
        await shop.goto(url)
        await expect(shop.get_by_role("heading", level=2).first).to_be_visible()  # the page has answered
        stopped = shop.get_by_role("heading", level=2, name=re.compile("not set up|no longer available"))
        if await stopped.count():
            break
        assert time.monotonic() < deadline, "the revoked key still opens the booking page"
        await asyncio.sleep(0.1)
    await screenshot(shop, "console", (1024, 768), "walk-06-revoked-url")
    await customer.close()
    # the next copy carries a new key
    await owner.goto(f"/types/session-types/{family.name.split('/')[1]}?tab=online")
    fresh = await owner.locator("#booking_url").input_value()
    assert "key=pbk_" in fresh
    assert key not in fresh
    await owner.goto("/keys")
    issued = owner.locator("[data-keys] tbody tr", has_text=fresh.split("key=")[1])
    await expect(issued).to_contain_text("Online booking page")  # issued by the gateway on first use
    await expect(issued).to_contain_text("Active")
    await owner_context.close()
