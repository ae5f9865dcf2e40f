"""The development SMTP sink: every message it accepts is kept as one .eml file and listed,
newest first, as the console's Mailbox page will show it."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest

from shutterbook_devstack.mail_sink import MailboxHttp, MailSink, list_mailbox

pytestmark = pytest.mark.asyncio


async def test_messages_are_kept_and_listed_newest_first(smtp_sink: MailSink) -> None:
    for n in (1, 2):
        msg = EmailMessage()
        msg["From"] = "studio@example.com"
        msg["To"] = f"client{n}@example.com"
        msg["Subject"] = f"Booking {n}"
        msg.set_content(f"Hello {n}")
        msg.add_attachment(b"BEGIN:VCALENDAR", maintype="text", subtype="calendar", filename="booking.ics")
        await aiosmtplib.send(msg, hostname=smtp_sink.host, port=smtp_sink.port, timeout=5)

    entries = list_mailbox(smtp_sink.folder)
    assert [(e.to, e.subject) for e in entries] == [
        ("client2@example.com", "Booking 2"),
        ("client1@example.com", "Booking 1"),
    ]
    assert entries[0].received_at >= entries[1].received_at
    assert sorted(p.name for p in smtp_sink.folder.iterdir()) == sorted(f"{e.id}.eml" for e in entries)
    kept = entries[1].message()
    body = kept.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().strip() == "Hello 1"
    assert [a.get_filename() for a in kept.iter_attachments()] == ["booking.ics"]

    smtp_sink.stop()
    with pytest.raises((aiosmtplib.SMTPException, OSError)):
        await aiosmtplib.send(msg, hostname=smtp_sink.host, port=smtp_sink.port, timeout=2)
    smtp_sink.start()  # the same port again
    await aiosmtplib.send(msg, hostname=smtp_sink.host, port=smtp_sink.port, timeout=5)
    assert len(smtp_sink.messages()) == 3


async def test_the_mailbox_lists_over_http(smtp_sink: MailSink) -> None:
    msg = EmailMessage()
    msg["From"] = "studio@example.com"
    msg["To"] = "client@example.com"
    msg["Subject"] = "Your booking"
    msg.set_content("Plain words")
    msg.add_alternative("<p>Rich words</p>", subtype="html")
    await aiosmtplib.send(msg, hostname=smtp_sink.host, port=smtp_sink.port, timeout=5)
    mailbox = MailboxHttp(smtp_sink.folder, port=0)
    mailbox.start()
    try:
        async with httpx.AsyncClient(base_url=mailbox.url, timeout=10) as http:
            [listed] = (await http.get("/messages")).json()["messages"]
            assert (listed["to"], listed["subject"]) == ("client@example.com", "Your booking")
            one = (await http.get(f"/messages/{listed['id']}")).json()
            assert one["text"].strip() == "Plain words"
            assert one["html"].strip() == "<p>Rich words</p>"
            raw = await http.get(f"/messages/{listed['id']}.eml")
            assert raw.headers["content-type"] == "message/rfc822"
            assert b"Subject: Your booking" in raw.content
            assert (await http.get("/messages/nope")).status_code == 404
    finally:
        mailbox.stop()
