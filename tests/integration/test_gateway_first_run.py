"""A booking looks for an earlier booking of its request id only when one can exist: not for a
request without an Idempotency-Key (its request id is fresh) nor for the first request run
under its key; a retry after a server error (its key freed, in place) resumes the booking it
left, as before. And should a booking be there anyway (a key an older release deleted), the
booking's INSERT meets it and the request resumes it rather than failing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, event
from sqlalchemy.engine import Engine, make_url

from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_gateway.storage.models import IdempotencyKeyRow
from shutterbook_kit.db import Database
from tests.reliability.test_gateway_manage_reads import ONLINE, gate_of
from tests.reliability.test_gateway_saga import booking_records, offer_listed_price
from tests.stack_support import Stack, booking_body, booking_stack, offer_online

pytestmark = pytest.mark.asyncio

BOOK_ONLINE = ONLINE + "BookOnline"
HOLD_SLOT = ONLINE + "HoldSlot"


@contextmanager
def bookings_statements(stack: Stack) -> Iterator[list[str]]:
    """The gateway's statements while inside that write a booking or look one up by its request
    id (their first words; the recovery loop's look-up for leases run out is not one)."""
    seen: list[str] = []
    database = make_url(stack.gateway_db).database

    def on_statement(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.engine.url.database != database:
            return
        looked_up = statement.startswith("SELECT") and "online_bookings.request_id =" in statement
        if looked_up or statement.startswith(("INSERT INTO online_bookings", "UPDATE online_bookings")):
            seen.append(statement.split(" ", 1)[0])
        elif statement.startswith('WITH effect AS (UPDATE "online_bookings"'):  # the CONFIRMED commit's one statement
            seen.append("UPDATE")

    event.listen(Engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", on_statement)


async def _gateway_write(stack: Stack, statement: Any) -> None:
    db = Database(stack.gateway_db)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(statement)
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_only_a_booking_that_can_have_an_earlier_one_looks_for_it(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with (
        booking_stack(databases, nats_server.url, scheduling_gate=True) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http,
    ):
        offer = await offer_online(stack)  # nothing to pay
        keyed = stack.headers(**{"Idempotency-Key": "first-run"})
        with bookings_statements(stack) as seen:
            created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(0)), headers=keyed)
        assert created.status_code == 201, created.text
        assert seen == ["INSERT", "UPDATE"]  # recorded, confirmed: no look-up first
        with bookings_statements(stack) as seen:
            created = await http.post("/v1/bookings", json=booking_body(offer.slot_id(1)), headers=stack.headers())
        assert created.status_code == 201, created.text
        assert seen == ["INSERT", "UPDATE"]

        # a server error frees the key in place; the retry with it resumes the booking it left
        gate = gate_of(stack)
        gate.refuse(lambda method: method == BOOK_ONLINE)
        body = booking_body(offer.slot_id(2))
        keyed = stack.headers(**{"Idempotency-Key": "retried"})
        failed = await http.post("/v1/bookings", json=body, headers=keyed)
        assert (failed.status_code, failed.json()["code"]) == (503, "BOOKING_NOT_COMPLETED"), failed.text
        confirmations = gate.called.count(BOOK_ONLINE)  # the refused attempt (and its gRPC retries)
        with bookings_statements(stack) as seen:
            retried = await http.post("/v1/bookings", json=body, headers=keyed)
        assert (retried.status_code, retried.json()["code"]) == (503, "BOOKING_NOT_COMPLETED"), retried.text
        assert "still being settled" in retried.json()["detail"]  # resumed, not run again
        assert seen[0] == "SELECT"
        assert "INSERT" not in seen
        assert gate.called.count(BOOK_ONLINE) == confirmations  # no second confirmation attempted

        # an older release deleted a freed key: this claim is a first one, yet a booking of
        # its request id is there; the INSERT meets it and the request resumes it (its lease
        # still runs: not settled yet), rather than failing or confirming it a second time
        gate.open()
        await _gateway_write(stack, delete(IdempotencyKeyRow).where(IdempotencyKeyRow.idempotency_key == "retried"))
        with bookings_statements(stack) as seen:
            resumed = await http.post("/v1/bookings", json=body, headers=keyed)
        assert (resumed.status_code, resumed.json()["code"]) == (503, "BOOKING_NOT_COMPLETED"), resumed.text
        assert "still being settled" in resumed.json()["detail"]
        assert seen[:2] == ["INSERT", "SELECT"]
        assert gate.called.count(BOOK_ONLINE) == confirmations
        rows = [r for r in await booking_records(stack) if r.slot_id == offer.slot_id(2)]
        assert [r.state for r in rows] == ["held"]


@pytest.mark.postgres
async def test_a_retry_refused_before_its_record_resumes_the_booking_an_older_release_made(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """A key an older release deleted after its booking was confirmed: the retry is a first
    claim, and its steps before the booking's record are refused (here the hold); the earlier
    booking is looked for before that refusal is answered, and the retry gets the booking."""
    async with (
        booking_stack(databases, nats_server.url, scheduling_gate=True) as stack,
        httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http,
    ):
        paid = await offer_listed_price(stack)
        body = booking_body(paid.slot_id(0), payment_token="tok_sandbox_ok")
        keyed = stack.headers(**{"Idempotency-Key": "made-by-an-older-release"})
        created = await http.post("/v1/bookings", json=body, headers=keyed)
        assert created.status_code == 201, created.text
        await _gateway_write(
            stack, delete(IdempotencyKeyRow).where(IdempotencyKeyRow.idempotency_key == "made-by-an-older-release")
        )
        gate = gate_of(stack)
        gate.refuse(lambda method: method == HOLD_SLOT)
        retried = await http.post("/v1/bookings", json=body, headers=keyed)
        assert retried.status_code == 201, retried.text
        assert retried.json()["id"] == created.json()["id"]
        rows = [r for r in await booking_records(stack) if r.slot_id == paid.slot_id(0)]
        assert [r.state for r in rows] == ["confirmed"]
