"""Cancelling and rescheduling an online booking when scheduling's reads fail: the gateway reads
what the booking's event shows (the booking, its location and type) before it asks scheduling
for the change, so a read that fails leaves both sides as they were (scheduling's booking, the
gateway's record, no event, no refund), and a retry with the same Idempotency-Key completes.
Real services, databases, NATS and HTTP; the gateway reaches scheduling through a gRPC gate that
refuses the scheduling service's calls (its reads) while online booking's changes go through."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shutterbook.gateway.v1 import events_pb2 as gateway_events
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.loopback import read_outbox
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_kit.db import Database
from tests.grpc_gate import GrpcGate
from tests.helpers import COMPANY_A
from tests.stack_support import Stack, booking_body, booking_stack, offer_online

pytestmark = pytest.mark.asyncio
A = company_metadata(COMPANY_A)
SCHEDULING_READS = "/shutterbook.scheduling.v1.SchedulingService/"
ONLINE = "/shutterbook.scheduling.v1.OnlineBookingService/"


def gate_of(stack: Stack) -> GrpcGate:
    assert stack.scheduling_gate is not None
    return stack.scheduling_gate


async def record(stack: Stack, booking_id: str) -> OnlineBookingRow:
    db = Database(stack.gateway_db)
    try:
        async with db.engine.connect() as conn:
            row = (await conn.execute(select(OnlineBookingRow).where(OnlineBookingRow.id == booking_id))).one()
            return OnlineBookingRow(**row._mapping)
    finally:
        await db.dispose()


async def session_of(stack: Stack, booking_id: str) -> pb.Session:
    """The booking as scheduling has it (asked directly, not through the gate)."""
    return await stack.services.scheduling.GetSession(pb.GetSessionRequest(name=f"sessions/{booking_id}"), metadata=A)


async def book(http: httpx.AsyncClient, stack: Stack, slot_id: str, payment_token: str = "") -> dict[str, Any]:
    paying = {"payment_token": payment_token} if payment_token else {}
    created = await http.post("/v1/bookings", json=booking_body(slot_id, **paying), headers=stack.headers())
    assert created.status_code == 201, created.text
    booking: dict[str, Any] = created.json()
    return booking


async def test_a_cancel_whose_reads_fail_changes_nothing_and_its_retry_cancels_and_refunds(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(databases, nats_server.url, scheduling_gate=True) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http,
    ):
        offer = await offer_online(
            stack,
            payment_option=pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE,
            payment_amount=5000,
            item_price=15000,
            cancellation=(pb.CANCELLATION_POLICY_REFUND_IN_FULL, 0),
        )
        booking = await book(http, stack, offer.slot_id(0), payment_token="tok_sandbox_ok")
        manage = stack.headers(**{"X-Booking-Token": booking["manage_token"], "Idempotency-Key": "cancel-1"})
        gate = gate_of(stack)

        gate.refuse(lambda method: method.startswith(SCHEDULING_READS))
        failed = await http.post(f"/v1/bookings/{booking['id']}/cancel", json={}, headers=manage)
        assert failed.status_code == 503, failed.text
        assert failed.headers["content-type"].startswith("application/problem+json")
        # both sides as they were: booked in scheduling, confirmed here, no event, nothing refunded
        assert not (await session_of(stack, booking["id"])).cancelled
        assert (await record(stack, booking["id"])).state == "confirmed"
        assert await read_outbox(stack.gateway_db, "gateway.booking.cancelled") == []
        assert stack.billing.provider.refunds == {}
        assert gate.refused  # a read was refused ...
        assert not [m for m in gate.forwarded if m.startswith(ONLINE + "CancelOnline")]  # ... before any cancel

        gate.open()
        retried = await http.post(f"/v1/bookings/{booking['id']}/cancel", json={}, headers=manage)
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] == "cancelled"
        assert retried.json()["payment"]["refunded"] == {"amount_minor": 5000, "currency_code": "USD"}
        assert (await session_of(stack, booking["id"])).cancelled
        assert (await record(stack, booking["id"])).state == "cancelled"
        [event] = await read_outbox(stack.gateway_db, "gateway.booking.cancelled")
        cancelled = gateway_events.OnlineBookingCancelledEvent()
        event.payload.Unpack(cancelled)
        assert (cancelled.booking.booking_id, cancelled.booking.start_time.ToJsonString()) == (
            booking["id"],
            booking["start_time"],
        )
        assert sum(r.amount_minor for r in stack.billing.provider.refunds.values()) == 5000


async def test_a_reschedule_whose_reads_fail_changes_nothing_and_its_retry_moves_the_booking(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(sqlite_databases, nats_server.url, scheduling_gate=True) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http,
    ):
        offer = await offer_online(stack)
        booking = await book(http, stack, offer.slot_id(0))
        manage = stack.headers(**{"X-Booking-Token": booking["manage_token"], "Idempotency-Key": "move-1"})
        before = await session_of(stack, booking["id"])
        gate = gate_of(stack)

        gate.refuse(lambda method: method.startswith(SCHEDULING_READS))
        move = {"slot_id": offer.slot_id(2)}
        failed = await http.post(f"/v1/bookings/{booking['id']}/reschedule", json=move, headers=manage)
        assert failed.status_code == 503, failed.text
        # both sides as they were: the same times in scheduling, the same slot here, no event
        assert (await session_of(stack, booking["id"])).start_time == before.start_time
        assert (await record(stack, booking["id"])).slot_id == offer.slot_id(0)
        assert await read_outbox(stack.gateway_db, "gateway.booking.rescheduled") == []
        assert gate.refused
        assert not [m for m in gate.forwarded if m.startswith(ONLINE + "RescheduleOnline")]

        gate.open()
        retried = await http.post(f"/v1/bookings/{booking['id']}/reschedule", json=move, headers=manage)
        assert retried.status_code == 200, retried.text
        moved = retried.json()
        target = offer.slots[2]
        assert moved["start_time"] == target.start_time.ToJsonString()
        assert moved["end_time"] == target.end_time.ToJsonString()
        assert (await session_of(stack, booking["id"])).start_time == target.start_time
        assert (await record(stack, booking["id"])).slot_id == offer.slot_id(2)
        # the answer, made from what was read before the move, is what scheduling shows after it
        view = await http.get(f"/v1/bookings/{booking['id']}", headers=manage)
        assert {k: view.json()[k] for k in ("start_time", "end_time", "local_start", "time_zone", "number")} == {
            k: moved[k] for k in ("start_time", "end_time", "local_start", "time_zone", "number")
        }
        [event] = await read_outbox(stack.gateway_db, "gateway.booking.rescheduled")
        rescheduled = gateway_events.OnlineBookingRescheduledEvent()
        event.payload.Unpack(rescheduled)
        assert rescheduled.booking.start_time == target.start_time
        assert rescheduled.booking.location_display_name == booking["location"]["name"]
