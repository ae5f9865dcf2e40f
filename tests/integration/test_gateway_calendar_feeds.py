"""A schedule's calendar feed over HTTP: a secret URL a calendar app polls, the same UID after a
reschedule, the client's name and the type as the summary (never the customer's note), and a
revoked (or guessed) URL is 404; a staff member's feed covers every schedule they are on. Real
services, databases, NATS and HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from google.protobuf import field_mask_pb2
from icalendar import Calendar

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_gateway.application.calendar_feeds import create_feed, create_staff_feed, revoke_feed
from shutterbook_kit.db import Database
from tests.helpers import COMPANY_A
from tests.stack_support import booking_body, booking_stack, offer_online

pytestmark = pytest.mark.asyncio


def events_of(ics: bytes) -> list[Any]:
    return list(Calendar.from_ical(ics).walk("VEVENT"))


async def test_a_schedule_feed_keeps_its_uids_and_can_be_revoked(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        offer = await offer_online(stack)
        body = booking_body(offer.slot_id(0), notes="Please bring the dog, my number is 555-0100")
        booking = (await http.post("/v1/bookings", json=body, headers=stack.headers())).json()
        db = Database(stack.gateway_db)
        try:
            schedule_id = offer.studio.photographer.name.split("/", 1)[1]
            path = await create_feed(db, COMPANY_A, schedule_id, "John's phone")
            feed = await http.get(path)  # no API key: the URL's secret is the credential
            assert feed.status_code == 200, feed.text
            assert feed.headers["content-type"].startswith("text/calendar")
            [event] = events_of(feed.content)
            type_name = offer.studio.session_type.display_name
            assert str(event["summary"]) == f"Ada Lovelace - {type_name} (Confirmed)"  # booked online: confirmed
            assert "dog" not in feed.text  # the customer's note is not the event's title
            uid = str(event["uid"])

            manage = stack.headers(**{"X-Booking-Token": booking["manage_token"]})
            moved = await http.post(
                f"/v1/bookings/{booking['id']}/reschedule", json={"slot_id": offer.slot_id(2)}, headers=manage
            )
            assert moved.status_code == 200, moved.text
            [after] = events_of((await http.get(path)).content)
            assert str(after["uid"]) == uid  # the calendar app moves the event instead of adding one
            assert after["dtstart"].dt != event["dtstart"].dt

            feed_id = path.split("/")[2]
            assert (await http.get(f"/calendars/{feed_id}/not-the-secret.ics")).status_code == 404
            assert await revoke_feed(db, feed_id)
            gone = await http.get(path)
            assert gone.status_code == 404
            assert gone.json()["code"] == "NOT_FOUND"
        finally:
            await db.dispose()


async def test_a_staff_members_feed_covers_every_schedule_they_are_on(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http,
    ):
        here = await offer_online(stack)
        there = await offer_online(stack, time_zone="America/Los_Angeles")
        for offer in (here, there):
            made = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers())
            assert made.status_code == 201, made.text
        member = here.studio.photographer.staff_member
        other = there.studio.photographer.staff_member
        # the New York photographer also works in Los Angeles: that schedule is theirs now
        await stack.services.scheduling.UpdateSchedule(
            pb.UpdateScheduleRequest(
                schedule=pb.Schedule(name=there.studio.photographer.name, staff_member=member),
                update_mask=field_mask_pb2.FieldMask(paths=["staff_member"]),
            ),
            metadata=company_metadata(COMPANY_A),
        )
        db = Database(stack.gateway_db)
        try:
            path = await create_staff_feed(db, COMPANY_A, member.split("/", 1)[1], "Jane, every studio")
            feed = await http.get(path)
            assert feed.status_code == 200, feed.text
            cal = Calendar.from_ical(feed.content)
            events = cal.walk("VEVENT")
            assert len(events) == 2  # both studios' bookings, one calendar
            assert len({str(e["uid"]) for e in events}) == 2
            jane = await stack.services.scheduling.GetStaffMember(
                pb.GetStaffMemberRequest(name=member), metadata=company_metadata(COMPANY_A)
            )
            assert str(cal["x-wr-calname"]) == jane.display_name
            assert events[0].decoded("dtstart") <= events[1].decoded("dtstart")  # in start order

            nobody = await create_staff_feed(db, COMPANY_A, other.split("/", 1)[1])
            empty = await http.get(nobody)  # on no schedule any more: an empty calendar, not an error
            assert empty.status_code == 200
            assert not events_of(empty.content)
            unknown = await create_staff_feed(db, COMPANY_A, str(uuid.uuid4()))
            assert (await http.get(unknown)).status_code == 404
            assert await revoke_feed(db, path.split("/")[2])
            assert (await http.get(path)).status_code == 404
        finally:
            await db.dispose()
