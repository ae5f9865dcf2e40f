"""A picture day family's bookings through the portal reach the family's email (issue 21),
through the real SMTP sink, on SQLite and PostgreSQL: the confirmation names the children,
the time in the location's zone and the location, with a calendar file of the session's
times; a reschedule sends the moved time with the same calendar UID and a higher SEQUENCE,
a cancellation a cancelling calendar file. Each once, in the family's message log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from email.message import EmailMessage

import httpx
from icalendar import Calendar, Component

from shutterbook.clients.v1 import clients_pb2
from shutterbook.notifications.v1 import notifications_pb2 as npb
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.mail_sink import MailSink
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from tests.bulk_support import BulkSlice, bulk_slice
from tests.notifications_support import Notifications, attachment, html_of, mails, notifications_service, text_of
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


async def _mail_count(sink: MailSink, count: int) -> bool | None:
    return True if len(mails(sink, ADDRESS)) >= count else None


def _event(mail: EmailMessage) -> tuple[Calendar, Component]:
    calendar = Calendar.from_ical(attachment(mail, "booking.ics"))
    [event] = calendar.walk("VEVENT")
    return calendar, event


@asynccontextmanager
async def _riveras(
    databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink, children: list[str]
) -> AsyncIterator[tuple[BulkSlice, Notifications, clients_pb2.Client, httpx.AsyncClient]]:
    """The Rivera family (`children`) of Lincoln Elementary on a picture day at Downtown Studio
    (America/New_York, 10-minute slots from 8:30), signed in to the portal with their code;
    notifications sending to the SMTP sink."""
    async with (
        bulk_slice(databases, nats_server.url) as s,
        notifications_service(databases, nats_server.url, smtp_sink, s.scheduling.host.port) as notifications,
    ):
        studio = await make_studio(s.scheduling)
        school = await organization(s, "Lincoln Elementary")
        rivera = await family(s, school, "Rivera", children, email=ADDRESS)
        await wait_known(s, [rivera])
        day = await picture_day_stub(s).CreatePictureDay(
            pdpb.CreatePictureDayRequest(picture_day=picture_day(studio, school, slots_from=(8, 30), minutes=10)),
            metadata=A,
        )
        code = (await issue_codes(s, day.name))[rivera.name]
        async with portal(databases, s, nats_server.url) as p, p.family(code) as http:
            yield s, notifications, rivera, http


async def test_portal_bookings_email_the_family_with_a_calendar_file(
    databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    async with _riveras(databases, nats_server, smtp_sink, ["Mia", "Leo"]) as (s, notifications, rivera, http):
        seen = (await http.get("/v1/picture-day")).json()
        children = [c["id"] for c in seen["children"]]
        first, later = seen["slots"][0], seen["slots"][3]
        made = await http.post("/v1/picture-day/bookings", json={"slot_id": first["id"], "children": children})
        assert made.status_code == 201, made.text
        booking = made.json()

        # the confirmation: children, local time, the place, the calendar file
        await eventually(lambda: _mail_count(smtp_sink, 1), what="the confirmation email")
        [confirmation] = mails(smtp_sink, ADDRESS)
        text = text_of(confirmation)
        assert "Monday, May 6, 2030" in str(confirmation["Subject"])
        assert "for Mia Rivera and Leo Rivera" in text
        assert "Monday, May 6, 2030, 8:30 AM to 8:40 AM (EDT)" in text  # 12:30 UTC in New York
        assert "Downtown Studio" in text
        assert "for Mia Rivera and Leo Rivera" in html_of(confirmation)
        calendar, event = _event(confirmation)
        uid = f"{booking['id']}@shutterbook"
        assert str(event["uid"]) == uid
        assert event.decoded("dtstart") == datetime.fromisoformat(first["start_time"])
        assert event["dtstart"].params["TZID"] == "America/New_York"
        assert "Mia Rivera and Leo Rivera" in str(event["summary"])
        assert "Downtown Studio" in str(event["location"])
        assert str(calendar["method"]) == "PUBLISH"
        first_sequence = int(str(event["sequence"]))

        # a reschedule: the new time, the same event moved
        moved = await http.post(f"/v1/picture-day/bookings/{booking['id']}/reschedule", json={"slot_id": later["id"]})
        assert moved.status_code == 200, moved.text
        await eventually(lambda: _mail_count(smtp_sink, 2), what="the reschedule email")
        rescheduled = mails(smtp_sink, ADDRESS)[1]
        assert "9:00 AM to 9:10 AM (EDT)" in text_of(rescheduled)
        assert "has moved" in str(rescheduled["Subject"])
        _, event = _event(rescheduled)
        assert str(event["uid"]) == uid
        assert event.decoded("dtstart") == datetime.fromisoformat(later["start_time"])
        assert int(str(event["sequence"])) > first_sequence

        # a cancellation: the event removed
        cancelled = await http.post(f"/v1/picture-day/bookings/{booking['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        await eventually(lambda: _mail_count(smtp_sink, 3), what="the cancellation email")
        cancellation = mails(smtp_sink, ADDRESS)[2]
        assert "cancelled" in str(cancellation["Subject"])
        calendar, event = _event(cancellation)
        assert str(calendar["method"]) == "CANCEL"
        assert str(event["uid"]) == uid

        # each once, in the family's log, under the booking's session
        logged = await notifications.messages(COMPANY_A, client=rivera.name)
        assert sorted(m.purpose for m in logged) == sorted(
            [
                npb.FORM_LETTER_PURPOSE_ONLINE_BOOKING_CONFIRMATION,
                npb.FORM_LETTER_PURPOSE_RESCHEDULE,
                npb.FORM_LETTER_PURPOSE_CANCELLATION,
            ]
        )
        assert all(m.state == npb.DELIVERY_STATE_SENT and m.recipient == ADDRESS for m in logged)
        [session] = {m.session for m in logged}
        found = await s.scheduling.stub.GetSession(pb.GetSessionRequest(name=session), metadata=A)
        assert found.client == rivera.name
        assert found.cancelled


async def test_a_staff_cancel_of_the_session_emails_the_family(
    databases: DatabaseFactory, nats_server: EmbeddedNats, smtp_sink: MailSink
) -> None:
    """The studio cancels a family's picture day session from the calendar (CancelSession): the
    family gets the same cancellation email as when they cancel themselves, and the slot is
    free again on the portal."""
    async with _riveras(databases, nats_server, smtp_sink, ["Mia"]) as (s, notifications, rivera, http):
        seen = (await http.get("/v1/picture-day")).json()
        slot = seen["slots"][0]
        made = await http.post(
            "/v1/picture-day/bookings", json={"slot_id": slot["id"], "children": [seen["children"][0]["id"]]}
        )
        assert made.status_code == 201, made.text
        await eventually(lambda: _mail_count(smtp_sink, 1), what="the confirmation email")
        uid = f"{made.json()['id']}@shutterbook"
        [confirmed] = await notifications.messages(COMPANY_A, client=rivera.name)
        session = confirmed.session

        await s.scheduling.stub.CancelSession(pb.CancelSessionRequest(name=session), metadata=A)

        await eventually(lambda: _mail_count(smtp_sink, 2), what="the cancellation email")
        cancellation = mails(smtp_sink, ADDRESS)[1]
        assert "cancelled" in str(cancellation["Subject"])
        assert "Monday, May 6, 2030" in text_of(cancellation)
        calendar, event = _event(cancellation)
        assert (str(calendar["method"]), str(event["uid"])) == ("CANCEL", uid)
        again = (await http.get("/v1/picture-day")).json()
        assert [b["cancelled"] for b in again["bookings"]] in ([], [True])
        assert [c["booking_id"] for c in again["children"]] == [""]
