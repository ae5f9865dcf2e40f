"""The picture day portal (issue 21) in Debian chromium at 375x667, against scheduling and the
clients service behind the gateway: a parent opens the letter's link with the family's code,
books a time for the children, changes it, and the studio sees the progress change; a wrong
code gets the code form again; guessed codes are throttled per address, and then even a
good code from that address waits. Screenshots under test-artifacts/picture-day/375x667/."""

from __future__ import annotations

import secrets

import httpx
from playwright.async_api import Browser, expect

from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway import main as gateway_main
from shutterbook_gateway.application.api_keys import issue_key
from shutterbook_kit.db import Database
from tests.browser_support import screenshot
from tests.bulk_support import bulk_slice
from tests.helpers import gateway
from tests.picture_day_support import family, organization, picture_day, picture_day_stub, wait_known
from tests.scheduling_support import COMPANY_A, A, make_studio

PHONE = (375, 667)
FOLDER = "picture-day"


async def test_a_parent_books_and_changes_a_time_with_the_code(
    databases: DatabaseFactory, nats_server: EmbeddedNats, browser: Browser
) -> None:
    async with bulk_slice(databases, nats_server.url) as s:
        days = picture_day_stub(s)
        studio = await make_studio(s.scheduling)
        school = await organization(s, "Lincoln Elementary")
        rivera = await family(s, school, "Rivera", ["Mia", "Leo"], email="rivera@example.com")
        other = await family(s, school, "Okafor", ["Ada"])
        await wait_known(s, [rivera, other])
        day = await days.CreatePictureDay(
            pdpb.CreatePictureDayRequest(
                picture_day=picture_day(studio, school, slots_from=(8, 30), slots_until=(11, 0), minutes=10)
            ),
            metadata=A,
        )
        codes = {
            c.client: c.access_code
            for c in (
                await days.IssuePictureDayAccessCodes(
                    pdpb.IssuePictureDayAccessCodesRequest(parent=day.name), metadata=A
                )
            ).access_codes
        }
        gateway_db = await databases.new("gateway", migrate_with=gateway_main.MIGRATIONS)
        db = Database(gateway_db)
        try:
            key = await issue_key(db, COMPANY_A, "picture day page", publishable=True)
        finally:
            await db.dispose()
        # billing is not called by the portal: nothing listens at its address
        upstreams = {
            "clients": s.clients_target,
            "scheduling": f"127.0.0.1:{s.scheduling.host.port}",
            "billing": "127.0.0.1:1",
        }
        async with gateway(gateway_db, upstreams, nats_server.url) as base_url:
            context = await browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, base_url=base_url)
            page = await context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())

            # a wrong code: the code form, saying so
            await page.goto(f"/picture-day?key={key}#code=not-a-real-code-at-all")
            await expect(page.get_by_role("alert")).to_contain_text("does not open a picture day")
            await screenshot(page, FOLDER, PHONE, "01-wrong-code")

            # the letter's link: the family, its children, the times
            await page.goto(f"/picture-day?key={key}#code={codes[rivera.name]}")
            await expect(page.get_by_role("heading", name="Lincoln Elementary 2026")).to_be_visible()
            await expect(page.get_by_text("Hello, Alex Rivera.")).to_be_visible()
            assert "code=" not in page.url  # the code leaves the address bar
            await screenshot(page, FOLDER, PHONE, "02-family")
            await page.locator(".pd-times .button").first.click()
            await expect(page.get_by_role("status").first).to_contain_text("Booked:")
            await expect(page.locator(".pd-when")).to_have_count(2)
            await screenshot(page, FOLDER, PHONE, "03-booked")
            progress = (await days.GetPictureDay(pdpb.GetPictureDayRequest(name=day.name), metadata=A)).progress
            assert (progress.families_booked, progress.children_booked) == (1, 2)

            # change the time: the same booking, another slot
            before = await page.locator(".pd-when").first.inner_text()
            await page.get_by_role("button", name="Change time").first.click()
            await screenshot(page, FOLDER, PHONE, "04-choose-new-time")
            await page.locator(".pd-times .button").nth(3).click()
            await expect(page.get_by_text("Changed to")).to_be_visible()
            after = await page.locator(".pd-when").first.inner_text()
            assert after != before
            await screenshot(page, FOLDER, PHONE, "05-changed")
            families = await days.ListPictureDayFamilies(
                pdpb.ListPictureDayFamiliesRequest(parent=day.name, only_not_booked=True), metadata=A
            )
            assert [f.client for f in families.families] == [other.name]

            # cancel: the children have no time again
            await page.get_by_role("button", name="Cancel").first.click()
            await expect(page.get_by_text("Cancelled.")).to_be_visible()
            await expect(page.locator(".pd-none")).to_have_count(2)
            progress = (await days.GetPictureDay(pdpb.GetPictureDayRequest(name=day.name), metadata=A)).progress
            assert progress.families_booked == 0
            await context.close()

            # guessed codes: nothing, then throttled; then even the right code waits
            async with httpx.AsyncClient(base_url=base_url, headers={"X-Api-Key": key}) as http:
                statuses = []
                for _ in range(40):
                    answer = await http.get("/v1/picture-day", headers={"X-Access-Code": secrets.token_urlsafe(15)})
                    statuses.append(answer.status_code)
                    if answer.status_code == 429:
                        break
                assert set(statuses[:-1]) == {404}
                assert statuses[-1] == 429
                good = await http.get("/v1/picture-day", headers={"X-Access-Code": codes[rivera.name]})
                assert good.status_code == 429
                assert int(good.headers["Retry-After"]) >= 1
