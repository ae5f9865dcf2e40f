"""Type setup in a real browser (Debian chromium) over the real scheduling, clients and billing
services with the demo studio. A manager opens the types, is refused a bad length and a bad
amount beside their fields, and scheduling's own refusal (the listed-price option without
Auto-Create Invoice) beside the payment options; sets a type online with a 25.00 deposit,
copies its booking URL, uploads a marketing image (a file that is not one refused), and
attaches price list items. Scheduling holds what the pages said. A front desk is refused the
pages. Screenshots at 1280x800 and 1024x768 (test-artifacts/console/<size>/types-*.png)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import date, timedelta

import grpc
import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from shutterbook.billing.v1 import billing_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import online_pb2_grpc
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.demo import DEMO_STAFF_PASSWORD
from tests.browser_support import screenshot
from tests.console_stack_support import DEMO_META, ConsoleStack, console_stack
from tests.e2e.test_console_calendar import SIZES
from tests.integration.test_marketing_images import png

MANAGER = "manager@example.com"
DESK = "frontdesk@example.com"
PAGE_URL = "http://gateway.example"
PAGE_KEY = "pbk_demo_key"


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ConsoleStack]:
    """One demo studio for the module's walks (they change different records)."""
    databases = DatabaseFactory(backend="sqlite", tmp=tmp_path_factory.mktemp("types"), created=[])
    nats = EmbeddedNats(free_port(), tmp_path_factory.mktemp("nats"))
    nats.start()
    try:
        async with console_stack(databases, nats.url, booking_page_url=PAGE_URL, booking_page_key=PAGE_KEY) as s:
            yield s
    finally:
        nats.stop()


async def log_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(DEMO_STAFF_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(lambda url: not url.endswith("/login"))


async def _family(stack: ConsoleStack) -> pb.SessionType:
    types = await stack.services.scheduling.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=DEMO_META)
    return next(t for t in types.session_types if t.display_name == "Family Portrait")


async def test_a_manager_sets_up_a_type_online_and_a_front_desk_may_not(browser: Browser, stack: ConsoleStack) -> None:
    family = await _family(stack)
    type_id = family.name.split("/")[1]
    items = await stack.billing.stub.ListPriceListItems(
        billing_pb2.ListPriceListItemsRequest(page_size=100), metadata=DEMO_META
    )
    print_item = next(i for i in items.price_list_items if i.sku == "PRINT-8X10")
    others = await stack.services.scheduling.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=DEMO_META)
    other = next(t for t in others.session_types if t.name != family.name)
    for code, eligible in (("FALL5", family.name), ("OTHER20", other.name)):  # besides the demo's SPRING10 (any)
        await stack.billing.stub.CreatePromotion(
            billing_pb2.CreatePromotionRequest(
                promotion=billing_pb2.Promotion(
                    display_name=f"{code} special", code=code, percent_off_bps=500, eligible_session_types=[eligible]
                )
            ),
            metadata=DEMO_META,
        )
    for size in SIZES:
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        await context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = await context.new_page()
        await log_in(page, MANAGER)
        await page.get_by_role("link", name="Types").click()
        await expect(page.get_by_role("heading", name="Session types")).to_be_visible()
        await expect(page.get_by_role("link", name="Consultation", exact=True)).to_be_visible()  # an appointment type
        await screenshot(page, "console", size, "types-01-list")

        # General: a length that is not minutes, refused beside the field
        await page.get_by_role("link", name="Family Portrait", exact=True).click()
        await page.get_by_label("Length (minutes)").fill("an hour")
        await page.get_by_role("button", name="Save General").click()
        await expect(page.locator("#default_duration_minutes-error")).to_contain_text("whole minutes")
        await expect(page.get_by_label("Length (minutes)")).to_have_value("an hour")
        await page.get_by_label("Length (minutes)").fill("75")
        await page.get_by_role("button", name="Save General").click()
        await expect(page.locator("p.notice")).to_have_text("Saved.")

        # Online Booking: a bad amount (ours), then the listed price without an invoice (scheduling's)
        await page.get_by_role("link", name="Online Booking", exact=True).click()
        await page.get_by_label("Available for Online Booking").check()
        await page.get_by_label("Online description").fill("Family session (1 hour)")
        await page.get_by_label("Online Payment: booking online requires a payment").check()
        await page.get_by_label("Require customer deposit").check()
        await page.get_by_label("Payment amount (listed price or deposit)").fill("twenty")
        await page.get_by_role("button", name="Save Online Booking").click()
        await expect(page.locator("#payment_amount-error")).to_contain_text("25.00")
        await page.get_by_label("Auto-Create Invoice (items from the Price List Items tab)").uncheck()
        await page.get_by_label("Require invoice payment in listed price (needs Auto-Create Invoice)").check()
        await page.get_by_label("Payment amount (listed price or deposit)").fill("25")
        await page.get_by_role("button", name="Save Online Booking").click()
        await expect(page.locator("#payment_option-error")).to_contain_text("auto_create_invoice")
        await expect(page.get_by_role("alert")).to_contain_text("Not saved")
        await screenshot(page, "console", size, "types-02-online-refused")
        await page.get_by_label("Require customer deposit").check()
        await page.get_by_label("Payment amount (listed price or deposit)").fill("25.00")
        promotions = page.locator("[data-promotions]")
        await expect(promotions.get_by_role("checkbox")).to_have_count(2)  # OTHER20 is for another type
        await expect(promotions).to_contain_text("5 % off")
        await promotions.get_by_label("SPRING10").check()
        await promotions.get_by_label("FALL5").check()
        await page.get_by_role("button", name="Save Online Booking").click()
        await expect(page.locator("p.notice")).to_have_text("Saved.")
        await expect(page.get_by_label("Payment amount (listed price or deposit)")).to_have_value("25.00")

        url = f"{PAGE_URL}/book/session-types/{type_id}?key={PAGE_KEY}"
        await page.get_by_role("button", name="Copy Online Booking URL").click()
        await expect(page.locator("[data-copy-status]")).to_have_text("Copied.")
        assert await page.evaluate("navigator.clipboard.readText()") == url

        # the marketing image: a file that is no image is refused beside the field, a PNG kept
        upload = page.get_by_label("Image file")
        await upload.set_input_files(files=[FilePayload(name="notes.png", mimeType="image/png", buffer=b"not a png")])
        await page.get_by_role("button", name="Upload image").click()
        await expect(page.locator("#marketing_image-error")).to_contain_text("is not a PNG image")
        await page.get_by_label("Image file").set_input_files(
            files=[FilePayload(name="family.png", mimeType="image/png", buffer=png(64, 40))]
        )
        await page.get_by_role("button", name="Upload image").click()
        await expect(page.locator("p.notice")).to_have_text("Marketing image saved.")
        shown = page.get_by_role("img", name="The marketing image of Family Portrait")
        await expect(shown).to_be_visible()
        await shown.evaluate("img => img.decode()")  # loaded (a broken image rejects, failing here)
        assert await shown.evaluate("img => img.naturalWidth") == 64
        await screenshot(page, "console", size, "types-03-online")

        # Price List Items: the print added to the session fee
        await page.get_by_role("link", name="Price List Items", exact=True).click()
        await page.get_by_label(print_item.display_name).check()
        await page.get_by_role("button", name="Save Price List Items").click()
        await expect(page.locator("p.notice")).to_have_text("Saved.")
        await expect(page.get_by_label(print_item.display_name)).to_be_checked()
        await screenshot(page, "console", size, "types-04-prices")
        await context.close()

    saved = await _family(stack)
    assert saved.default_duration_minutes == 75
    assert saved.display_name == "Family Portrait"  # the other tabs left the name alone
    assert saved.online.available_online
    assert saved.online.online_description == "Family session (1 hour)"
    assert saved.online.payment_option == pb.PAYMENT_OPTION_CUSTOMER_DEPOSIT
    assert (saved.online.payment_amount.amount_minor, saved.online.payment_amount.currency_code) == (2500, "USD")
    assert sorted(saved.online.online_promotions) == ["FALL5", "SPRING10"]
    assert not saved.auto_create_invoice
    assert print_item.name in saved.price_list_items
    assert saved.online.marketing_image_etag == hashlib.sha256(png(64, 40)).hexdigest()
    assert set(family.price_list_items) <= set(saved.price_list_items)

    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    await log_in(page, DESK)
    await expect(page.get_by_role("link", name="Types")).to_have_count(0)
    for path in ("/types", f"/types/session-types/{type_id}?tab=online"):
        refused = await page.goto(path)
        assert refused is not None
        assert refused.status == 403
        await expect(page.get_by_role("alert")).to_contain_text("managers and owners")
    await context.close()


async def test_a_manager_creates_and_deletes_time_slots_and_a_standing_pattern(
    browser: Browser, stack: ConsoleStack
) -> None:
    deluxe = next(
        t
        for t in (
            await stack.services.scheduling.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=DEMO_META)
        ).session_types
        if t.display_name == "Deluxe Portrait"
    )
    locations = await stack.services.scheduling.ListLocations(pb.ListLocationsRequest(), metadata=DEMO_META)
    where = locations.locations[0]
    day = (date.today() + timedelta(days=10)).isoformat()
    for size in SIZES:
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        page = await context.new_page()
        await log_in(page, MANAGER)
        await page.goto("/types")
        await page.get_by_role("link", name="Time slots of Deluxe Portrait").click()
        await page.get_by_label("Location").select_option(label=where.display_name)
        await page.get_by_role("button", name="Show slots").click()
        await expect(page.get_by_role("heading", name="Slots from today")).to_be_visible()

        # one slot: nothing occupied is refused beside the field; then created, open
        await page.get_by_label("Date").fill(day)
        await page.get_by_label("Start", exact=True).fill("10:00")
        await page.get_by_label("End", exact=True).fill("11:30")
        await page.get_by_role("button", name="Create slot").click()
        await expect(page.locator("#schedules-error")).to_contain_text("Choose who or what")
        await expect(page.get_by_label("Date")).to_have_value(day)
        await screenshot(page, "console", size, "slots-01-refused")
        slot_form = page.locator("form", has=page.get_by_role("button", name="Create slot"))
        await slot_form.locator("input[name=schedules]").first.check()
        await page.get_by_role("button", name="Create slot").click()
        await expect(page.locator("p.notice")).to_have_text("Time slot created.")
        row = page.locator("[data-slots] tbody tr", has_text=day).filter(has_text="10:00–11:30")
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text("Open")

        # change it: a length that would run past midnight is refused beside the field; then
        # 10:15 for an hour; unpublished (still listed, marked), published again
        await row.get_by_role("link", name="Change").click()
        await expect(page.get_by_label("Length (minutes)")).to_have_value("90")
        await page.get_by_label("Start").fill("23:30")
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator("#minutes-error")).to_contain_text("before midnight")
        await page.get_by_label("Start").fill("10:15")
        await page.get_by_label("Length (minutes)").fill("60")
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator("p.notice")).to_have_text("Time slot changed.")
        row = page.locator("[data-slots] tbody tr", has_text=day).filter(has_text="10:15–11:15")
        await expect(row).to_have_count(1)
        await row.get_by_role("button", name="Unpublish").click()
        await expect(page.locator("p.notice")).to_contain_text("Time slot unpublished")
        await expect(row).to_contain_text("Unpublished")
        await row.get_by_role("button", name="Publish").click()
        await expect(row).to_contain_text("Open")

        # a standing pattern: every weekday morning, 45-minute slots, two weeks ahead
        pattern_form = page.locator("form", has=page.get_by_role("button", name="Create pattern"))
        for weekday in ("Mon", "Tue", "Wed", "Thu", "Fri"):
            await pattern_form.get_by_label(weekday, exact=True).check()
        await page.get_by_label("Daily start").fill("09:00")
        await page.get_by_label("Daily end").fill("10:30")
        await page.get_by_label("Slot length (minutes)").fill("45")
        await page.get_by_label("Weeks ahead").fill("2")
        await pattern_form.locator("input[name=schedules]").first.check()
        await page.get_by_role("button", name="Create pattern").click()
        await expect(page.locator("p.notice")).to_contain_text("Standing pattern created")
        await expect(page.locator("[data-patterns] tbody tr").first).to_contain_text("Mon, Tue, Wed, Thu, Fri")
        await expect(page.locator("[data-slots] tbody tr", has_text="09:00–09:45").first).to_be_visible()
        await screenshot(page, "console", size, "slots-02-list")

        # delete the one slot, then the pattern (its slots stay)
        await row.get_by_role("button", name="Delete").click()
        await expect(page.locator("p.notice")).to_have_text("Time slot deleted.")
        await expect(page.locator("[data-slots] tbody tr", has_text=day).filter(has_text="10:15–11:15")).to_have_count(
            0
        )
        await page.locator("[data-patterns] tbody tr").first.get_by_role("button", name="Delete").click()
        await expect(page.locator("p.notice")).to_contain_text("Standing pattern deleted")
        await context.close()

    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.services.scheduling_port}") as channel:
        listed = await online_pb2_grpc.OnlineBookingServiceStub(channel).ListTimeSlots(
            opb.ListTimeSlotsRequest(session_type=deluxe.name, location=where.name, page_size=1000), metadata=DEMO_META
        )
    times = {(s.start.hours, s.start.minutes) for s in listed.time_slots}
    assert (10, 15) not in times  # both single slots deleted
    assert (9, 0) in times  # the patterns' slots stay
