"""The console's pages in a real browser (Debian chromium through Playwright), driven from the
keyboard: log in (a wrong password first), see who is logged in with roles and location names
(from a real scheduling service seeded with two locations), change the password, log out,
and reset a forgotten password through the mailed link.

Screenshots at 1280x800 and 1024x768 go to test-artifacts/console/<size>/."""

from __future__ import annotations

from pathlib import Path

import grpc
from playwright.async_api import Browser, Page, expect

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console import main as console_main
from shutterbook_console.demo import seed_demo_staff
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_kit.demo import DEMO_STAFF_PASSWORD
from tests.console_support import COMPANY, console
from tests.helpers import clients_and_scheduling

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "console"
SIZES = [(1280, 800), (1024, 768)]
DESK = "frontdesk@example.com"


async def _shot(page: Page, size: tuple[int, int], name: str) -> None:
    folder = ARTIFACTS / f"{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def _type_into(page: Page, label: str, text: str) -> None:
    field = page.get_by_label(label, exact=True)
    await field.focus()
    await field.fill("")
    await page.keyboard.type(text)


async def test_login_logout_and_password_pages_by_keyboard(
    browser: Browser, sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with clients_and_scheduling(sqlite_databases, nats_server.url) as services:
        for name, zone in (("Downtown Studio", "America/New_York"), ("Bayside Studio", "America/Los_Angeles")):
            await services.scheduling.CreateLocation(
                pb.CreateLocationRequest(location=pb.Location(display_name=name, time_zone=zone)),
                metadata=company_metadata(COMPANY),
            )
        console_db = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
        scheduling = f"127.0.0.1:{services.scheduling_port}"
        async with console(console_db, scheduling=scheduling) as c:
            async with grpc.aio.insecure_channel(scheduling) as channel:
                assert await seed_demo_staff(channel, COMPANY, console_db) == 4
            for size in SIZES:
                context = await browser.new_context(
                    base_url=c.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
                )
                page = await context.new_page()
                await _walk_through(page, size, c.mailer)
                await context.close()


async def _walk_through(page: Page, size: tuple[int, int], mailer: object) -> None:
    # not logged in: the console sends you to the login page
    await page.goto("/")
    await expect(page).to_have_url(f"{page.url.split('/login')[0]}/login")
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await expect(page.get_by_label("Email", exact=True)).to_be_focused()
    await _shot(page, size, "01-login")

    # a wrong password: one generic error, the email kept, the password not
    await page.keyboard.type(DESK)
    await page.keyboard.press("Tab")
    await page.keyboard.type("not the password")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_have_text("The email or password is not right.")
    await expect(page.get_by_label("Email", exact=True)).to_have_value(DESK)
    await expect(page.get_by_label("Password", exact=True)).to_have_value("")
    await expect(page.get_by_label("Password", exact=True)).to_be_focused()
    await _shot(page, size, "02-login-wrong-password")

    await page.keyboard.type(DEMO_STAFF_PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Welcome, Priya")).to_be_visible()
    facts = page.locator("dl.facts")
    await expect(facts).to_contain_text("Front desk")
    await expect(facts).to_contain_text("Downtown Studio")
    await expect(facts).to_contain_text("Bayside Studio")
    await _shot(page, size, "03-home")
    cookies = {cookie["name"]: cookie for cookie in await page.context.cookies()}
    assert cookies["sb_console_session"]["httpOnly"] is True
    assert cookies["sb_console_session"]["sameSite"] == "Lax"

    # change password: errors by the fields, then done
    await page.get_by_role("link", name="Change password").click()
    await _type_into(page, "Current password", DEMO_STAFF_PASSWORD)
    await _type_into(page, "New password", "a new long password")
    await _type_into(page, "New password again", "a different one!!")
    await page.keyboard.press("Enter")
    await expect(page.locator("#confirm_password-error")).to_have_text("⚠ The two new passwords are not the same")
    await expect(page.get_by_role("alert")).to_have_text("Please correct the field marked below.")
    await _shot(page, size, "04-change-password-error")
    await _type_into(page, "Current password", DEMO_STAFF_PASSWORD)
    await _type_into(page, "New password", "a new long password")
    await _type_into(page, "New password again", "a new long password")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    await page.get_by_role("link", name="Back to the console").click()

    # log out from the keyboard
    logout = page.get_by_role("button", name="Log out")
    await logout.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("You are logged out.")
    await _shot(page, size, "05-logged-out")
    assert "sb_console_session" not in {cookie["name"] for cookie in await page.context.cookies()}
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    # forgot password -> the mailed link -> a new password -> log in with it
    await page.get_by_role("link", name="Forgot your password?").click()
    await _shot(page, size, "06-forgot-password")
    await page.keyboard.type(DESK)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    await _shot(page, size, "07-reset-link-sent")
    link = mailer.sent[-1].link  # type: ignore[attr-defined]
    await page.goto(link)
    await expect(page.get_by_label("New password", exact=True)).to_be_focused()
    assert "token" not in page.url  # the token left the address bar
    await _shot(page, size, "08-reset-password")
    await page.keyboard.type(DEMO_STAFF_PASSWORD)
    await _type_into(page, "New password again", DEMO_STAFF_PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    await page.get_by_role("link", name="Log in").click()
    await _type_into(page, "Email", DESK)
    await _type_into(page, "Password", DEMO_STAFF_PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Welcome, Priya")).to_be_visible()
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("status")).to_have_text("You are logged out.")
