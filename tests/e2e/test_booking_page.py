"""The public booking page in a real browser (Debian chromium through Playwright) against the
real stack: clients, scheduling and billing on loopback behind the gateway, with the demo data
seeded. Every flow is checked on the page and then on what the API says afterwards.

Screenshots of each step go to test-artifacts/booking-page/<size>/ (CI keeps that folder)."""

from __future__ import annotations

import asyncio
import http.server
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from google.protobuf import field_mask_pb2
from icalendar import Calendar
from playwright.async_api import Browser, BrowserContext, Download, Frame, Page, Request, expect

from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory, backends, company_metadata, eventually
from shutterbook_kit.demo import DEMO_API_KEY, DEMO_COMPANY_ID, DEMO_PUBLISHABLE_KEY
from tests.stack_support import Stack, booking_stack

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "booking-page"
# the visitor's zone: neither demo location's (New York, Los Angeles), so a zone mix-up shows
VISITOR_ZONE = "America/Chicago"
PHONE = (375, 667)
DESKTOP = (1280, 800)
PAID_TYPE = "Family Portrait"
UNPAID_TYPE = "Mini Session"
PAID_AMOUNT_MINOR = 5000
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

# The module's tests share one demo stack per backend (started once: CI time is budgeted), each
# booking times of its own. The flows that write the most (booking with payment, reschedule,
# cancel; a time taken meanwhile) run on PostgreSQL too where SHUTTERBOOK_TEST_POSTGRES_URL is
# set; the page's keyboard and embedding behaviour does not depend on the storage: SQLite only.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("booking_page")]
BOTH_BACKENDS = pytest.mark.parametrize("backend", backends())
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


# --- the browser ---------------------------------------------------------------------------------


async def _context(browser: Browser, size: tuple[int, int], base_url: str) -> BrowserContext:
    context = await browser.new_context(
        base_url=base_url,
        viewport={"width": size[0], "height": size[1]},
        timezone_id=VISITOR_ZONE,
        locale="en-US",
        is_mobile=size == PHONE,
        has_touch=size == PHONE,
    )
    context.set_default_timeout(20_000)
    return context


@dataclass
class Shots:
    """Numbered full-page screenshots of one run, under test-artifacts/booking-page/<size>/<flow>-NN-<step>.png."""

    folder: Path
    flow: str
    count: int = 0

    async def take(self, page: Page, name: str) -> None:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(self.folder / f"{self.flow}-{self.count:02d}-{name}.png"), full_page=True)


def _shots(size: tuple[int, int], flow: str) -> Shots:
    return Shots(ARTIFACTS / f"{size[0]}x{size[1]}", flow)


async def _heading_is_focused(page: Page | Frame, text: str) -> None:
    heading = page.get_by_role("heading", level=2, name=text)
    await expect(heading).to_be_visible()
    await expect(heading).to_be_focused()


# --- the API, as a partner sees it -----------------------------------------------------------------


@dataclass
class Api:
    http: httpx.AsyncClient
    key: str = DEMO_API_KEY
    types: dict[str, dict[str, Any]] = field(default_factory=dict)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"X-Api-Key": self.key, **extra}

    async def load_types(self) -> None:
        for kind in ("session-types", "appointment-types"):
            reply = await self.http.get(f"/v1/{kind}", headers=self.headers())
            assert reply.status_code == 200, reply.text
            for item in reply.json()["types"]:
                self.types[item["name"]] = item

    async def open_slot_ids(self, bookable: dict[str, Any]) -> set[str]:
        kind = "session-types" if bookable["kind"] == "session" else "appointment-types"
        today = datetime.now(ZoneInfo(VISITOR_ZONE)).date()
        found: set[str] = set()
        for offset in (0, 28):  # the page's two first windows
            start = today + timedelta(days=offset)
            token = ""
            while True:
                reply = await self.http.get(
                    f"/v1/{kind}/{bookable['id']}/open-slots",
                    headers=self.headers(),
                    params={
                        "start_date": start.isoformat(),
                        "end_date": (start + timedelta(days=27)).isoformat(),
                        "time_zone": VISITOR_ZONE,
                        "page_token": token,
                    },
                )
                assert reply.status_code == 200, reply.text
                found |= {slot["id"] for slot in reply.json()["slots"]}
                token = reply.json().get("next_page_token", "")
                if not token:
                    break
        return found

    async def booking(self, booking_id: str, token: str) -> dict[str, Any]:
        reply = await self.http.get(f"/v1/bookings/{booking_id}", headers=self.headers(**{"X-Booking-Token": token}))
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body


@asynccontextmanager
async def _demo_api(stack: Stack) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:
        api = Api(http)
        await _ensure_paid_type(stack)
        await api.load_types()
        yield api


@dataclass
class Demo:
    """A demo stack the module's tests share, and the API as its partner sees it."""

    backend: str
    stack: Stack
    api: Api


class DemoStacks:
    """The module's demo stacks, one per backend, each started when a test first asks for it."""

    def __init__(self, tmp: Path, nats_url: str, exits: AsyncExitStack) -> None:
        self.tmp = tmp
        self.nats_url = nats_url
        self.exits = exits
        self.started: dict[str, Demo] = {}

    async def get(self, backend: str) -> Demo:
        if backend not in self.started:
            databases = DatabaseFactory(backend=backend, tmp=self.tmp / backend, created=[])
            (self.tmp / backend).mkdir()
            self.exits.push_async_callback(databases.drop_all)
            stack = await self.exits.enter_async_context(booking_stack(databases, self.nats_url, demo=True))
            api = await self.exits.enter_async_context(_demo_api(stack))
            self.started[backend] = Demo(backend, stack, api)
        return self.started[backend]


@pytest.fixture(scope="module")
async def demo_stacks(
    tmp_path_factory: pytest.TempPathFactory, module_nats_server: EmbeddedNats
) -> AsyncIterator[DemoStacks]:
    async with AsyncExitStack() as exits:
        yield DemoStacks(tmp_path_factory.mktemp("booking-page"), module_nats_server.url, exits)


@pytest.fixture
async def demo(backend: str, demo_stacks: DemoStacks) -> Demo:
    return await demo_stacks.get(backend)


async def _ensure_paid_type(stack: Stack) -> None:
    """The demo's Family Portrait asks for a payment online (the listed price on its invoice),
    whatever the demo data says, so the payment step is always exercised."""
    meta = company_metadata(DEMO_COMPANY_ID)
    listed = await stack.services.scheduling.ListSessionTypes(pb.ListSessionTypesRequest(page_size=100), metadata=meta)
    family = next(t for t in listed.session_types if t.display_name == PAID_TYPE)
    if family.online.online_payment and family.online.payment_option != pb.PAYMENT_OPTION_NONE:
        return
    family.online.online_payment = True
    family.online.payment_option = pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE
    family.online.payment_amount.CopyFrom(money_pb2.Money(currency_code="USD", amount_minor=PAID_AMOUNT_MINOR))
    await stack.services.scheduling.UpdateSessionType(
        pb.UpdateSessionTypeRequest(session_type=family, update_mask=field_mask_pb2.FieldMask(paths=["online"])),
        metadata=meta,
    )


def _manage_token_of(href: str) -> tuple[str, str]:
    """(booking id, manage token) of the page's manage link."""
    parts = urlsplit(href)
    match = re.fullmatch(r"/book/manage/([0-9a-f-]+)", parts.path)
    assert match, href
    token = parse_qs(parts.fragment).get("token", [""])[0]
    assert token, href
    assert parse_qs(parts.query).get("key") == [DEMO_PUBLISHABLE_KEY], href
    return match.group(1), token


def _clock(instant: str, zone: str) -> str:
    """ "9:00 AM", as en-US shows a time."""
    local = datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def _usd(money: dict[str, Any]) -> str:
    return f"${money['amount_minor'] // 100:,}.{money['amount_minor'] % 100:02d}"


def _policy_words(policy: dict[str, Any]) -> str:
    if policy["kind"] == "keep_fee":
        return f"{_usd(policy['fee'])} cancellation fee"
    return {"refund_in_full": "Free cancellation", "keep_deposit": "kept by the studio"}.get(
        policy["kind"], "the studio decides"
    )


def _normalized(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\u202f", " ").replace("\u2009", " ")).strip()


async def _choose_location(page: Page | Frame, shots: Shots | None = None) -> str:
    """The demo studio has two locations: the customer picks one before any times show."""
    heading = page.get_by_role("heading", level=2, name="Choose a location")
    await expect(heading).to_be_visible()
    await expect(page.locator("input[name=location]")).to_have_count(2)
    if shots is not None and isinstance(page, Page):
        await shots.take(page, "locations")
    await page.locator("input[name=location]").first.check()
    name = _normalized(await page.locator("input[name=location]:checked ~ .card-body .card-title").text_content())
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=2, name=re.compile("^Choose a day"))).to_be_visible()
    await expect(page.locator(".chosen-location")).to_have_text(f"At {name}")
    return name


async def _read_download(download: Download) -> bytes:
    path = await download.path()
    return await asyncio.to_thread(Path(path).read_bytes)


async def _no_internal_ids(page: Page | Frame) -> None:
    """What the customer reads shows names and numbers, never an id."""
    text = await page.locator("body").inner_text()
    assert not UUID.search(text), text


async def _chosen_value(page: Page, name: str) -> str:
    value = await page.locator(f"input[name={name}]:checked").get_attribute("value")
    assert value
    return value


# --- the flows ---------------------------------------------------------------------------------------


async def _book_with_payment(page: Page, api: Api, shots: Shots, *, first_failure: str) -> tuple[str, str, str]:
    """From /book to the confirmation, paying with the sandbox card, after one attempt the API refuses
    (`first_failure`: "declined" card or "bad_phone"); returns (booking id, token, slot id)."""
    paid = api.types[PAID_TYPE]
    assert paid["payment"]["required"]
    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" and r.url.endswith("/v1/bookings") else None)

    await page.goto(f"/book?key={DEMO_PUBLISHABLE_KEY}")
    await expect(page.get_by_role("heading", level=2, name="Choose what to book")).to_be_visible()
    assert await page.get_attribute("html", "lang") == "en"
    await expect(page.get_by_text(paid["marketing_description"])).to_be_visible()
    await shots.take(page, "types")
    await page.get_by_role("radio", name=re.compile(PAID_TYPE)).check()
    await page.get_by_role("button", name="Continue").click()

    await _heading_is_focused(page, "Choose a location")
    location = await _choose_location(page, shots)
    await _heading_is_focused(page, "Choose a day")
    await shots.take(page, "days")
    await page.get_by_role("radio").first.check()
    await page.get_by_role("button", name="Continue").click()

    await expect(page.get_by_role("heading", level=2, name=re.compile("^Choose a time on"))).to_be_focused()
    await expect(page.get_by_text(f"your time zone, {VISITOR_ZONE}")).to_be_visible()
    # only the chosen location's times
    await expect(page.locator("fieldset.slots legend")).to_have_count(1)
    await expect(page.locator("fieldset.slots legend")).to_contain_text(location)
    await shots.take(page, "slots")
    await page.get_by_role("radio").first.check()
    slot_id = await _chosen_value(page, "slot")
    await page.get_by_role("button", name="Continue").click()

    await _heading_is_focused(page, "Your details")
    await page.get_by_label("First name").first.fill("Ada")
    await page.get_by_label("Last name").first.fill("Lovelace")
    await page.get_by_label("Email").fill("not-an-email")
    await page.get_by_role("button", name="Continue to payment").click()
    email = page.get_by_label("Email")
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#email-error")).to_be_visible()
    assert "email-error" in (await email.get_attribute("aria-describedby") or "")
    await shots.take(page, "details-error")
    await email.fill("ada@example.com")
    phone = page.get_by_label("Phone")
    await phone.fill("312 555 0100" if first_failure == "bad_phone" else "+1 312 555 0100")
    await page.get_by_role("button", name="Add a person").click()
    await expect(page.locator("#participant-0-given")).to_be_focused()
    await page.locator("#participant-0-given").fill("Byron")
    await page.locator("#participant-0-family").fill("Lovelace")
    await page.locator("#participant-0-relationship").select_option("child")
    await shots.take(page, "details")
    await page.get_by_role("button", name="Continue to payment").click()

    await _heading_is_focused(page, "Payment")
    card = page.get_by_label("Card (sandbox)")
    if first_failure == "declined":
        await card.select_option("tok_sandbox_declined")
        await page.get_by_role("button", name="Pay and book").click()
        await expect(page.get_by_role("alert")).to_be_visible()
        await expect(card).to_have_attribute("aria-invalid", "true")
        await expect(page.get_by_role("heading", level=2, name="Payment")).to_be_visible()
        await shots.take(page, "pay-declined")
        await card.select_option("tok_sandbox_ok")
    elif first_failure == "bad_phone":
        # the API refuses the phone (not E.164): back to the details, the error next to the field
        await page.get_by_role("button", name="Pay and book").click()
        await expect(page.get_by_role("heading", level=2, name="Your details")).to_be_visible()
        await expect(page.get_by_role("alert")).to_be_visible()
        await expect(phone).to_have_attribute("aria-invalid", "true")
        await expect(phone).to_be_focused()  # the field to fix takes the focus
        assert "phone-error" in (await phone.get_attribute("aria-describedby") or "")
        assert "phone-hint" in (await phone.get_attribute("aria-describedby") or "")
        await expect(page.locator("#phone-error")).to_contain_text("country code")  # not the schema message
        await shots.take(page, "details-phone-refused")
        await phone.fill("+1 312 555 0100")
        await page.get_by_role("button", name="Continue to payment").click()
        await _heading_is_focused(page, "Payment")
    # before paying: the tax, the total, what is taken now and what is left, and the policy
    quote = paid["price"]
    assert quote["tax"]["amount_minor"] > 0
    for amount, money in (
        ("tax", quote["tax"]),
        ("total", quote["total"]),
        ("due", quote["due_now"]),
        ("balance", quote["balance"]),
    ):
        await expect(page.locator(f"[data-amount={amount}]")).to_have_text(_usd(money))
    await expect(page.locator("[data-policy]")).to_contain_text(_policy_words(paid["cancellation_policy"]))
    await shots.take(page, "pay")
    # a double click books once: the button is disabled while the request is in flight
    await page.get_by_role("button", name="Pay and book").dblclick()

    await _heading_is_focused(page, "You're booked")
    await shots.take(page, "confirmation")
    bodies: list[dict[str, Any]] = [json.loads(r.post_data or "{}") for r in posted]
    keys = [r.headers.get("idempotency-key", "") for r in posted]
    # the refused attempt, then one request despite the double click
    assert len(posted) == 2, keys
    assert all(re.fullmatch(r"[0-9a-f-]{36}", k) for k in keys), keys
    assert len(set(keys)) == 2, keys  # a changed request is a new attempt with a new key
    assert bodies[0]["payment_token"] == ("tok_sandbox_declined" if first_failure == "declined" else "tok_sandbox_ok")
    body = bodies[-1]
    assert body["payment_token"] == "tok_sandbox_ok"
    assert body["slot_id"] == slot_id
    assert body["client"] == {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+13125550100",
    }
    assert body["participants"] == [{"given_name": "Byron", "family_name": "Lovelace", "relationship": "child"}]

    href = await page.locator("a[data-manage-link]").get_attribute("href")
    assert href
    booking_id, token = _manage_token_of(href)
    return booking_id, token, slot_id


async def _check_confirmation(page: Page, api: Api, booking: dict[str, Any]) -> None:
    address = api.types[PAID_TYPE]["location_address"] or booking["location"]["address_text"]
    assert address
    await expect(page.locator("[data-detail=address]")).to_have_text(address)
    when = page.locator("[data-detail=when] time")
    assert await when.get_attribute("datetime") == booking["start_time"]
    text = _normalized(await page.locator("[data-detail=when]").text_content())
    assert _clock(booking["start_time"], VISITOR_ZONE) in text, text
    assert _clock(booking["end_time"], VISITOR_ZONE) in text, text
    assert VISITOR_ZONE in text, text
    await expect(page.locator("[data-detail=type]")).to_have_text(booking["type"]["name"])
    charged = booking["payment"]["charged"]
    assert charged == {"amount_minor": PAID_AMOUNT_MINOR, "currency_code": "USD"} or (
        charged is not None and charged["amount_minor"] > 0
    )
    await expect(page.locator("[data-detail=paid]")).to_have_text(re.compile(r"\$\d"))
    quote = api.types[PAID_TYPE]["price"]
    await expect(page.locator("[data-amount=total]")).to_have_text(_usd(quote["total"]))
    await expect(page.locator("[data-amount=balance]")).to_have_text(
        _usd({"amount_minor": quote["total"]["amount_minor"] - charged["amount_minor"]})
    )
    await expect(page.locator("[data-detail=number]")).to_have_text(booking["number"])
    await _no_internal_ids(page)
    # add to calendar: the .ics the customer downloads is this booking, at the studio's wall clock
    async with page.expect_download() as download_info:
        await page.locator("button[data-ics]").click()
    download = await download_info.value
    assert download.suggested_filename == "booking.ics"
    event: Any = Calendar.from_ical(await _read_download(download)).walk("VEVENT")[0]
    assert str(event["uid"]) == f"{booking['id']}@shutterbook"
    assert event["dtstart"].dt == datetime.fromisoformat(booking["start_time"])
    assert event["dtstart"].params["TZID"] == booking["time_zone"]
    google = await page.get_by_role("link", name="Google Calendar").get_attribute("href")
    assert google
    assert google.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")


async def _reschedule_and_cancel(
    page: Page, api: Api, shots: Shots, booking_id: str, token: str, first_slot: str
) -> None:
    await page.locator("a[data-manage-link]").click()
    await expect(page.get_by_role("heading", level=2, name="Your booking")).to_be_visible()
    await expect(page.locator("[data-detail=number]")).to_have_text((await api.booking(booking_id, token))["number"])
    await _no_internal_ids(page)
    await shots.take(page, "manage")

    await page.get_by_role("button", name="Reschedule").click()
    await _heading_is_focused(page, "Choose a new day")
    await shots.take(page, "reschedule-days")
    await page.get_by_role("radio").first.check()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=2, name=re.compile("^Choose a time on"))).to_be_focused()
    slots = page.locator("input[name=slot]")
    assert first_slot not in [await s.get_attribute("value") for s in await slots.all()]
    await slots.first.check()
    new_slot = await _chosen_value(page, "slot")
    await shots.take(page, "reschedule-slots")
    await page.get_by_role("button", name="Move my booking to this time").click()
    await _heading_is_focused(page, "Your booking")
    await expect(page.locator(".notice")).to_have_text("Your booking was moved to the new time.")
    await expect(page.get_by_role("status")).to_have_text("Your booking was moved to the new time.")
    await shots.take(page, "rescheduled")

    moved = await api.booking(booking_id, token)
    assert moved["status"] == "confirmed"
    open_now = await api.open_slot_ids(api.types[PAID_TYPE])
    assert new_slot not in open_now
    assert first_slot in open_now  # the old time is free again
    assert await page.locator("[data-detail=when] time").get_attribute("datetime") == moved["start_time"]

    await page.get_by_role("button", name="Cancel booking").click()
    await _heading_is_focused(page, "Cancel this booking?")
    policy = api.types[PAID_TYPE]["cancellation_policy"]
    await expect(page.locator("[data-policy]")).to_contain_text(_policy_words(policy))
    await shots.take(page, "cancel-confirm")
    assert (await api.booking(booking_id, token))["status"] == "confirmed"  # asking is not cancelling
    await page.get_by_role("button", name="Yes, cancel my booking").click()
    await _heading_is_focused(page, "Your booking is cancelled")
    await expect(page.locator("[data-detail=status]")).to_have_text("Cancelled")
    await expect(page.get_by_role("button", name="Reschedule")).to_have_count(0)
    await shots.take(page, "cancelled")

    cancelled = await api.booking(booking_id, token)
    assert cancelled["status"] == "cancelled"
    if cancelled["payment"]["refunded"]:  # the outcome the policy gave, on the screen
        await expect(page.locator("[data-outcome=refunded]")).to_contain_text(_usd(cancelled["payment"]["refunded"]))
    else:
        await expect(page.locator("[data-outcome]")).to_be_visible()
    assert new_slot in await api.open_slot_ids(api.types[PAID_TYPE])


@pytest.mark.parametrize(
    ("backend", "size"),
    [
        pytest.param("sqlite", PHONE, id="sqlite-phone"),
        pytest.param("sqlite", DESKTOP, id="sqlite-desktop"),
        *[pytest.param(backend, DESKTOP, id=f"{backend}-desktop") for backend in backends() if backend != "sqlite"],
    ],
)
async def test_book_with_payment_then_reschedule_and_cancel(
    demo: Demo, browser: Browser, size: tuple[int, int]
) -> None:
    shots = _shots(size, f"{demo.backend}-book")
    stack, api = demo.stack, demo.api
    context = await _context(browser, size, stack.base_url)
    page = await context.new_page()
    open_before = await api.open_slot_ids(api.types[PAID_TYPE])

    booking_id, token, slot_id = await _book_with_payment(
        page, api, shots, first_failure="declined" if size == DESKTOP else "bad_phone"
    )

    assert slot_id in open_before
    booking = await api.booking(booking_id, token)
    assert booking["status"] == "confirmed"
    assert booking["type"]["id"] == api.types[PAID_TYPE]["id"]
    assert slot_id not in await api.open_slot_ids(api.types[PAID_TYPE])
    await _check_confirmation(page, api, booking)
    # nothing overflows sideways at this size
    assert await page.evaluate("document.documentElement.scrollWidth") <= size[0]

    await _reschedule_and_cancel(page, api, shots, booking_id, token, slot_id)
    await context.close()


async def _book_first_open_slot(page: Page | Frame, bookable: dict[str, Any], shots: Shots | None = None) -> str:
    """From the location step: the first location, day and time, a client's details, (payment,)
    booked; returns the slot id."""
    await _choose_location(page)
    await page.get_by_role("radio").first.check()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=2, name=re.compile("^Choose a time on"))).to_be_visible()
    await page.get_by_role("radio").first.check()
    slot_id = await page.locator("input[name=slot]:checked").get_attribute("value")
    assert slot_id
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=2, name="Your details")).to_be_visible()
    await page.get_by_label("First name").first.fill("Grace")
    await page.get_by_label("Last name").first.fill("Hopper")
    await page.get_by_label("Email").fill("grace@example.com")
    if shots is not None and isinstance(page, Page):
        await shots.take(page, "details")
    if bookable["payment"]["required"]:
        await page.get_by_role("button", name="Continue to payment").click()
        await page.get_by_role("button", name="Pay and book").click()
    else:
        await page.get_by_role("button", name="Book now").click()
    await expect(page.get_by_role("heading", level=2, name="You're booked")).to_be_visible()
    return slot_id


@BOTH_BACKENDS
async def test_per_type_url_skips_the_type_choice(demo: Demo, browser: Browser) -> None:
    shots = _shots(PHONE, f"{demo.backend}-per-type")
    stack, api = demo.stack, demo.api
    mini = api.types[UNPAID_TYPE]
    # "Copy Online Booking URL" gives the page's per-type address
    assert urlsplit(mini["booking_url"]).path == f"/book/session-types/{mini['id']}"
    context = await _context(browser, PHONE, stack.base_url)
    page = await context.new_page()

    await page.goto(f"/book/session-types/{mini['id']}?key={DEMO_PUBLISHABLE_KEY}")
    await _choose_location(page, shots)
    await expect(page.locator("input[name=type]")).to_have_count(0)
    await expect(page.get_by_role("button", name="Back", exact=True)).to_have_count(0)
    await expect(page.locator(".summary strong")).to_have_text(mini["name"])
    await shots.take(page, "days")

    # someone else books the chosen time while this visitor types: the page says so and
    # offers the times still open
    await page.get_by_role("radio").first.check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("radio").first.check()
    taken = await _chosen_value(page, "slot")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("First name").first.fill("Grace")
    await page.get_by_label("Email").fill("grace@example.com")
    other = await api.http.post(
        "/v1/bookings",
        headers=api.headers(**{"Idempotency-Key": "someone-else"}),
        json={"slot_id": taken, "client": {"given_name": "Other", "email": "other@example.com"}},
    )
    assert other.status_code == 201, other.text
    assert not mini["payment"]["required"]
    await page.get_by_role("button", name="Book now").click()
    await expect(page.get_by_role("alert")).to_contain_text("that time was just taken")
    await expect(page.get_by_role("heading", level=2, name=re.compile("^Choose a (time on|day)"))).to_be_focused()
    await expect(page.locator(f"input[value='{taken}']")).to_have_count(0)
    await shots.take(page, "slot-taken")
    if await page.get_by_role("heading", level=2, name="Choose a day").count():
        await page.get_by_role("radio").first.check()
        await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("radio").first.check()
    slot_id = await _chosen_value(page, "slot")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_label("First name").first).to_have_value("Grace")  # the details are kept
    await page.get_by_role("button", name="Book now").click()
    await _heading_is_focused(page, "You're booked")
    await shots.take(page, "confirmation")

    href = await page.locator("a[data-manage-link]").get_attribute("href")
    assert href
    booking_id, token = _manage_token_of(href)
    booking = await api.booking(booking_id, token)
    assert booking["type"]["id"] == mini["id"]
    assert booking["status"] == "confirmed"
    assert slot_id not in await api.open_slot_ids(mini)

    # a per-type link of a type that is not (or no longer) online says so
    await page.goto(f"/book/session-types/00000000-0000-4000-8000-000000000000?key={DEMO_PUBLISHABLE_KEY}")
    await expect(page.get_by_role("heading", level=2, name="This booking link is no longer available")).to_be_visible()
    # and a page without a partner key says what is missing
    await page.goto("/book")
    await expect(page.get_by_role("heading", level=2, name="This booking page is not set up")).to_be_visible()
    await context.close()


async def _tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab (only Tab) until the focused element matches `selector`."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement !== null && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def _focus_is_visible(page: Page) -> None:
    style = await page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, document.activeElement.matches(':focus-visible')]; }"
    )
    assert style[0] != "none", style
    assert style[1] != "0px", style
    assert style[2], style


@SQLITE_ONLY
async def test_keyboard_only_booking(demo: Demo, browser: Browser) -> None:
    shots = _shots(DESKTOP, f"{demo.backend}-keyboard")
    stack, api = demo.stack, demo.api
    context = await _context(browser, DESKTOP, stack.base_url)
    page = await context.new_page()
    await page.goto(f"/book?key={DEMO_PUBLISHABLE_KEY}")
    await expect(page.get_by_role("heading", level=2, name="Choose what to book")).to_be_visible()

    await _tab_to(page, "input[name=type]")
    await page.keyboard.press("Space")
    chosen_type = await page.locator("input[name=type]:checked").get_attribute("value")
    assert chosen_type
    bookable = next(t for t in api.types.values() if chosen_type.endswith("/" + t["id"]))
    await _tab_to(page, "button[type=submit]")
    await _focus_is_visible(page)
    await shots.take(page, "types")
    await page.keyboard.press("Enter")

    await _heading_is_focused(page, "Choose a location")
    await _tab_to(page, "input[name=location]")
    await page.keyboard.press("Space")
    await _tab_to(page, "button[type=submit]")
    await page.keyboard.press("Enter")

    await _heading_is_focused(page, "Choose a day")
    await _tab_to(page, "input[name=day]")
    await page.keyboard.press("Space")
    await _tab_to(page, "button[type=submit]")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", level=2, name=re.compile("^Choose a time on"))).to_be_focused()
    await _tab_to(page, "input[name=slot]")
    await page.keyboard.press("Space")
    slot_id = await page.locator("input[name=slot]:checked").get_attribute("value")
    assert slot_id
    await shots.take(page, "slots")
    await _tab_to(page, "button[type=submit]")
    await page.keyboard.press("Enter")

    await _heading_is_focused(page, "Your details")
    for selector, text in (("#given-name", "Alan"), ("#family-name", "Turing"), ("#email", "alan@example.com")):
        await _tab_to(page, selector)
        await page.keyboard.type(text)
    await shots.take(page, "details")
    await _tab_to(page, "button[type=submit]")
    await page.keyboard.press("Enter")
    if bookable["payment"]["required"]:
        await _heading_is_focused(page, "Payment")
        await _tab_to(page, "button[type=submit]")
        await page.keyboard.press("Space")

    await _heading_is_focused(page, "You're booked")
    await shots.take(page, "confirmation")
    href = await page.locator("a[data-manage-link]").get_attribute("href")
    assert href
    booking_id, token = _manage_token_of(href)
    booking = await api.booking(booking_id, token)
    assert booking["status"] == "confirmed"
    assert booking["type"]["id"] == bookable["id"]
    assert slot_id not in await api.open_slot_ids(bookable)
    await context.close()


@contextmanager
def _partner_site(folder: Path, html: str) -> Iterator[str]:
    """A partner's web page on its own origin (a plain http server on 127.0.0.1)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(html)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def _frame_fits(page: Page, selector: str) -> None:
    """The iframe's height follows its page's content (posted by the page, applied by embed.js)."""
    handle = await page.locator(selector).element_handle()
    assert handle is not None
    frame = await handle.content_frame()
    assert frame is not None

    async def fits() -> bool:
        inner = await frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
        outer = await handle.evaluate("el => el.style.height")
        return bool(inner > 0 and outer == f"{inner}px")

    await eventually(fits, what="the iframe to take its content's height")


@SQLITE_ONLY
async def test_embed_script_inserts_the_page_as_an_iframe(demo: Demo, browser: Browser, tmp_path: Path) -> None:
    shots = _shots(PHONE, f"{demo.backend}-embed")
    stack, api = demo.stack, demo.api
    mini = api.types[UNPAID_TYPE]
    page_reply = await api.http.get(f"/book/session-types/{mini['id']}")
    assert page_reply.status_code == 200
    assert "x-frame-options" not in page_reply.headers
    policy = page_reply.headers["content-security-policy"]
    assert "frame-ancestors *" in policy
    assert "default-src 'self'" in policy
    schema = await api.http.get("/docs/openapi.json")
    assert schema.status_code == 200
    assert not [path for path in schema.json()["paths"] if path.startswith("/book")]  # pages are not API
    script_reply = await api.http.get("/book/embed.js")
    assert script_reply.status_code == 200
    assert "javascript" in script_reply.headers["content-type"]

    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner studio</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Partner studio</h1><p>Book your mini session below.</p>
<script src="{stack.base_url}/book/embed.js" data-key="{DEMO_PUBLISHABLE_KEY}" data-type="session-types/{mini["id"]}"
  async></script>
<p id="after">Footer of the partner's page.</p>
<iframe id="plain" src="{stack.base_url}/book?key={DEMO_PUBLISHABLE_KEY}" title="Book with us"
  width="100%" height="600"></iframe>
</body></html>"""
    with _partner_site(tmp_path / "partner", html) as partner_url:
        context = await _context(browser, PHONE, stack.base_url)
        page = await context.new_page()
        await page.goto(partner_url)
        embedded = page.locator("iframe[data-shutterbook-booking]")
        await expect(embedded).to_have_count(1)
        await expect(embedded).to_have_attribute("title", "Book online")
        assert await embedded.get_attribute("src") == (
            f"{stack.base_url}/book/session-types/{mini['id']}?key={DEMO_PUBLISHABLE_KEY}"
        )
        # inserted where the script tag is, before the rest of the partner's page
        assert (
            await page.evaluate(
                "() => document.querySelector('iframe[data-shutterbook-booking]').nextElementSibling.id"
            )
            == "after"
        )
        inner = page.frame_locator("iframe[data-shutterbook-booking]")
        await expect(inner.get_by_role("heading", level=2, name="Choose a location")).to_be_visible()
        await expect(inner.locator(".summary strong")).to_have_text(mini["name"])
        await expect(inner.get_by_role("heading", level=1)).to_be_hidden()  # the partner has its own
        await _frame_fits(page, "iframe[data-shutterbook-booking]")
        await shots.take(page, "partner-days")

        handle = await embedded.element_handle()
        assert handle is not None
        frame = await handle.content_frame()
        assert frame is not None
        slot_id = await _book_first_open_slot(frame, mini)
        await _frame_fits(page, "iframe[data-shutterbook-booking]")
        await shots.take(page, "partner-confirmation")
        href = await frame.locator("a[data-manage-link]").get_attribute("href")
        assert href
        booking_id, token = _manage_token_of(href)
        assert (await api.booking(booking_id, token))["status"] == "confirmed"
        assert slot_id not in await api.open_slot_ids(mini)

        plain = page.frame_locator("#plain")
        await expect(plain.get_by_role("heading", level=2, name="Choose what to book")).to_be_visible()
        await context.close()


@SQLITE_ONLY
async def test_the_page_shows_the_studio_name_logo_and_colour(demo: Demo, browser: Browser) -> None:
    """The demo studio's company profile (name, logo, brand colour; set up on the console's
    Company screen, seeded by `make run`) heads the page on a phone and on a desktop."""
    profile = await demo.stack.services.scheduling.GetCompanyProfile(
        pb.GetCompanyProfileRequest(name="companyProfile"), metadata=company_metadata(DEMO_COMPANY_ID)
    )
    assert profile.display_name
    assert profile.logo_etag
    for size in (PHONE, DESKTOP):
        shots = _shots(size, f"{demo.backend}-studio")
        context = await _context(browser, size, demo.stack.base_url)
        page = await context.new_page()
        await page.goto(f"/book?key={DEMO_PUBLISHABLE_KEY}")
        await expect(page.locator("#page-title")).to_have_text(profile.display_name)
        logo = page.get_by_role("img", name=f"{profile.display_name} logo")
        await expect(logo).to_be_visible()
        await expect(logo).to_have_attribute(
            "src", re.compile(f"/book/images/{DEMO_COMPANY_ID}/logo/{profile.logo_etag}$")
        )
        assert await logo.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0  # it decodes
        accent = await page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
        assert accent.lower() == profile.brand_color.lower()
        await expect(page.get_by_role("heading", level=2, name="Choose what to book")).to_be_visible()
        await expect(page).to_have_title(f"Choose what to book – {profile.display_name}")
        await shots.take(page, "header")
        await context.close()
