"""The Bulk Session Wizard in a real browser (Debian chromium) against real clients and
scheduling services: a manager chooses "Lincoln High, 2026" without those who have a future
session, unselects two, enters two rows of time slots with a break, verifies (counts equal
the hand-computed fixture below, and the one conflict is shown), finishes, watches the
progress bar to the end (the page can be closed and opened again), sees the one failure with
its reason, and finds the sessions on the calendar. A front desk is refused the wizard.

Screenshots at 1280x800 and 1024x768 go to test-artifacts/console/<size>/bulk-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import pytest
from playwright.async_api import Browser, Page, expect

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console import main as console_main
from shutterbook_console.application.accounts import NewStaff, create_staff
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from tests.bulk_support import BulkSlice, bulk_slice
from tests.console_support import PASSWORD, Console, console
from tests.e2e.test_console_calendar import ARTIFACTS, SIZES
from tests.helpers import create_client, known_client
from tests.scheduling_support import COMPANY_A, A, Studio, at, make_studio
from tests.scheduling_support import day as pb_day

MANAGER = "manager@example.com"
DESK = "desk@example.com"

# The fixture, computed by hand. Monday M is next week's Monday.
#   Row 1: M..M+1, 09:00-11:00, 20 minutes, 10 between, break 10:00-10:15, no weekends
#          -> 09:00, 09:30, 10:15 (10:00 falls in the break; 10:45 would end after 11:00)
#          -> 3 a day x 2 days = 6 slots
#   Row 2: M+2..M+5 (Wednesday..Saturday), 13:00-14:00, 30 minutes, no Saturdays
#          -> 13:00, 13:30 on Wednesday, Thursday, Friday = 6 slots
# Clients: 12 members of Lincoln High in 2026 (2 more in 2025), one of them with a session
# booked on Thursday 13:00 -> 11 without a future session; two unselected -> 9.
# Slots are taken in time order: row 1 takes 6 clients, row 2 takes 3 (Wednesday 13:00,
# 13:30, Thursday 13:00); Thursday 13:00 is the photographer's existing booking: 1 conflict,
# so the job creates 8 sessions and 1 fails.
MEMBERS_2026 = [f"Pupil{i:02d}" for i in range(12)]
UNSELECTED = ["Pupil03 Tester", "Pupil07 Tester"]


@dataclass
class School:
    console: Console
    slice: BulkSlice
    studio: Studio
    monday: date
    booked: pb.Session  # the future session of the member who is left out


async def _school(s: BulkSlice) -> tuple[Studio, list[clients_pb2.Client], clients_pb2.Organization]:
    studio = await make_studio(s.scheduling)
    school = await s.clients.CreateOrganization(
        clients_pb2.CreateOrganizationRequest(
            organization=clients_pb2.Organization(
                display_name="Lincoln High", kind=clients_pb2.ORGANIZATION_KIND_SCHOOL
            )
        ),
        metadata=A,
    )
    members = [await create_client(s.clients, COMPANY_A, given) for given in MEMBERS_2026]
    older = [await create_client(s.clients, COMPANY_A, f"Alumnus{i}") for i in range(2)]
    for client, year in [*((m, 2026) for m in members), *((o, 2025) for o in older)]:
        await s.clients.CreateMembership(
            clients_pb2.CreateMembershipRequest(
                membership=clients_pb2.Membership(client=client.name, organization=school.name, year=year)
            ),
            metadata=A,
        )
    for client in [*members, *older]:
        await eventually(partial(known_client, s.scheduling.stub, COMPANY_A, client), what="client known")
    return studio, members, school


@pytest.fixture
async def school(sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats) -> AsyncIterator[School]:
    async with bulk_slice(sqlite_databases, nats_server.url) as s:
        studio, members, _ = await _school(s)
        today = date.today()
        monday = today + timedelta(days=7 - today.weekday())
        thursday = monday + timedelta(days=3)
        booked = await s.scheduling.stub.CreateSession(
            pb.CreateSessionRequest(
                session=pb.Session(
                    client=members[-1].name,
                    session_type=studio.session_type.name,
                    location=studio.location.name,
                    session_date=pb_day(thursday.year, thursday.month, thursday.day),
                    start=at(13),
                    end=at(13, 30),
                    photographer=studio.photographer.name,
                    description="Booked before",
                )
            ),
            metadata=A,
        )
        console_db = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
        target = f"127.0.0.1:{s.scheduling.host.port}"
        async with console(console_db, scheduling=target, clients=s.clients_target) as c:
            location = studio.location.name.removeprefix("locations/")
            for name, email, role in (("Maria Manager", MANAGER, "manager"), ("Dana Desk", DESK, "front_desk")):
                await create_staff(c.db, COMPANY_A, NewStaff(name, email, PASSWORD, [role], [location], ""))
            yield School(c, s, studio, monday, booked)


async def _shot(page: Page, size: tuple[int, int], name: str) -> None:
    folder = ARTIFACTS / f"{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"bulk-{name}.png"), full_page=False)


async def _log_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(lambda url: not url.endswith("/login"))


async def _choose_lincoln(page: Page, *, only_without_future: bool) -> None:
    await page.goto("/calendar")
    await page.get_by_role("link", name="Bulk scheduling").click()
    await expect(page.get_by_role("heading", name="Bulk Session Wizard")).to_be_visible()
    await page.get_by_label("Organization and year").check()
    await page.get_by_label("Organization", exact=True).select_option(label="Lincoln High")
    await page.get_by_label("Year", exact=True).fill("2026")
    if only_without_future:
        await page.get_by_label("Only include those clients without a future session booked").check()
    await page.get_by_role("button", name="Next: review the clients").click()


async def _fill_row(page: Page, index: int, values: dict[str, str], saturdays: bool, sundays: bool) -> None:
    row = page.locator("[data-row]").nth(index)
    for label, value in values.items():
        await row.get_by_label(label, exact=True).fill(value)
    await row.get_by_label("Exclude Saturdays").set_checked(saturdays)
    await row.get_by_label("Exclude Sundays").set_checked(sundays)


async def test_a_manager_bulk_schedules_lincoln_high_2026(browser: Browser, school: School) -> None:
    m = school.monday
    size = SIZES[0]
    context = await browser.new_context(
        base_url=school.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
    )
    page = await context.new_page()
    await _log_in(page, MANAGER)
    await _choose_lincoln(page, only_without_future=True)

    # review: 11 of the 12 (one has a future session); unselect two
    summary = page.locator("[data-selection-summary]")
    await expect(summary).to_contain_text("11 clients chosen. 1 left out: they have a future session booked.")
    boxes = page.locator("[data-client-list] input")
    await expect(boxes).to_have_count(11)
    await expect(page.get_by_label("Pupil11 Tester")).to_have_count(0)
    await expect(page.get_by_label("Alumnus0 Tester")).to_have_count(0)
    for name in UNSELECTED:
        await page.get_by_label(name).uncheck()
    await _shot(page, size, "review")
    await page.get_by_role("button", name="Next: session details").click()

    # the session details
    await page.get_by_label("Session description").fill("Lincoln High yearbook 2026")
    await page.get_by_label("Session type").select_option(label=school.studio.session_type.display_name)
    await page.get_by_label("Photographer").select_option(label="John Doe")
    await page.get_by_label("Assistant").select_option(label="Mary Smith")
    await page.get_by_label("Camera room").select_option(label="Camera room")
    await page.get_by_role("button", name="Next: time slots").click()

    # two rows, the first with a break
    await _fill_row(
        page,
        0,
        {
            "Start date": m.isoformat(),
            "End date": (m + timedelta(days=1)).isoformat(),
            "Start time": "09:00",
            "End time": "11:00",
            "Duration (minutes)": "20",
            "Break start": "10:00",
            "Break end": "10:15",
            "Minutes between sessions": "10",
        },
        True,
        True,
    )
    await page.get_by_role("button", name="Add a row").click()
    await _fill_row(
        page,
        1,
        {
            "Start date": (m + timedelta(days=2)).isoformat(),
            "End date": (m + timedelta(days=5)).isoformat(),
            "Start time": "13:00",
            "End time": "14:00",
            "Duration (minutes)": "30",
        },
        True,
        False,
    )
    await page.get_by_role("button", name="Verify Session Times and Count").click()
    result = page.locator("[data-verify-result]")
    await expect(result).to_contain_text("12 slots for 9 clients: enough for everyone.")
    await expect(result).to_contain_text("Row 1: 6 slots, 6 clients")
    await expect(result).to_contain_text("Row 2: 6 slots, 3 clients")
    await expect(result).to_contain_text("1 conflict with existing bookings")
    thursday = (m + timedelta(days=3)).strftime("%a %-d %b")
    await expect(result.locator(".bulk-conflicts li")).to_have_count(1)
    await expect(result.locator(".bulk-conflicts li")).to_contain_text(f"Slot 9 ({thursday}")
    await expect(result.locator(".bulk-conflicts li")).to_contain_text("13:00): John Doe already has")
    await expect(page.locator("[data-row]").nth(0).locator("[data-row-count]")).to_have_text("6 slots · 6 clients")
    await result.scroll_into_view_if_needed()
    await _shot(page, size, "verify")

    # finish: the job's page, its bar to the end, the failure with its reason
    await page.get_by_role("button", name="Next: finish").click()
    await expect(page.locator("[data-finish-summary]")).to_contain_text("9 sessions will be created for 9 clients")
    await page.get_by_role("button", name="Finish").click()
    await page.wait_for_url("**/bulk/jobs/*")
    job_url = page.url
    await _shot(page, size, "progress")
    counts = page.locator("[data-counts]")
    await expect(counts).to_contain_text("Finished: 8 done · 1 failed · of 9", timeout=60_000)
    assert await page.locator("[data-progress]").get_attribute("value") == "9"
    await expect(page.locator("[data-failures] li")).to_have_count(1)
    await expect(page.locator("[data-failures] li")).to_contain_text(f"({thursday}")
    failure = await page.locator("[data-failures] li").text_content()
    assert failure is not None
    assert "conflict" in failure.lower()
    await expect(page.locator("[data-created] tr")).to_have_count(8)
    for name in UNSELECTED:
        await expect(page.locator("[data-results]")).not_to_contain_text(name)
    await _shot(page, size, "result")

    # the page was only a window on the job: closed and opened again, the same result
    await page.close()
    page = await context.new_page()
    await page.goto(job_url)
    await expect(page.locator("[data-counts]")).to_contain_text("Finished: 8 done · 1 failed · of 9")

    # the job among the past jobs of the wizard's page, and back to its results from there
    await page.goto("/bulk")
    past = page.locator("[data-past-jobs] tbody tr")
    await expect(past).to_have_count(1)
    await expect(past.first).to_contain_text("Finished")
    await expect(past.first.locator("td").nth(4)).to_have_text("8")
    await expect(past.first.locator("td").nth(5)).to_have_text("1")
    await page.locator("#past-jobs").scroll_into_view_if_needed()
    await _shot(page, size, "past-jobs")
    await past.first.get_by_role("link", name="Results").click()
    await page.wait_for_url(job_url)
    await expect(page.locator("[data-counts]")).to_contain_text("Finished: 8 done · 1 failed · of 9")

    # the sessions on the calendar: 8 new ones and the one booked before, in the week of M
    await page.get_by_role("link", name="Open the calendar").click()
    await page.wait_for_url("**/calendar?**")
    await expect(page.locator("[data-status]")).to_contain_text("Downtown Studio: 9 sessions in view")
    await expect(page.locator(".ec-event.ev-session", has_text="Pupil00").first).to_be_visible()
    reply = await school.slice.scheduling.stub.ListSessions(
        pb.ListSessionsRequest(page_size=100, location=school.studio.location.name), metadata=A
    )
    made = [s for s in reply.sessions if s.description == "Lincoln High yearbook 2026"]
    assert len(made) == 8
    assert all(s.photographer == school.studio.photographer.name for s in made)
    assert all(s.camera_room == school.studio.room.name for s in made)
    await context.close()


async def test_the_wizard_at_1024_and_a_front_desk_is_refused(browser: Browser, school: School) -> None:
    size = SIZES[1]
    context = await browser.new_context(
        base_url=school.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
    )
    page = await context.new_page()
    await _log_in(page, MANAGER)
    await _choose_lincoln(page, only_without_future=False)
    await expect(page.locator("[data-selection-summary]")).to_contain_text("12 clients chosen.")
    await _shot(page, size, "review")
    await page.get_by_role("button", name="Next: session details").click()
    await page.get_by_role("button", name="Next: time slots").click()
    # no type chosen: refused beside the field
    await expect(page.locator('[data-error-for="template.session_type"]')).to_contain_text("choose the session type")
    await page.get_by_label("Session type").select_option(label=school.studio.session_type.display_name)
    await page.get_by_role("button", name="Next: time slots").click()
    # a row whose end is before its start: scheduling's violation beside the row
    row = page.locator("[data-row]").nth(0)
    await row.get_by_label("Start date", exact=True).fill(school.monday.isoformat())
    await row.get_by_label("End date", exact=True).fill((school.monday - timedelta(days=1)).isoformat())
    await page.get_by_role("button", name="Verify Session Times and Count").click()
    await expect(row.locator("[data-row-errors]")).to_contain_text("end date")
    await expect(page.locator("[data-error]")).to_be_visible()
    await _shot(page, size, "row-refused")
    await context.close()

    desk = await browser.new_context(base_url=school.console.url, viewport={"width": size[0], "height": size[1]})
    page = await desk.new_page()
    await _log_in(page, DESK)
    await page.goto("/calendar")
    await expect(page.get_by_role("link", name="Calendar")).to_be_visible()
    await expect(page.get_by_role("link", name="Bulk scheduling")).to_have_count(0)
    response = await page.goto("/bulk")
    assert response is not None
    assert response.status == 403
    await expect(page.locator("main")).to_contain_text("for managers and owners")
    api = await page.request.get("/api/v1/bulk/jobs/00000000-0000-4000-8000-000000000000")
    assert api.status == 403
    await desk.close()
