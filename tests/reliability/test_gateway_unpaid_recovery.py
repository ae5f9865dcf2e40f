"""A booking with nothing to pay is never written PAID: it goes from HELD straight to
CONFIRMED (one commit fewer), and holds nothing (it books its slot in one call). A gateway
killed in between leaves it HELD, and recovery settles it, once its lease ran out, by looking
its session up: not there (FAILED, the slot open again) when the gateway died before
confirming, CONFIRMED with its `gateway.booking.confirmed` when it died after scheduling
booked the slot."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from tests.reliability.test_gateway_crash import book_and_die, confirmations
from tests.reliability.test_gateway_saga import booking_records, live_holds, open_ids
from tests.stack_support import booking_stack, offer_online

pytestmark = pytest.mark.asyncio


async def test_an_unpaid_booking_stays_held_until_confirmed_and_recovery_settles_it(
    sqlite_databases: DatabaseFactory, nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    # the saga's writes are the same on either database: SQLite alone proves it (CI time)
    async with booking_stack(sqlite_databases, nats_server.url) as stack:
        offer = await offer_online(stack)  # nothing to pay online

        # killed before confirming: HELD (never PAID); recovery finds no session and fails it
        await book_and_die(
            stack, nats_server.url, tmp_path / "held.log", offer.slot_id(0), "gateway.saga.before_confirm"
        )
        [held] = await booking_records(stack)
        assert held.state == "held"

        async def released() -> bool:
            return [r.state for r in await booking_records(stack) if r.id == held.id] == ["failed"]

        await eventually(released, timeout=40, interval=0.5, what="the unconfirmed booking released by recovery")
        assert await live_holds(stack) == 0
        assert await confirmations(stack, held.id) == []
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:
            assert offer.slot_id(0) in await open_ids(http, stack, offer)

        # killed after scheduling booked it, before the confirming commit: still HELD; recovery
        # finds the slot booked and writes CONFIRMED with the confirmation event
        await book_and_die(
            stack, nats_server.url, tmp_path / "booked.log", offer.slot_id(1), "gateway.saga.before_confirmed"
        )
        [booked] = [r for r in await booking_records(stack) if r.id != held.id]
        assert booked.state == "held"

        async def confirmed() -> bool:
            return [r.state for r in await booking_records(stack) if r.id == booked.id] == ["confirmed"]

        await eventually(confirmed, timeout=40, interval=0.5, what="the booked booking confirmed by recovery")
        [event] = await confirmations(stack, booked.id)
        assert event.booking.manage_url == ""  # only the dead request knew the token
        assert event.booking.start_time.seconds > 0
