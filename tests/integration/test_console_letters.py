"""Form letters in the console against a real notifications service: the list per purpose,
a preview of what is typed, a template error refused on save naming the line (nothing saved),
a good save kept, and a role without the setup permission refused."""

from __future__ import annotations

import re
from html import unescape

import httpx

from shutterbook_console import main as console_main
from shutterbook_console.app import CSRF_COOKIE
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.console_support import COMPANY, console, csrf, log_in
from tests.notifications_support import notifications_service


async def _reminder_id(http: httpx.AsyncClient) -> str:
    page = await http.get("/letters")
    assert page.status_code == 200, page.text
    found = re.search(r'<a href="/letters/([\w-]+)">Reminder', page.text)
    assert found, page.text
    return found.group(1)


async def test_letters_list_preview_refused_save_and_save(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    url = await sqlite_databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with (
        notifications_service(sqlite_databases, nats_server.url, smtp_sink, scheduling_port=1) as n,
        console(url, notifications_addr=f"127.0.0.1:{n.port}") as c,
    ):
        await c.staff("owner@example.com", ["owner"], company=COMPANY)
        await c.staff("desk@example.com", ["front_desk"], company=COMPANY)
        async with c.client() as owner:
            assert (await log_in(owner, "owner@example.com")).status_code == 200
            listing = await owner.get("/letters")
            for purpose in ("Reminder", "Online booking confirmation", "Cancellation", "Password reset"):
                assert f"<td>{purpose}</td>" in listing.text
            letter_id = await _reminder_id(owner)
            await csrf(owner)
            token = owner.cookies[CSRF_COOKIE]
            opened = await owner.get(f"/letters/{letter_id}")
            assert opened.status_code == 200
            assert "Dear {{ client.given_name" in unescape(opened.text)

            typed = {
                "subject": "See you soon, {{ client.given_name }}",
                "body_text": "Hello {{ client.given_name }},\n\nsee you on {{ session.start_date }}.\n",
                "body_html": "",
                "_csrf_token": token,
            }
            shown = await owner.post(f"/letters/{letter_id}", data={**typed, "action": "preview"})
            assert shown.status_code == 200, shown.text
            assert "Preview (sample values; not saved yet)" in shown.text
            rendered = re.search(r'<pre class="mail-text preview-text">(.*?)</pre>', shown.text, flags=re.S)
            assert rendered, shown.text
            assert rendered.group(1).startswith("Hello ")
            assert "{{" not in rendered.group(1)
            assert "see you on " in rendered.group(1)

            broken = {**typed, "body_text": "Hello,\n\nline two\nsee you {{ session.start_date \n", "action": "save"}
            refused = await owner.post(f"/letters/{letter_id}", data=broken)
            assert refused.status_code == 422
            error = re.search(r'<p class="field-error" id="body_text-error">([^<]*)</p>', refused.text)
            assert error, refused.text
            assert error.group(1).startswith("Line 4: ")
            assert "see you {{ session.start_date" in unescape(refused.text)  # what was typed is kept
            assert "Dear {{ client.given_name" in unescape((await owner.get(f"/letters/{letter_id}")).text)

            saved = await owner.post(f"/letters/{letter_id}", data={**typed, "action": "save"})
            assert saved.status_code in (302, 303)
            assert saved.headers["location"] == "/letters?saved=1"
            reopened = unescape((await owner.get(f"/letters/{letter_id}")).text)
            assert 'value="See you soon, {{ client.given_name }}"' in reopened

        async with c.client() as desk:
            assert (await log_in(desk, "desk@example.com")).status_code == 200
            assert (await desk.get("/letters")).status_code == 200  # reading is allowed
            await csrf(desk)
            attempt = await desk.post(
                f"/letters/{letter_id}",
                data={
                    **typed,
                    "subject": "Changed by the desk",
                    "action": "save",
                    "_csrf_token": desk.cookies[CSRF_COOKIE],
                },
            )
            assert attempt.status_code == 403
            assert "may not change form letters" in attempt.text
        async with c.client() as owner:
            assert (await log_in(owner, "owner@example.com")).status_code == 200
            assert "Changed by the desk" not in (await owner.get(f"/letters/{letter_id}")).text
