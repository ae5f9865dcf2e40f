"""A booking takes its slot's kind, type and location from the gateway's open-slot read model
when the model lists the slot (no GetTimeSlot call), from scheduling otherwise; either way
the key's locations bound it, and scheduling decides whether the slot is still open. A booking
that takes payment reads its slot from scheduling (its invoice uses the slot's times).
Scheduling is reached through a gate that records the calls asked of it."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_gateway.application.api_keys import issue_key
from shutterbook_kit.db import Database
from tests.helpers import COMPANY_A
from tests.reliability.test_gateway_manage_reads import ONLINE, gate_of, record
from tests.reliability.test_gateway_saga import booking_records, offer_listed_price, open_ids
from tests.scheduling_support import client_message
from tests.stack_support import OnlineStudio, Stack, booking_body, booking_stack, offer_online

pytestmark = pytest.mark.asyncio

GET_TIME_SLOT = ONLINE + "GetTimeSlot"
BOOK_ONLINE = ONLINE + "BookOnline"
LIST_OPEN_SLOTS = ONLINE + "ListOpenSlots"


async def listed(http: httpx.AsyncClient, stack: Stack, offer: OnlineStudio) -> list[str]:
    """The offer's open slots once the gateway's model keeps their day: read until a read 0.3 s
    after another asks scheduling nothing (the events of the offer's setup, which drop the
    day, have arrived by then; bounded)."""
    gate = gate_of(stack)
    for _ in range(50):
        first = await open_ids(http, stack, offer)
        asked = gate.called.count(LIST_OPEN_SLOTS)
        await asyncio.sleep(0.3)
        if await open_ids(http, stack, offer) == first and gate.called.count(LIST_OPEN_SLOTS) == asked:
            return first
    raise AssertionError("the gateway's model never kept the offer's day")


@pytest.mark.postgres
async def test_a_listed_slot_is_booked_without_reading_it_from_scheduling(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(databases, nats_server.url, scheduling_gate=True) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http,
    ):
        offer = await offer_online(stack)  # nothing to pay
        gate = gate_of(stack)
        assert await listed(http, stack, offer) == [offer.slot_id(i) for i in range(4)]
        gate.called.clear()
        created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers())
        assert created.status_code == 201, created.text
        assert GET_TIME_SLOT not in gate.called
        assert BOOK_ONLINE in gate.called
        booking = created.json()
        row = await record(stack, booking["id"])
        location_id = offer.studio.location.name.split("/", 1)[1]
        assert (row.kind, row.type_id, row.location_id, row.slot_id, row.state) == (
            "session",
            offer.type_id,
            location_id,
            offer.slot_id(0),
            "confirmed",
        )
        assert booking["location"]["id"] == location_id
        assert booking["local_start"].startswith(f"{offer.day.isoformat()}T09:00:00")

        # the booking dropped its day from this gateway's model: the next slot of that day is
        # still known (its kind, type and location never change), and books without a read
        gate.called.clear()
        created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(1)), headers=stack.headers())
        assert created.status_code == 201, created.text
        assert GET_TIME_SLOT not in gate.called

        # a slot this gateway never read is read from scheduling, and books all the same
        unread = await offer_online(stack)
        gate.called.clear()
        created = await http.post("/v1/bookings", json=booking_body(unread.slot_id(0)), headers=stack.headers())
        assert created.status_code == 201, created.text
        assert gate.called.count(GET_TIME_SLOT) == 1

        # a booking that takes payment reads its slot from scheduling though the model lists it
        paid = await offer_listed_price(stack)
        assert paid.slot_id(0) in await listed(http, stack, paid)
        gate.called.clear()
        body = booking_body(paid.slot_id(0), payment_token="tok_sandbox_ok")
        created = await http.post("/v1/bookings", json=body, headers=stack.headers())
        assert created.status_code == 201, created.text
        assert gate.called.count(GET_TIME_SLOT) == 1
        assert created.json()["payment"]["charged"]["amount_minor"] == 5000


async def test_a_slot_outside_the_keys_locations_is_not_found_listed_or_not(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url, scheduling_gate=True) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http,
    ):
        offer = await offer_online(stack)
        gate = gate_of(stack)
        db = Database(stack.gateway_db)
        try:  # a key of the same company, for another of its locations
            scoped = {"X-Api-Key": await issue_key(db, COMPANY_A, "elsewhere", location_ids=[str(uuid.uuid4())])}
        finally:
            await db.dispose()
        absent = await http.post("/v1/bookings", json=booking_body(str(uuid.uuid4())), headers=scoped)
        assert absent.status_code == 404, absent.text

        # not in the model: read from scheduling, then hidden
        refused = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=scoped)
        assert GET_TIME_SLOT in gate.called
        assert (refused.status_code, refused.json()["code"]) == (404, absent.json()["code"])

        # listed in the company's model (read through the whole-company key): hidden all the same
        assert offer.slot_id(1) in await listed(http, stack, offer)
        gate.called.clear()
        refused = await http.post("/v1/bookings", json=booking_body(offer.slot_id(1)), headers=scoped)
        assert (refused.status_code, refused.json()["code"]) == (404, absent.json()["code"])
        assert gate.called == []  # answered from the model: nothing asked of scheduling
        assert await booking_records(stack) == []
        assert await open_ids(http, stack, offer) == [offer.slot_id(i) for i in range(4)]


async def test_a_slot_taken_since_the_model_listed_it_is_refused_by_scheduling(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """The gateway hears no events here, so its model still lists a slot held meanwhile
    through scheduling directly (as it would in the event's lag): BookOnline refuses it."""
    async with (
        booking_stack(sqlite_databases, nats_server.url, scheduling_gate=True, gateway_hears_events=False) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http,
    ):
        offer = await offer_online(stack)
        gate = gate_of(stack)
        assert offer.slot_id(0) in await listed(http, stack, offer)
        meta = company_metadata(COMPANY_A)
        client = client_message("Early Bird")
        await stack.services.scheduling.EnsureKnownClient(pb.EnsureKnownClientRequest(client=client), metadata=meta)
        await stack.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=offer.slots[0].name, client=client.name, request_id=str(uuid.uuid4())),
            metadata=meta,
        )
        assert offer.slot_id(0) in await open_ids(http, stack, offer)  # stale: nothing told the gateway
        gate.called.clear()
        refused = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers())
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "SLOT_NOT_OPEN"
        assert GET_TIME_SLOT not in gate.called
        assert BOOK_ONLINE in gate.called
        [row] = await booking_records(stack)
        assert row.state == "failed"
        # the refusal dropped the slot's day from this gateway's model: read again, it is gone
        assert await open_ids(http, stack, offer) == [offer.slot_id(i) for i in range(1, 4)]
