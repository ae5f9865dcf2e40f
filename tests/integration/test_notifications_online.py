"""Online bookings reach the client: one confirmation email through a real SMTP server, with
the session, its local time, the address, the manage link and a parseable .ics; once, even
when the event is delivered again or the SMTP server was down for a while."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import nats
import pytest
from icalendar import Calendar

from shutterbook.notifications.v1 import notifications_pb2 as npb
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from tests.helpers import COMPANY_A
from tests.notifications_support import Notifications, attachment, html_of, mails, notifications_service, text_of
from tests.stack_support import booking_body, booking_stack, offer_online

pytestmark = pytest.mark.asyncio


async def _republish_gateway_events(nats_url: str) -> int:
    """Deliver every gateway.booking.* event again, as JetStream would after a lost ack (a new
    Nats-Msg-Id, so the stream keeps it; the envelope and its event id are the same)."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream(timeout=5)
        info = await js.stream_info("GATEWAY")
        count = 0
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            raw = await js.get_msg("GATEWAY", seq)
            assert raw.subject is not None
            assert raw.data is not None
            await js.publish(raw.subject, raw.data, headers={"Nats-Msg-Id": str(uuid.uuid4())})
            count += 1
        return count
    finally:
        await connection.close()


async def _sent(n: Notifications, company: str, count: int) -> list[npb.Message]:
    async def check() -> list[npb.Message] | None:
        found = await n.messages(company)
        done = [m for m in found if m.state == npb.DELIVERY_STATE_SENT]
        return found if len(done) >= count else None

    return await eventually(check, what=f"{count} sent messages")


async def test_online_booking_sends_one_confirmation_with_ics_and_manage_link(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        notifications_service(
            sqlite_databases, nats_server.url, smtp_sink, stack.services.scheduling_port
        ) as notifications,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack, time_zone="America/Chicago")
        address = "ada@example.com"
        body = booking_body(offer.slot_id(1), email=address)
        body["client"] = {"given_name": "{{ 7*7 }}", "family_name": "Lovelace", "email": address}
        created = await http.post("/v1/bookings", json=body, headers=stack.headers())
        assert created.status_code == 201, created.text
        booking = created.json()

        await eventually(lambda: _async(len(mails(smtp_sink, address)) >= 1), what="the confirmation email")
        [mail] = mails(smtp_sink, address)
        text, html = text_of(mail), html_of(mail)
        day = offer.day
        local_day = f"{day:%A}, {day:%B} {day.day}, {day.year}"
        assert local_day in str(mail["Subject"])
        assert "10:00 AM to 11:00 AM (CST)" in text  # the second slot, 10:00 in Chicago
        assert "Downtown Studio, 1 Main St" in text
        assert booking["manage_url"] in text
        assert booking["manage_url"].replace("&", "&amp;") in html
        assert "Family Portrait Online" in text
        assert "Dear {{ 7*7 }}," in text
        assert "Dear 49" not in text

        calendar = Calendar.from_ical(attachment(mail, "booking.ics"))
        [event] = calendar.walk("VEVENT")
        assert event.decoded("dtstart") == datetime.fromisoformat(booking["start_time"]).astimezone(UTC)
        assert event.decoded("dtend") == datetime.fromisoformat(booking["end_time"]).astimezone(UTC)
        assert "1 Main St" in str(event["location"])
        assert booking["manage_url"] in str(event["description"])

        [logged] = await _sent(notifications, COMPANY_A, 1)
        assert logged.recipient == address
        assert logged.client == f"clients/{booking['client_id']}"
        assert logged.session == f"sessions/{booking['id']}"
        assert list(logged.attachment_names) == ["booking.ics"]
        per_session = await notifications.messages(COMPANY_A, session=f"sessions/{booking['id']}")
        assert [m.name for m in per_session] == [logged.name]

        # the same event delivered again: the inbox applies it once, no second email
        consumer = notifications.consumer("gateway")
        assert await _republish_gateway_events(nats_server.url) == 1
        await eventually(lambda: _async(consumer.skipped_duplicates >= 1), what="the redelivery handled")
        await notifications.host.parts.workers[0].send_batch()  # type: ignore[attr-defined]
        assert len(mails(smtp_sink, address)) == 1
        assert len(await notifications.messages(COMPANY_A)) == 1

        # a reschedule and a cancellation reach the client too, with a cancelling .ics
        token = booking["manage_token"]
        manage = stack.headers(**{"X-Booking-Token": token})
        moved = await http.post(
            f"/v1/bookings/{booking['id']}/reschedule", json={"slot_id": offer.slot_id(3)}, headers=manage
        )
        assert moved.status_code == 200, moved.text
        cancelled = await http.post(f"/v1/bookings/{booking['id']}/cancel", json={}, headers=manage)
        assert cancelled.status_code == 200, cancelled.text
        await eventually(lambda: _async(len(mails(smtp_sink, address)) >= 3), what="reschedule and cancel emails")
        later = mails(smtp_sink, address)[1:]  # the two may reach the sink in either order
        [cancel] = [m for m in later if "cancelled" in str(m["Subject"])]
        [rescheduled] = [m for m in later if m is not cancel]
        assert "12:00 PM to 1:00 PM (CST)" in text_of(rescheduled)
        assert booking["manage_url"] in text_of(rescheduled)
        cancel_ics = Calendar.from_ical(attachment(cancel, "booking.ics"))
        assert str(cancel_ics["method"]) == "CANCEL"
        assert "cancelled" in str(cancel["Subject"])


async def test_smtp_down_for_a_while_the_email_arrives_once_it_is_back(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        notifications_service(
            sqlite_databases, nats_server.url, smtp_sink, stack.services.scheduling_port
        ) as notifications,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack)
        smtp_sink.stop()
        address = "grace@example.com"
        created = await http.post(
            "/v1/bookings", json=booking_body(offer.slot_id(0), email=address), headers=stack.headers()
        )
        assert created.status_code == 201, created.text

        async def retried() -> npb.Message | None:
            found = await notifications.messages(COMPANY_A)
            return found[0] if found and found[0].attempts >= 2 else None

        waiting = await eventually(retried, what="failed attempts while the SMTP server is down")
        assert waiting.state == npb.DELIVERY_STATE_QUEUED
        assert "unreachable" in waiting.failure_reason
        assert mails(smtp_sink) == []

        smtp_sink.start()
        [sent] = await _sent(notifications, COMPANY_A, 1)
        assert sent.failure_reason == ""
        assert len(mails(smtp_sink, address)) == 1
        for _ in range(5):  # more sender rounds send nothing again
            await notifications.host.parts.workers[0].send_batch()  # type: ignore[attr-defined]
        assert len(mails(smtp_sink, address)) == 1


async def _async(value: bool) -> bool:
    return value
