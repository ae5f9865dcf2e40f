"""The picture day portal (issue 21) in Debian chromium at 375x667, against scheduling and the
clients service behind the gateway, with notifications sending to the local SMTP sink: a
parent opens the letter's link with the family's code, books a time for the children and
gets the confirmation email with its calendar file, changes the time and gets a second
email, and the studio sees the progress change; a wrong code gets the code form again;
guessed codes are throttled per address, and then even a good code from that address waits.
Screenshots under test-artifacts/picture-day/375x667/."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import httpx
from icalendar import Calendar
from playwright.async_api import Browser, Dialog, expect

from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from tests.browser_support import screenshot
from tests.bulk_support import BulkSlice, bulk_slice
from tests.notifications_support import attachment, mails, notifications_service, text_of
from tests.picture_day_support import (
    family,
    issue_codes,
    organization,
    picture_day,
    picture_day_stub,
    portal,
    wait_known,
)
from tests.scheduling_support import COMPANY_A, A, make_studio

ADDRESS = "rivera@example.com"
PHONE = (375, 667)
FOLDER = "picture-day"


async def _emails(sink: MailSink, count: int) -> list[EmailMessage] | None:
    found = mails(sink, ADDRESS)
    return found if len(found) >= count else None


def _clock(value: datetime) -> str:
    """9:10 AM, as the letters print a local time."""
    return f"{value.hour % 12 or 12}:{value:%M} {'AM' if value.hour < 12 else 'PM'}"


async def _check_email(mail: EmailMessage, s: BulkSlice, session_name: str, previous_uid: str = "") -> tuple[str, int]:
    """The email names the children, the session's time in the location's zone and the
    location; its calendar file has the session's times. Returns the file's UID and SEQUENCE."""
    session = await s.scheduling.stub.GetSession(pb.GetSessionRequest(name=session_name), metadata=A)
    zone = ZoneInfo(session.time_zone)
    start = session.start_time.ToDatetime(tzinfo=UTC)
    end = session.end_time.ToDatetime(tzinfo=UTC)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    text = text_of(mail)
    assert "Mia Rivera and Leo Rivera" in text
    assert f"{local_start:%A}, {local_start:%B} {local_start.day}, {local_start.year}" in text
    assert f"{_clock(local_start)} to {_clock(local_end)} ({local_start.tzname()})" in text
    assert "Downtown Studio" in text
    [event] = Calendar.from_ical(attachment(mail, "booking.ics")).walk("VEVENT")
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == end
    assert event["dtstart"].params["TZID"] == session.time_zone
    uid = str(event["uid"])
    assert uid == previous_uid or not previous_uid
    return uid, int(str(event["sequence"]))


async def test_a_parent_books_and_changes_a_time_with_the_code(
    databases: DatabaseFactory, nats_server: EmbeddedNats, browser: Browser, smtp_sink: MailSink
) -> None:
    async with bulk_slice(databases, nats_server.url) as s:
        days = picture_day_stub(s)
        studio = await make_studio(s.scheduling)
        school = await organization(s, "Lincoln Elementary")
        rivera = await family(s, school, "Rivera", ["Mia", "Leo"], email=ADDRESS)
        other = await family(s, school, "Okafor", ["Ada"])
        await wait_known(s, [rivera, other])
        day = await days.CreatePictureDay(
            pdpb.CreatePictureDayRequest(
                picture_day=picture_day(studio, school, slots_from=(8, 30), slots_until=(11, 0), minutes=10)
            ),
            metadata=A,
        )
        codes = await issue_codes(s, day.name)
        async with (
            notifications_service(databases, nats_server.url, smtp_sink, s.scheduling.host.port) as notifications,
            portal(databases, s, nats_server.url) as p,
        ):
            base_url, key = p.base_url, p.key
            context = await browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, base_url=base_url)
            page = await context.new_page()
            asked: list[str] = []

            async def confirm(dialog: Dialog) -> None:
                asked.append(dialog.message)
                await dialog.accept()

            page.on("dialog", confirm)

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
            await expect(page.get_by_text("Together with Leo Rivera")).to_be_visible()  # one time, shared
            await screenshot(page, FOLDER, PHONE, "03-booked")
            progress = (await days.GetPictureDay(pdpb.GetPictureDayRequest(name=day.name), metadata=A)).progress
            assert (progress.families_booked, progress.children_booked) == (1, 2)

            # the confirmation email, with the calendar file, at the local SMTP sink
            [confirmation] = await eventually(lambda: _emails(smtp_sink, 1), what="the confirmation email")
            [logged] = await notifications.messages(COMPANY_A, client=rivera.name)
            uid, sequence = await _check_email(confirmation, s, logged.session)
            assert "Booked:" in str(confirmation["Subject"])

            # change the time: the same booking, another slot
            before = await page.locator(".pd-when").first.inner_text()
            await page.get_by_role("button", name="Change time").first.click()
            await expect(page.get_by_role("heading", name="New time for Mia Rivera and Leo Rivera")).to_be_visible()
            await screenshot(page, FOLDER, PHONE, "04-choose-new-time")
            await page.locator(".pd-times .button").nth(3).click()
            await expect(page.get_by_text("Changed to")).to_be_visible()
            after = await page.locator(".pd-when").first.inner_text()
            assert after != before
            await screenshot(page, FOLDER, PHONE, "05-changed")

            # the second email: the new time, the same calendar event moved
            moved = (await eventually(lambda: _emails(smtp_sink, 2), what="the reschedule email"))[1]
            assert "has moved" in str(moved["Subject"])
            _, later = await _check_email(moved, s, logged.session, uid)
            assert later > sequence
            families = await days.ListPictureDayFamilies(
                pdpb.ListPictureDayFamiliesRequest(parent=day.name, only_not_booked=True), metadata=A
            )
            assert [f.client for f in families.families] == [other.name]

            # cancel: the children have no time again
            await page.get_by_role("button", name="Cancel").first.click()
            await expect(page.get_by_text("Cancelled.")).to_be_visible()
            assert asked == [f"Cancel {after} for Mia Rivera and Leo Rivera?"]  # the parent knows both go
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
