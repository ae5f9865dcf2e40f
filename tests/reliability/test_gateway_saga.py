"""The booking saga under contention and failure: a slot is sold once, no money is kept
without a booking, and whatever a failure leaves half done is settled once services are back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from shutterbook.billing.v1 import billing_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, company_metadata, eventually
from shutterbook_gateway.application.recovery import recover_due
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.settings import HoldSettings, SchedulingSettings
from shutterbook_scheduling.storage.online_models import SlotHoldRow
from tests.helpers import COMPANY_A
from tests.stack_support import OnlineStudio, Stack, booking_body, booking_stack, offer_online

pytestmark = pytest.mark.asyncio
A = company_metadata(COMPANY_A)


async def offer_listed_price(stack: Stack) -> OnlineStudio:
    """A type that takes 50.00 of its 150.00 session fee invoice at booking."""
    return await offer_online(
        stack, payment_option=pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE, payment_amount=5000, item_price=15000
    )


async def live_holds(stack: Stack) -> int:
    db = Database(stack.services.scheduling_db)
    try:
        async with db.engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(SlotHoldRow).where(SlotHoldRow.state == opb.SLOT_HOLD_STATE_HELD)
            )
            return int(count or 0)
    finally:
        await db.dispose()


async def open_ids(http: httpx.AsyncClient, stack: Stack, offer: OnlineStudio) -> list[str]:
    day = offer.day.isoformat()
    reply = await http.get(
        f"/v1/session-types/{offer.type_id}/open-slots",
        params={"start_date": day, "end_date": day},
        headers=stack.headers(),
    )
    assert reply.status_code == 200, reply.text
    return [s["id"] for s in reply.json()["slots"]]


async def payments_of(stack: Stack, invoice: str) -> list[billing_pb2.Payment]:
    reply = await stack.billing.stub.ListPayments(billing_pb2.ListPaymentsRequest(invoice=invoice), metadata=A)
    return list(reply.payments)


async def session_invoices(stack: Stack, booking_id: str) -> list[billing_pb2.Invoice]:
    reply = await stack.billing.stub.ListInvoices(
        billing_pb2.ListInvoicesRequest(session=f"sessions/{booking_id}"), metadata=A
    )
    return list(reply.invoices)


async def settled(stack: Stack) -> list[OnlineBookingRow]:
    """The bookings once recovery has settled them all (recovery rounds as the gateway's loop
    runs them, leases treated as run out; the gateway's own loop may win some of them)."""

    async def all_final() -> list[OnlineBookingRow] | None:
        await settle_now(stack)
        rows = await booking_records(stack)
        return rows if all(r.state not in ("held", "paid") for r in rows) else None

    return await eventually(all_final, timeout=30, interval=0.5, what="bookings settled")


async def settle_now(stack: Stack) -> int:
    """One recovery round, as the gateway's loop runs it, with every lease treated as run out."""
    db = Database(stack.gateway_db)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(update(OnlineBookingRow).values(lease_until=utcnow() - timedelta(seconds=1)))
        gateway_up = Upstreams(
            {
                "clients": f"127.0.0.1:{stack.services.clients_port}",
                "scheduling": f"127.0.0.1:{stack.services.scheduling_port}",
                "billing": stack.billing_proxy.address if stack.billing_proxy else f"127.0.0.1:{stack.billing.port}",
            }
        )
        try:
            return await recover_due(db, gateway_up)
        finally:
            await gateway_up.close()
    finally:
        await db.dispose()


async def race(http: httpx.AsyncClient, stack: Stack, slot_id: str, payment_token: str = "") -> list[httpx.Response]:
    """200 customers booking `slot_id` at once, each as a partner would: one Idempotency-Key per
    attempt, the same key again when the connection breaks (200 connections open at once on one
    busy process); the final answers."""
    paying = {"payment_token": payment_token} if payment_token else {}

    async def attempt(i: int) -> httpx.Response:
        body = booking_body(slot_id, email=f"racer{i}@example.com", **paying)
        headers = stack.headers(**{"Idempotency-Key": f"race-{i}"})
        for _ in range(30):
            try:
                reply = await http.post("/v1/bookings", json=body, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(1)
                continue
            if reply.status_code == 409 and reply.json()["code"] == "IDEMPOTENCY_KEY_IN_USE":
                await asyncio.sleep(1)  # the broken attempt is still running: ask again
                continue
            if reply.status_code == 503 and "Retry-After" in reply.headers:
                # on a starved machine a step can outlive its deadline: the gateway frees the
                # key after a 5xx and a retry with it resumes the same booking (documented
                # contract), so a partner asks again after Retry-After
                await asyncio.sleep(1)
                continue
            return reply
        raise AssertionError(f"attempt {i} got no answer")

    return list(await asyncio.gather(*(attempt(i) for i in range(200))))


async def one_winner(stack: Stack, replies: list[httpx.Response]) -> dict[str, Any]:
    """Exactly one 201; every other answer 409 SLOT_NOT_OPEN as a problem; the winner's body."""
    statuses = sorted(r.status_code for r in replies)
    assert statuses.count(201) == 1, [(r.state, r.last_error) for r in await booking_records(stack)]
    losers = [r for r in replies if r.status_code != 201]
    assert {r.status_code for r in losers} == {409}, [r.text for r in losers if r.status_code != 409][:3]
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in losers)
    assert {r.json()["code"] for r in losers} == {"SLOT_NOT_OPEN"}
    winner: dict[str, Any] = next(r for r in replies if r.status_code == 201).json()
    return winner


async def test_200_concurrent_bookings_of_one_slot_sell_it_once_and_charge_once(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with booking_stack(databases, nats_server.url) as stack:
        offer = await offer_listed_price(stack)
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=120, limits=limits) as http:
            winner = await one_winner(stack, await race(http, stack, offer.slot_id(0), "tok_sandbox_ok"))
            assert len(stack.billing.provider.charges) == 1
            [invoice] = await session_invoices(stack, winner["id"])
            assert [p.amount.amount_minor for p in await payments_of(stack, invoice.name)] == [5000]
            assert await live_holds(stack) == 0
            assert offer.slot_id(0) not in await open_ids(http, stack, offer)


async def test_200_concurrent_free_bookings_of_one_slot_book_it_once(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """Nothing to pay: no hold, each attempt books the slot straight away in one call; the race
    is decided in scheduling's one transaction (schedule locks, the slot's conditional take)."""
    async with booking_stack(databases, nats_server.url) as stack:
        offer = await offer_online(stack)
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=120, limits=limits) as http:
            winner = await one_winner(stack, await race(http, stack, offer.slot_id(0)))
            records = await booking_records(stack)
            assert {r.hold for r in records} == {""}
            assert sorted(r.state for r in records) == ["confirmed"] + ["failed"] * (len(records) - 1)
            session = await stack.services.scheduling.GetSession(
                pb.GetSessionRequest(name=f"sessions/{winner['id']}"), metadata=company_metadata(COMPANY_A)
            )
            assert session.booked_online
            booked = await stack.online.ListTimeSlots(opb.ListTimeSlotsRequest(), metadata=company_metadata(COMPANY_A))
            assert [s.booked_session for s in booked.time_slots if s.name == f"timeSlots/{offer.slot_id(0)}"] == [
                session.name
            ]
            assert offer.slot_id(0) not in await open_ids(http, stack, offer)


async def test_billing_unreachable_during_a_paid_booking_keeps_no_money_and_frees_the_slot(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with booking_stack(databases, nats_server.url, billing_proxy=True) as stack:
        offer = await offer_listed_price(stack)
        assert stack.billing_proxy is not None
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
            await stack.billing_proxy.cut()
            body = booking_body(offer.slot_id(0), payment_token="tok_sandbox_ok")
            keyed = stack.headers(**{"Idempotency-Key": "booking-during-outage"})
            reply = await http.post("/v1/bookings", json=body, headers=keyed)
            assert reply.status_code == 503, reply.text
            assert reply.headers["content-type"].startswith("application/problem+json")
            assert reply.json()["code"] == "BOOKING_NOT_COMPLETED"
            assert reply.headers.get("retry-after")
            # the hold was released at once: the slot is open again while billing is still down
            assert offer.slot_id(0) in await open_ids(http, stack, offer)
            assert await live_holds(stack) == 0
            # a retry with the same key while billing is still down: still being settled
            pending = await http.post("/v1/bookings", json=body, headers=keyed)
            assert pending.status_code == 503, pending.text
            assert pending.json()["code"] == "BOOKING_NOT_COMPLETED"
            assert pending.headers.get("retry-after")

            await stack.billing_proxy.restore()
            rows = await settled(stack)
            assert stack.billing.provider.charges == {}  # nothing was ever charged
            assert [r.state for r in rows] == ["failed"]
            # once settled, the same key answers the outcome: nothing was booked
            outcome = await http.post("/v1/bookings", json=body, headers=keyed)
            assert outcome.status_code == 409, outcome.text
            assert outcome.json()["code"] == "BOOKING_FAILED"
            assert outcome.headers["content-type"].startswith("application/problem+json")

            # billing is back: the same slot books and is paid
            again = await http.post("/v1/bookings", json=body, headers=stack.headers())
            assert again.status_code == 201, again.text
            assert again.json()["payment"]["charged"]["amount_minor"] == 5000


async def test_a_provider_failing_during_payment_charges_nothing_and_frees_the_slot(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with booking_stack(sqlite_databases, nats_server.url) as stack:
        offer = await offer_listed_price(stack)
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
            body = booking_body(offer.slot_id(0), payment_token="tok_sandbox_error")
            reply = await http.post("/v1/bookings", json=body, headers=stack.headers())
            assert reply.status_code == 503, reply.text
            assert stack.billing.provider.charges == {}
            assert offer.slot_id(0) in await open_ids(http, stack, offer)
            [row] = await settled(stack)
            assert row.state == "failed"
            [invoice] = await session_invoices(stack, row.id)
            assert invoice.status == billing_pb2.INVOICE_STATUS_VOID


async def test_a_confirmation_that_fails_after_payment_is_refunded_visibly(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    # the hold lasts 0.6 s and the card network takes 1.5 s: the hold expires while paying
    short_holds = SchedulingSettings(holds=HoldSettings(minutes=0.01))
    async with booking_stack(databases, nats_server.url, billing_slow_seconds=1.5, scheduling=short_holds) as stack:
        offer = await offer_listed_price(stack)
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
            body = booking_body(offer.slot_id(0), payment_token="tok_sandbox_slow")
            reply = await http.post("/v1/bookings", json=body, headers=stack.headers())
            assert reply.status_code == 409, reply.text
            assert "refunded" in reply.json()["detail"]
            [row] = await booking_records(stack)
            assert row.state == "refunded"
            [invoice] = await session_invoices(stack, row.id)
            [payment] = await payments_of(stack, invoice.name)
            assert payment.amount.amount_minor == 5000
            assert payment.amount_refunded.amount_minor == 5000  # the refund is visible in billing
            assert invoice.status == billing_pb2.INVOICE_STATUS_VOID
            assert sum(stack.billing.provider.refunded.values()) == 5000
            assert offer.slot_id(0) in await open_ids(http, stack, offer)


async def test_twenty_concurrent_retries_of_one_idempotency_key_book_once(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with booking_stack(sqlite_databases, nats_server.url) as stack:
        offer = await offer_listed_price(stack)
        body = booking_body(offer.slot_id(0), email="retry@example.com", payment_token="tok_sandbox_ok")
        headers = stack.headers(**{"Idempotency-Key": "booking-attempt-1"})
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
            replies = await asyncio.gather(*(http.post("/v1/bookings", json=body, headers=headers) for _ in range(20)))
            codes = [r.status_code for r in replies]
            assert set(codes) <= {201, 409}, codes
            assert all(r.json()["code"] == "IDEMPOTENCY_KEY_IN_USE" for r in replies if r.status_code == 409)
            firsts = {r.json()["id"] for r in replies if r.status_code == 201}
            assert len(firsts) == 1
            assert len(stack.billing.provider.charges) == 1

            replay = await http.post("/v1/bookings", json=body, headers=headers)
            assert replay.status_code == 201
            assert replay.headers.get("idempotent-replayed") == "true"
            assert replay.json()["id"] in firsts
            other = await http.post("/v1/bookings", json={**body, "notes": "other"}, headers=headers)
            assert other.status_code == 422
            assert len(await booking_records(stack)) == 1


async def booking_records(stack: Stack) -> list[OnlineBookingRow]:
    db = Database(stack.gateway_db)
    try:
        async with db.engine.connect() as conn:
            rows = (await conn.execute(select(OnlineBookingRow))).all()
            return [OnlineBookingRow(**row._mapping) for row in rows]
    finally:
        await db.dispose()
