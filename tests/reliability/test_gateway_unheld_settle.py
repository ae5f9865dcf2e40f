"""A booking that takes no payment holds nothing: the gateway books the slot in one call
(BookOnline from the slot) under the id it gave the booking, and settles a confirmation that got
no answer by looking that booking up. Found, it stands (the customer gets the booking);
not found, it failed only once no call booking it can still commit (its lease moved to the
call's deadline): until then a retry with the same Idempotency-Key hears that it is being
settled, and recovery fails it afterwards, the slot open again. Scheduling reached through a
gate that refuses BookOnline or loses its answer."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.schema import utcnow
from tests.reliability.test_gateway_manage_reads import ONLINE, gate_of, record, session_of
from tests.reliability.test_gateway_saga import booking_records, open_ids, settled
from tests.stack_support import booking_body, booking_stack, offer_online

pytestmark = pytest.mark.asyncio

BOOK_ONLINE = ONLINE + "BookOnline"


async def test_a_confirmation_whose_answer_was_lost_is_found_booked(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url, scheduling_gate=True) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http,
    ):
        offer = await offer_online(stack)  # nothing to pay
        gate = gate_of(stack)
        gate.lose(lambda method: method == BOOK_ONLINE)
        created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=stack.headers())
        assert created.status_code == 201, created.text  # booked, though no answer of BookOnline arrived
        assert gate.lost
        assert set(gate.lost) == {BOOK_ONLINE}
        booking = created.json()
        assert (await session_of(stack, booking["id"])).booked_online
        row = await record(stack, booking["id"])
        assert (row.hold, row.state) == ("", "confirmed")
        assert offer.slot_id(0) not in await open_ids(http, stack, offer)


async def test_an_unanswered_confirmation_fails_only_once_its_call_cannot_book(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url, scheduling_gate=True) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http,
    ):
        offer = await offer_online(stack)
        gate = gate_of(stack)
        gate.refuse(lambda method: method == BOOK_ONLINE)
        body = booking_body(offer.slot_id(0))
        keyed = stack.headers(**{"Idempotency-Key": "unanswered-confirmation"})
        reply = await http.post("/v1/bookings", json=body, headers=keyed)
        assert reply.status_code == 503, reply.text
        problem = reply.json()
        assert problem["code"] == "BOOKING_NOT_COMPLETED"
        assert "whether the slot was booked" in problem["detail"]
        # not booked, and not failed yet: the call's deadline has not certainly passed
        [row] = await booking_records(stack)
        assert (row.hold, row.state) == ("", "held")
        assert row.lease_until > utcnow() + timedelta(seconds=5)
        pending = await http.post("/v1/bookings", json=body, headers=keyed)
        assert pending.status_code == 503, pending.text
        assert pending.json()["code"] == "BOOKING_NOT_COMPLETED"

        gate.open()
        assert [r.state for r in await settled(stack)] == ["failed"]  # recovery, its lease run out
        outcome = await http.post("/v1/bookings", json=body, headers=keyed)
        assert outcome.status_code == 409, outcome.text
        assert outcome.json()["code"] == "BOOKING_FAILED"
        assert offer.slot_id(0) in await open_ids(http, stack, offer)
        again = await http.post("/v1/bookings", json=body, headers=stack.headers())
        assert again.status_code == 201, again.text
