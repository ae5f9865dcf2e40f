"""The trigger editor in a real browser, against real scheduling (the statuses and types
offered) and notifications services: an owner creates a trigger ("when a session enters
Proofs Ready, send this letter 30 minutes later by email"), is refused an incomplete form with
each error beside its field, edits the trigger and disables it; notifications holds exactly
what the pages said. Screenshots at 1280x800 and 1024x768 go to
test-artifacts/console/<size>/triggers-*.png."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from shutterbook.notifications.v1 import notifications_pb2 as npb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console import main as console_main
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from tests.console_browser import logged_in
from tests.console_support import console
from tests.e2e.test_console_mailbox import SIZES
from tests.notifications_support import notifications_service
from tests.scheduling_support import COMPANY_A, A, make_studio, scheduling_service


async def test_create_refuse_edit_and_disable_a_trigger(
    browser: Browser, sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with (
        scheduling_service(sqlite_databases, nats_server.url, reminder_interval=3600) as svc,
        notifications_service(sqlite_databases, nats_server.url, smtp_sink, svc.host.port) as n,
    ):
        studio = await make_studio(svc)
        proofs = await svc.stub.CreateSessionStatus(
            pb.CreateSessionStatusRequest(session_status=pb.SessionStatus(display_name="Proofs Ready")), metadata=A
        )
        await n.stub.CreateFormLetter(
            npb.CreateFormLetterRequest(
                form_letter=npb.FormLetter(
                    purpose=npb.FORM_LETTER_PURPOSE_CUSTOM,
                    display_name="Your proofs are ready",
                    subject="Your proofs are ready",
                    body_text="Dear {{ client.given_name }}, your proofs are ready.",
                )
            ),
            metadata=A,
        )
        console_db = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
        async with console(
            console_db, scheduling=f"127.0.0.1:{svc.host.port}", notifications_addr=f"127.0.0.1:{n.port}"
        ) as c:
            await c.staff("owner@example.com", ["owner"], company=COMPANY_A, name="Olivia Owens")
            for made, size in enumerate(SIZES, start=1):
                async with logged_in(browser, c.url, size, "owner@example.com") as (page, folder):
                    await page.get_by_role("link", name="Triggers").click()
                    await expect(page.get_by_role("heading", name="Triggers")).to_be_visible()
                    await page.get_by_role("link", name="New trigger").click()

                    # nothing chosen and a delay that is not minutes: each error beside its field
                    await page.get_by_label("Delay (minutes after the event)").fill("soon")
                    await page.get_by_role("button", name="Save").click()
                    await expect(page.get_by_role("alert")).to_contain_text("3 fields")
                    await expect(page.locator("#event-error")).to_contain_text("Choose when the letter goes")
                    await expect(page.locator("#form_letter-error")).to_contain_text("Choose the form letter")
                    await expect(page.locator("#delay_minutes-error")).to_contain_text("whole minutes")
                    await expect(page.get_by_label("Delay (minutes after the event)")).to_have_value("soon")
                    await page.screenshot(path=str(folder / "triggers-01-refused.png"), full_page=True)

                    await page.get_by_label("When", exact=True).select_option(label="Enters status “Proofs Ready”")
                    await page.get_by_label("Form letter", exact=True).select_option(label="Your proofs are ready")
                    await page.get_by_label("Delay (minutes after the event)").fill("30")
                    await page.get_by_label("Channel").select_option(label="Email")
                    await page.get_by_role("button", name="Save").click()
                    await expect(page.get_by_role("status")).to_have_text("Trigger created.")
                    row = page.locator("tbody tr", has_text="Proofs Ready")  # the list is not in creation order
                    await expect(row).to_have_count(1)
                    await expect(row).to_contain_text("A session enters status “Proofs Ready”")
                    await expect(row).to_contain_text("Your proofs are ready")
                    await expect(row).to_contain_text("30 min later")
                    await expect(row).to_contain_text("Active")
                    await page.screenshot(path=str(folder / "triggers-02-list.png"), full_page=True)

                    # edit: the type's booking instead, at once, and disabled
                    await row.get_by_role("link", name="Edit").click()
                    await expect(page.get_by_label("When", exact=True)).to_have_value(proofs.name)
                    await expect(page.get_by_label("Delay (minutes after the event)")).to_have_value("30")
                    await page.get_by_label("When", exact=True).select_option(value=studio.session_type.name)
                    await page.get_by_label("Delay (minutes after the event)").fill("0")
                    await page.get_by_label("Active").uncheck()
                    await page.screenshot(path=str(folder / "triggers-03-edit.png"), full_page=True)
                    await page.get_by_role("button", name="Save").click()
                    await expect(page.get_by_role("status")).to_have_text("Trigger saved.")
                    await expect(page.locator("tbody tr", has_text="Proofs Ready")).to_have_count(0)
                    disabled = page.locator("tbody tr", has_text="Disabled")
                    await expect(disabled).to_have_count(made)
                    await expect(disabled.filter(has_text="At once")).to_have_count(made)

        stored = (await n.stub.ListTriggers(npb.ListTriggersRequest(), metadata=company_metadata(COMPANY_A))).triggers
        assert len(stored) == len(SIZES)  # one made per screen size
        for t in stored:
            assert (t.kind, t.session_type, t.delay_minutes, t.channel, t.disabled) == (
                npb.TRIGGER_KIND_SESSION_TYPE,
                studio.session_type.name,
                0,
                npb.CHANNEL_EMAIL,
                True,
            )
