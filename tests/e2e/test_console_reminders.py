"""The staff's on-screen session reminder (reference page 02: "display a reminder on the screen
before the session starts") in a real browser: a session 40 minutes ahead with a 60-minute
reminder is found due by a real scheduling service, notifications records the reminder, and
the console's home page shows it, linking to the session record; a front desk kept to one
location sees only the reminders of sessions there, the owner those of every location. Screenshots at 1280x800 and
1024x768 go to test-artifacts/console/<size>/reminders-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect

from shutterbook.notifications.v1 import notifications_pb2 as npb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console import main as console_main
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from tests.console_browser import logged_in
from tests.console_support import console
from tests.e2e.test_console_mailbox import SIZES
from tests.notifications_support import notifications_service
from tests.scheduling_support import (
    COMPANY_A,
    A,
    announce_client,
    at,
    day,
    make_studio,
    scheduling_service,
    session_request,
    zone_with_room,
)


async def test_the_home_page_shows_the_on_screen_reminder_of_a_session_due(
    browser: Browser, sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    zone = zone_with_room()
    start = (datetime.now(UTC) + timedelta(minutes=40)).astimezone(ZoneInfo(zone))
    async with (
        scheduling_service(sqlite_databases, nats_server.url, reminder_interval=0.1) as svc,
        notifications_service(sqlite_databases, nats_server.url, smtp_sink, svc.host.port) as n,
    ):
        downtown = await make_studio(svc, time_zone=zone)
        harbor = await make_studio(svc, time_zone=zone, name="Harbor Studio")
        ada = await announce_client(svc, "Ada", "Quill", "ada@example.com")
        ben = await announce_client(svc, "Ben", "Harbor", "ben@example.com")
        end = at(start.hour, start.minute + 10) if start.minute < 49 else at(start.hour, 59)
        sessions = []
        for studio, client in ((downtown, ada), (harbor, ben)):
            created = await svc.stub.CreateSession(
                pb.CreateSessionRequest(
                    session=session_request(
                        studio,
                        client,
                        day(start.year, start.month, start.day),
                        at(start.hour, start.minute),
                        end,
                        reminder_minutes=60,
                    ),
                    allow_conflicts=True,
                ),
                metadata=A,
            )
            sessions.append(created)
        session, elsewhere = sessions

        async def reminded() -> bool:
            found = await n.stub.ListMessages(npb.ListMessagesRequest(channel=npb.CHANNEL_SCREEN), metadata=A)
            return len(found.messages) == 2

        await eventually(reminded, what="the on-screen reminders recorded")
        console_db = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
        async with console(
            console_db,
            scheduling=f"127.0.0.1:{svc.host.port}",
            notifications_addr=f"127.0.0.1:{n.port}",
        ) as c:
            await c.staff("owner@example.com", ["owner"], company=COMPANY_A, name="Olivia Owens")
            downtown_id = downtown.location.name.split("/", 1)[1]
            await c.staff(
                "desk@example.com", ["front_desk"], company=COMPANY_A, name="Dana Desk", locations=[downtown_id]
            )
            for size in SIZES:
                async with logged_in(browser, c.url, size, "desk@example.com") as (page, folder):
                    panel = page.get_by_role("region", name="Session reminders")
                    link = panel.get_by_role("link")
                    await expect(link).to_have_count(1)  # not Harbor Studio's
                    await expect(link).to_contain_text(f"Session {session.session_number}")
                    await expect(link).to_contain_text("with Ada Quill at")
                    await expect(link).to_have_attribute("href", f"/{session.name}")
                    await page.screenshot(path=str(folder / "reminders-01-home.png"), full_page=False)
                async with logged_in(browser, c.url, size, "owner@example.com") as (page, folder):
                    links = page.get_by_role("region", name="Session reminders").get_by_role("link")
                    await expect(links).to_have_count(2)
                    await expect(links.filter(has_text="with Ben Harbor at")).to_have_attribute(
                        "href", f"/{elsewhere.name}"
                    )
                    await page.screenshot(path=str(folder / "reminders-02-owner.png"), full_page=False)
