"""A gateway process killed mid-saga, after the card was charged and before the booking was
confirmed: what it leaves is a hold that expires and a booking another replica's recovery
settles, refunding the charge visibly in billing.

And killed around the commit that confirms a booking: `gateway.booking.confirmed` (what the
client's confirmation email is made from) is never lost. Right after the commit it is in the
outbox with the manage link; right before it, recovery finds the slot booked and writes the
booking CONFIRMED with its event (without the link, which only the dead request knew)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import pytest

from shutterbook.billing.v1 import billing_pb2
from shutterbook.gateway.v1 import events_pb2 as gateway_events
from shutterbook_devstack.loopback import read_outbox
from shutterbook_devstack.nats_server import EmbeddedNats, free_port
from shutterbook_devstack.testing import DatabaseFactory, eventually
from tests.helpers import start_service_process
from tests.reliability.test_gateway_saga import (
    booking_records,
    live_holds,
    offer_listed_price,
    open_ids,
    payments_of,
    session_invoices,
)
from tests.stack_support import Stack, booking_body, booking_stack

pytestmark = pytest.mark.asyncio


async def wait_http(base_url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as http:
        while True:
            assert process.poll() is None, "the gateway process exited while starting"
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert asyncio.get_running_loop().time() < deadline, "the gateway did not start"
            await asyncio.sleep(0.2)


def gateway_process(stack: Stack, nats_url: str, port: int, log: Path, **env: str) -> subprocess.Popen[bytes]:
    upstreams = {
        "SHUTTERBOOK_CLIENTS_ADDR": f"127.0.0.1:{stack.services.clients_port}",
        "SHUTTERBOOK_SCHEDULING_ADDR": f"127.0.0.1:{stack.services.scheduling_port}",
        "SHUTTERBOOK_BILLING_ADDR": f"127.0.0.1:{stack.billing.port}",
    }
    return start_service_process("gateway", stack.gateway_db, nats_url, port, log, **upstreams, **env)


async def book_and_die(stack: Stack, nats_url: str, log: Path, slot_id: str, failpoint: str) -> None:
    """Start a gateway armed at `failpoint`, book `slot_id` through it, see it die there."""
    port = free_port()
    doomed = gateway_process(
        stack,
        nats_url,
        port,
        log,
        SHUTTERBOOK_FAILPOINTS=failpoint,
        SHUTTERBOOK_GATEWAY_SAGA_LEASE_SECONDS="2",
    )
    try:
        await wait_http(f"http://127.0.0.1:{port}", doomed)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            body = booking_body(slot_id, payment_token="tok_sandbox_ok")
            with pytest.raises(httpx.TransportError):  # the process dies before it answers
                await http.post("/v1/bookings", json=body, headers=stack.headers())
        assert doomed.wait(timeout=10) == 137
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait()


async def confirmations(stack: Stack, booking_id: str) -> list[gateway_events.OnlineBookingConfirmedEvent]:
    found = []
    for envelope in await read_outbox(stack.gateway_db, "gateway.booking.confirmed"):
        event = gateway_events.OnlineBookingConfirmedEvent()
        assert envelope.payload.Unpack(event)
        if event.booking.booking_id == booking_id:
            found.append(event)
    return found


async def test_a_gateway_killed_after_payment_leaves_nothing_charged_once_settled(
    databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    async with booking_stack(databases, nats_server.url) as stack:
        offer = await offer_listed_price(stack)
        await book_and_die(
            stack, nats_server.url, tmp_path / "gateway.log", offer.slot_id(0), "gateway.saga.after_payment"
        )

        # it died holding the slot with the card charged
        [row] = await booking_records(stack)
        assert row.state == "held"
        assert len(stack.billing.provider.charges) == 1

        # the other replica (the stack's own gateway) settles it once the dead one's lease is out
        async def settled() -> bool:
            [current] = await booking_records(stack)
            return current.state == "refunded"

        await eventually(settled, timeout=40, interval=0.5, what="the booking refunded by recovery")
        [invoice] = await session_invoices(stack, row.id)
        [payment] = await payments_of(stack, invoice.name)
        assert payment.amount_refunded.amount_minor == payment.amount.amount_minor == 5000
        assert invoice.status == billing_pb2.INVOICE_STATUS_VOID
        assert await live_holds(stack) == 0
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:
            assert offer.slot_id(0) in await open_ids(http, stack, offer)


async def test_a_gateway_killed_around_the_confirming_commit_never_loses_the_confirmation_event(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    # one transaction holds both writes on either database: SQLite alone proves it (CI time)
    async with booking_stack(sqlite_databases, nats_server.url) as stack:
        offer = await offer_listed_price(stack)

        # killed right after the commit: the booking and its event were written together
        await book_and_die(
            stack, nats_server.url, tmp_path / "after.log", offer.slot_id(0), "gateway.saga.after_confirmed"
        )
        [after] = await booking_records(stack)
        assert after.state == "confirmed"
        [event] = await confirmations(stack, after.id)
        assert f"/book/manage/{after.id}#token=" in event.booking.manage_url
        assert event.booking.client == after.client

        # killed right before it: nothing of the commit is there; recovery (the stack's own
        # gateway, once the lease ran out) finds the slot booked and writes both
        await book_and_die(
            stack, nats_server.url, tmp_path / "before.log", offer.slot_id(1), "gateway.saga.before_confirmed"
        )
        [before] = [r for r in await booking_records(stack) if r.id != after.id]
        assert before.state == "paid"
        assert await confirmations(stack, before.id) == []

        async def settled() -> bool:
            return [r.state for r in await booking_records(stack) if r.id == before.id] == ["confirmed"]

        await eventually(settled, timeout=40, interval=0.5, what="the booking confirmed by recovery")
        [recovered] = await confirmations(stack, before.id)
        assert recovered.booking.manage_url == ""  # only the dead request knew the token
        assert recovered.booking.start_time.seconds > 0
        assert len(await confirmations(stack, after.id)) == 1  # recovery left the settled one alone
