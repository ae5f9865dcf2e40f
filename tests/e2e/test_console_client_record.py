"""The client record (and the session record's tabs) in a real browser (Debian chromium) over
the real clients, scheduling and billing services with the demo studio: a front desk opens a
client with sessions and invoices, sees the balance and the groups the client is in, gets a bad
email refused beside its field with what was typed kept, adds a family member, saves, reloads
(persisted) and finds the change in the history under their name, then opens the client's
session and its invoices tab; a photographer sees the record read-only and no invoices.
Screenshots at 1280x800 and 1024x768."""

from __future__ import annotations

from collections import Counter

import pytest
from playwright.async_api import Browser, expect

from shutterbook.billing.v1 import billing_pb2
from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from tests.console_stack_support import DEMO_META, ConsoleStack, module_console_stack  # noqa: F401 (`stack`)
from tests.e2e.test_console_calendar import SIZES, _log_in, _shot

# the tests share one demo stack (module_console_stack): one worker runs them all
pytestmark = pytest.mark.xdist_group("console_client_record")

DESK = "frontdesk@example.com"
PHOTOGRAPHER = "john@example.com"


async def _busy_client(stack: ConsoleStack) -> clients_pb2.Client:
    """A demo client with sessions and an invoice."""
    everything = billing_pb2.ListInvoicesRequest(page_size=1000)
    invoices = await stack.billing.stub.ListInvoices(everything, metadata=DEMO_META)
    sessions = await stack.services.scheduling.ListSessions(pb.ListSessionsRequest(page_size=1000), metadata=DEMO_META)
    booked = Counter(s.client for s in sessions.sessions)
    name = next(i.client for i in invoices.invoices if booked[i.client])
    return await stack.services.clients.GetClient(clients_pb2.GetClientRequest(name=name), metadata=DEMO_META)


async def test_front_desk_edits_a_client_record(browser: Browser, stack: ConsoleStack) -> None:
    client = await _busy_client(stack)
    c = stack.services.clients
    group = await c.CreateClientGroup(
        clients_pb2.CreateClientGroupRequest(
            client_group=clients_pb2.ClientGroup(display_name="Holiday cards 2026", description="Mail in November")
        ),
        metadata=DEMO_META,
    )
    await c.AddClientGroupMembers(
        clients_pb2.AddClientGroupMembersRequest(client_group=group.name, clients=[client.name]), metadata=DEMO_META
    )
    for size in SIZES:
        context = await browser.new_context(
            base_url=stack.console.url, viewport={"width": size[0], "height": size[1]}, locale="en-US"
        )
        page = await context.new_page()
        await _log_in(page, DESK)
        await page.goto(f"/{client.name}")
        await expect(page.get_by_role("heading", level=1)).to_contain_text(client.family_name)
        await expect(page.get_by_label("Email addresses")).to_have_value("\n".join(client.emails))
        await expect(page.locator("[data-balance]")).not_to_have_text("—")
        await _shot(page, size, "client-record")
        await page.get_by_role("tab", name="Sessions").click()
        await expect(page.locator("#sessions table tbody tr").first).to_be_visible()
        await _shot(page, size, "client-sessions")
        await page.get_by_role("tab", name="Invoices and payments").click()
        await expect(page.locator("#invoices")).to_contain_text("INV-")
        await _shot(page, size, "client-invoices")
        await page.get_by_role("tab", name="Groups").click()
        await expect(page.locator("#groups")).to_contain_text("Holiday cards 2026")
        await expect(page.locator("#groups")).to_contain_text("Mail in November")
        await _shot(page, size, "client-groups")
        await context.close()

    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await _log_in(page, DESK)
    await page.goto(f"/{client.name}")
    # a bad email: refused beside its field, what was typed stays, nothing saved
    await page.get_by_label("Email addresses").fill("not-an-email\nsecond@example.com")
    await page.get_by_label("Notes").fill("Prefers mornings")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("alert")).to_contain_text("Not saved")
    await expect(page.locator("#emails-error")).to_contain_text("Not a valid email address")
    await expect(page.get_by_label("Email addresses")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Notes")).to_have_value("Prefers mornings")
    await _shot(page, (1280, 800), "client-refused")
    stored = await stack.services.clients.GetClient(clients_pb2.GetClientRequest(name=client.name), metadata=DEMO_META)
    assert list(stored.emails) == list(client.emails)
    assert stored.notes == client.notes

    # corrected, with a new family member: saved, and still there after a reload
    await page.get_by_label("Email addresses").fill("mia.record@example.com")
    await page.get_by_label("First name of a new family member").fill("Mia")
    await page.locator("select[name$='-relationship']").last.select_option(label="Child")
    await page.locator("input[name$='-birth_date']").last.fill("2015-04-03")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved")
    await page.reload()
    await expect(page.get_by_label("Email addresses")).to_have_value("mia.record@example.com")
    await expect(page.get_by_label("Notes")).to_have_value("Prefers mornings")
    given = [await x.input_value() for x in await page.locator("input[name$='-given_name']").all()]
    assert "Mia" in given
    stored = await stack.services.clients.GetClient(clients_pb2.GetClientRequest(name=client.name), metadata=DEMO_META)
    assert list(stored.emails) == ["mia.record@example.com"]
    assert [m.given_name for m in stored.family_members][-1] == "Mia"
    await page.get_by_role("tab", name="History").click()
    history = page.locator("#history")
    await expect(history.locator("li").first).to_contain_text("Updated by Priya Patel")
    await expect(history.locator("li").first).to_contain_text("emails")
    await _shot(page, (1280, 800), "client-history")

    # the client's session: its invoices tab, and View client back to the record
    await page.get_by_role("tab", name="Sessions").click()
    await page.locator("#sessions tbody tr").first.get_by_role("link").first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Session")
    await page.get_by_role("tab", name="Invoices and payments").click()
    await expect(page.locator("#invoices")).to_contain_text("INV-")
    await expect(page.get_by_role("tab", name="Appointments")).to_be_visible()
    await _shot(page, (1280, 800), "session-invoices")
    await page.get_by_role("link", name="View client").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(client.family_name)
    await context.close()


async def test_a_photographer_sees_the_client_read_only(browser: Browser, stack: ConsoleStack) -> None:
    client = await _busy_client(stack)
    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    await _log_in(page, PHOTOGRAPHER)
    await page.goto(f"/{client.name}")
    await expect(page.get_by_text("Your role shows this record read-only.")).to_be_visible()
    await expect(page.get_by_role("button", name="Save")).to_have_count(0)
    await expect(page.get_by_label("Notes")).to_have_attribute("readonly", "")
    await page.get_by_role("tab", name="Invoices and payments").click()
    await expect(page.locator("#invoices")).to_contain_text("Your role does not show invoices")
    await _shot(page, (1024, 768), "client-photographer")
    # and the clients service refuses the change if it is sent anyway
    token = await context.cookies()
    csrf = next(c["value"] for c in token if c["name"] == "sb_console_csrf")
    answer = await page.request.post(
        f"/{client.name}", form={"_csrf_token": csrf, "given_name": "Changed", "family_name": client.family_name}
    )
    assert answer.status == 403
    stored = await stack.services.clients.GetClient(clients_pb2.GetClientRequest(name=client.name), metadata=DEMO_META)
    assert stored.given_name == client.given_name
    await context.close()


async def test_a_manager_merges_a_duplicate_and_a_front_desk_may_not(browser: Browser, stack: ConsoleStack) -> None:
    client = await _busy_client(stack)
    duplicate = await stack.services.clients.CreateClient(
        clients_pb2.CreateClientRequest(
            client=clients_pb2.Client(given_name="Dup", family_name="Zzduplicate", emails=["dup@example.com"])
        ),
        metadata=DEMO_META,
    )
    desk = await browser.new_context(base_url=stack.console.url, viewport={"width": 1280, "height": 800})
    page = await desk.new_page()
    await _log_in(page, DESK)
    await page.goto(f"/{client.name}")
    await expect(page.get_by_role("link", name="Merge a duplicate into this client…")).to_have_count(0)
    refused = await page.goto(f"/{client.name}/merge")
    assert refused is not None
    assert refused.status == 403
    await desk.close()

    context = await browser.new_context(base_url=stack.console.url, viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    await _log_in(page, "manager@example.com")
    await page.goto(f"/{client.name}")
    await page.get_by_role("link", name="Merge a duplicate into this client…").click()
    await page.get_by_label("Find the duplicate").fill("Zzduplic")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("table.hub tbody tr")).to_have_count(1)
    await _shot(page, (1024, 768), "client-merge")
    await page.locator("table.hub tbody tr").get_by_role("button").click()
    await expect(page.get_by_role("status")).to_contain_text("Merged")
    gone = await stack.services.clients.GetClient(clients_pb2.GetClientRequest(name=duplicate.name), metadata=DEMO_META)
    assert gone.merged_into == client.name
    await page.goto(f"/{duplicate.name}")
    await expect(page.locator(".warning")).to_contain_text("merged into")
    await context.close()
