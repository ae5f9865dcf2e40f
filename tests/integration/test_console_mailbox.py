"""The console with real mail: password reset links over SMTP into the real sink, and the
development Mailbox page reading the sink's JSON listing (staff only, HTML sandboxed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from urllib.parse import urlsplit

import aiosmtplib
import pytest

from shutterbook_console import main as console_main
from shutterbook_console.app import CSRF_COOKIE
from shutterbook_console.settings import SmtpSettings
from shutterbook_devstack.mail_sink import MailboxHttp, MailSink
from shutterbook_devstack.testing import DatabaseFactory
from tests.console_support import PASSWORD, console, csrf, log_in

pytestmark = pytest.mark.postgres
NEW_PASSWORD = "a brand new long password"


@pytest.fixture
def mailbox_http(smtp_sink: MailSink) -> Iterator[MailboxHttp]:
    listing = MailboxHttp(smtp_sink.folder, port=0)
    listing.start()
    yield listing
    listing.stop()


def _smtp(sink: MailSink) -> SmtpSettings:
    return SmtpSettings(host=sink.host, port=sink.port, sender="Lakeside Studio <desk@lakeside.example>")


async def _send(sink: MailSink, to: str, subject: str, html: str = "", attachment: str = "") -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "studio@example.com", to, subject
    msg.set_content(f"Plain text of {subject}")
    if html:
        msg.add_alternative(html, subtype="html")
    if attachment:
        msg.add_attachment(
            b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", maintype="text", subtype="calendar", filename=attachment
        )
    await aiosmtplib.send(msg, hostname=sink.host, port=sink.port)


async def test_forgot_password_mails_one_working_link_through_smtp(
    databases: DatabaseFactory, smtp_sink: MailSink
) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with (
        console(url, record_mail=False, smtp=_smtp(smtp_sink), studio_name="Lakeside Studio") as c,
        c.client() as http,
    ):
        await c.staff("desk@example.com", ["front_desk"], name="Priya Patel")
        await csrf(http)
        token = http.cookies[CSRF_COOKIE]
        asked = await http.post("/forgot-password", data={"email": "Desk@Example.com", "_csrf_token": token})
        assert asked.status_code == 200
        assert "Check your email" in asked.text
        unknown = await http.post("/forgot-password", data={"email": "ghost@example.com", "_csrf_token": token})
        assert unknown.status_code == 200

        sent = smtp_sink.messages()
        assert [(m.to, m.sender) for m in sent] == [("desk@example.com", "Lakeside Studio <desk@lakeside.example>")]
        assert "Lakeside Studio" in sent[0].subject
        msg = sent[0].message()
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        assert text is not None
        assert html is not None
        text_body, html_body = str(text.get_content()), str(html.get_content())
        assert "Hello Priya Patel" in text_body
        assert "Lakeside Studio" in text_body
        assert "Lakeside Studio" in html_body
        assert "Choose a new password" in html_body
        links = re.findall(r"http://\S+/reset-password#token=[\w-]+", text_body)
        assert len(links) == 1
        assert links[0] in html_body
        assert links[0].startswith(f"{c.settings.public_url}/reset-password#token=")

        reset_token = urlsplit(links[0]).fragment.removeprefix("token=")
        form = {"token": reset_token, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
        done = await http.post("/reset-password", data={**form, "_csrf_token": token})
        assert done.status_code == 200
        assert "Password changed" in done.text
        again = await http.post("/reset-password", data={**form, "_csrf_token": token})
        assert again.status_code == 409  # once only
        assert (await log_in(http, "desk@example.com", PASSWORD)).status_code == 401
        assert (await log_in(http, "desk@example.com", NEW_PASSWORD)).status_code == 200
        assert len(smtp_sink.messages()) == 1


async def test_a_relay_that_is_down_answers_alike_and_sends_nothing(
    databases: DatabaseFactory, smtp_sink: MailSink
) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    smtp = _smtp(smtp_sink)
    smtp_sink.stop()
    async with console(url, record_mail=False, smtp=smtp) as c, c.client() as http:
        await c.staff("desk@example.com", ["front_desk"])
        headers = await csrf(http)
        known = await http.post("/api/v1/password-resets", json={"email": "desk@example.com"}, headers=headers)
        unknown = await http.post("/api/v1/password-resets", json={"email": "ghost@example.com"}, headers=headers)
        assert known.status_code == unknown.status_code == 202
        assert known.json() == unknown.json()
    assert smtp_sink.messages() == []


async def test_mailbox_lists_newest_first_and_shows_a_message_sandboxed(
    databases: DatabaseFactory, smtp_sink: MailSink, mailbox_http: MailboxHttp
) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    await _send(smtp_sink, "ada@example.com", "Your session is booked", "<p>Booked <b>Tuesday</b></p>", "booking.ics")
    hostile = '<p>Hi</p><script>parent.document.title="pwned"</script><img src="https://tracker.example/x.png">'
    await _send(smtp_sink, "grace@example.com", "Reminder: tomorrow", hostile)
    async with console(url, dev_mailbox_url=f"{mailbox_http.url}/messages") as c, c.client() as http:
        await c.staff("john@example.com", ["photographer"])
        assert (await http.get("/mailbox")).headers.get("location") == "/login"  # staff only
        assert (await http.get("/mailbox", follow_redirects=False)).status_code in (302, 303, 307)
        assert (await log_in(http, "john@example.com")).status_code == 200  # any role

        page = await http.get("/mailbox")
        assert page.status_code == 200
        rows = re.findall(
            r'<td class="to">([^<]*)</td>\s*<td class="subject"><a href="/mailbox/([\w-]+)">([^<]*)</a>', page.text
        )
        assert [(to, subject) for to, _, subject in rows] == [
            ("grace@example.com", "Reminder: tomorrow"),
            ("ada@example.com", "Your session is booked"),
        ]
        (home := await http.get("/")).raise_for_status()
        assert 'href="/mailbox"' in home.text

        booked_id, hostile_id = rows[1][1], rows[0][1]
        booked = await http.get(f"/mailbox/{booked_id}")
        assert booked.status_code == 200
        assert "Plain text of Your session is booked" in booked.text
        assert "booking.ics" in booked.text
        assert f'src="/mailbox/{booked_id}/html" sandbox=""' in booked.text
        assert "<b>Tuesday</b>" not in booked.text  # the HTML part is never in the console's page

        shown = await http.get(f"/mailbox/{hostile_id}")
        assert "<script>parent" not in shown.text
        assert "tracker.example" not in shown.text
        framed = await http.get(f"/mailbox/{hostile_id}/html")
        assert framed.status_code == 200
        assert framed.headers["content-type"].startswith("text/html")
        csp = framed.headers["content-security-policy"]
        assert csp.startswith("sandbox;")
        assert "default-src 'none'" in csp
        assert "frame-ancestors 'self'" in csp
        assert "<script>parent" in framed.text  # served as sent, made harmless by the CSP sandbox

        assert (await http.get("/mailbox/no-such-message")).status_code == 404
        assert (await http.get("/mailbox/..%2F..%2Fetc")).status_code == 404

    async with console(url) as c, c.client() as http:  # no mailbox configured: no page, no link
        assert (await log_in(http, "john@example.com")).status_code == 200
        assert (await http.get("/mailbox")).status_code == 404
        assert 'href="/mailbox"' not in (await http.get("/")).text


async def test_mailbox_page_says_so_when_the_sink_is_gone(databases: DatabaseFactory) -> None:
    url = await databases.new("console", migrate_with=console_main.MIGRATIONS)
    async with console(url, dev_mailbox_url="http://127.0.0.1:1/messages") as c, c.client() as http:
        await c.staff("desk@example.com", ["front_desk"])
        assert (await log_in(http, "desk@example.com")).status_code == 200
        page = await http.get("/mailbox")
        assert page.status_code == 503
        assert "not answering" in page.text
