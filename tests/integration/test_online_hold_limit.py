"""The cap on a client's live holds (SHUTTERBOOK_SCHEDULING_MAX_HOLDS_PER_CLIENT, default 3,
read once at start):
HoldSlot beyond it is FAILED_PRECONDITION `TOO_MANY_HOLDS`; released, booked and expired holds
do not count; concurrent HoldSlot calls of one client never exceed it; on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC

import grpc
import pytest

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.settings import DEFAULT_MAX_HOLDS, HoldSettings, SchedulingSettings
from tests.clients_support import error_info
from tests.online_support import OnlineService, create_slot, future_day, make_online_studio, online_service, slot, until
from tests.scheduling_support import COMPANY_A, A, Studio, make_known_client

MAX_HOLDS_ENV = "SHUTTERBOOK_SCHEDULING_MAX_HOLDS_PER_CLIENT"

CONCURRENT = 20


def rid() -> str:
    return str(uuid.uuid4())


async def _slots(o: OnlineService, studio: Studio, count: int, days: int = 5) -> list[opb.TimeSlot]:
    """`count` slots of 25 minutes, one every half hour from 07:00: none overlaps another."""
    when = future_day(studio, days)
    return [
        await create_slot(o, slot(studio, when, (7 + i // 2, 30 * (i % 2)), (7 + i // 2, 30 * (i % 2) + 25)))
        for i in range(count)
    ]


async def _hold(o: OnlineService, time_slot: str, client: str, request_id: str = "") -> opb.SlotHold:
    return await o.online.HoldSlot(
        opb.HoldSlotRequest(time_slot=time_slot, client=client, request_id=request_id or rid()), metadata=A
    )


def test_limit_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_HOLDS_ENV, raising=False)
    assert SchedulingSettings.from_env().holds.max_per_client == DEFAULT_MAX_HOLDS == 3
    monkeypatch.setenv(MAX_HOLDS_ENV, "5")
    assert SchedulingSettings.from_env().holds.max_per_client == 5
    for bad in ("", "two", "0", "-1", "2.5", "100000"):
        monkeypatch.setenv(MAX_HOLDS_ENV, bad)
        assert SchedulingSettings.from_env().holds.max_per_client == DEFAULT_MAX_HOLDS


async def test_live_holds_are_capped(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:  # the default: 3
        studio = await make_online_studio(o.svc, auto_remove=False)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        slots = await _slots(o, studio, 9)

        first_request = rid()
        holds = [await _hold(o, slots[0].name, ann.name, first_request)]
        holds += [await _hold(o, s.name, ann.name) for s in slots[1:3]]
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _hold(o, slots[3].name, ann.name)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(err.value) == {"reason": "TOO_MANY_HOLDS", "client": ann.name, "limit": "3"}
        # a retry of a hold already taken still answers with it; another client is not limited
        assert await _hold(o, slots[0].name, ann.name, first_request) == holds[0]
        await _hold(o, slots[3].name, bob.name)
        assert len(await o.svc.outbox("scheduling.slot.held")) == 4

        # a released hold no longer counts
        await o.online.ReleaseHold(opb.ReleaseHoldRequest(name=holds[0].name), metadata=A)
        holds[0] = await _hold(o, slots[4].name, ann.name)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _hold(o, slots[5].name, ann.name)
        assert error_info(err.value)["reason"] == "TOO_MANY_HOLDS"

        # nor does a hold that became a booking; booking a slot directly is not a hold
        session = await o.online.BookOnline(
            opb.BookOnlineRequest(hold=holds[1].name, client=ann.name, request_id=rid()), metadata=A
        )
        assert session.client == ann.name
        await _hold(o, slots[5].name, ann.name)
        direct = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=slots[6].name, client=ann.name, request_id=rid()), metadata=A
        )
        assert direct.client == ann.name
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _hold(o, slots[7].name, ann.name)
        assert error_info(err.value)["reason"] == "TOO_MANY_HOLDS"

        # the limit is the service's setting: a replica started with 4 takes a fourth
        more = SchedulingSettings(holds=HoldSettings(max_per_client=4))
        async with online_service(databases, nats_server.url, database_url=o.svc.database_url, own=more) as four:
            await _hold(four, slots[7].name, ann.name)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await _hold(four, slots[8].name, ann.name)
            assert error_info(err.value) == {"reason": "TOO_MANY_HOLDS", "client": ann.name, "limit": "4"}


async def test_expired_holds_do_not_count(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    one_short_hold = SchedulingSettings(holds=HoldSettings(minutes=2.0 / 60, max_per_client=1))  # two seconds
    async with online_service(databases, nats_server.url, own=one_short_hold) as o:
        studio = await make_online_studio(o.svc, auto_remove=False)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        slots = await _slots(o, studio, 2)
        short = await _hold(o, slots[0].name, ann.name)
        expires = short.expire_time.ToDatetime(tzinfo=UTC)
        reason = ""
        try:
            await _hold(o, slots[1].name, ann.name)
        except grpc.aio.AioRpcError as err:
            reason = error_info(err).get("reason", err.code().name)
        refused = reason == "TOO_MANY_HOLDS"
        assert reason in ("", "TOO_MANY_HOLDS")
        # (the refusal only while the hold lasts: a slow machine may already be past it)
        assert refused or utcnow() >= expires
        if refused:
            await until(expires)
            hold = await _hold(o, slots[1].name, ann.name)
            assert hold.state == opb.SLOT_HOLD_STATE_HELD


async def test_concurrent_holds_of_one_client(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc, auto_remove=False)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        slots = await _slots(o, studio, CONCURRENT)

        async def hold(name: str) -> opb.SlotHold | str:
            try:
                return await o.online.HoldSlot(
                    opb.HoldSlotRequest(time_slot=name, client=ann.name, request_id=rid()), metadata=A, timeout=120
                )
            except grpc.aio.AioRpcError as err:
                return f"{err.code().name} {error_info(err).get('reason')}"

        results = await asyncio.gather(*(hold(s.name) for s in slots))
        held = [r for r in results if isinstance(r, opb.SlotHold)]
        assert len(held) == DEFAULT_MAX_HOLDS
        assert sorted(r for r in results if isinstance(r, str)) == ["FAILED_PRECONDITION TOO_MANY_HOLDS"] * (
            CONCURRENT - DEFAULT_MAX_HOLDS
        )
        assert len(await o.svc.outbox("scheduling.slot.held")) == DEFAULT_MAX_HOLDS
