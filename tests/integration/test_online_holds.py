"""Holds: a held slot is open to no one else; an expired hold frees the slot by itself (no
background job runs: the service has no online worker), and booking it afterwards fails
cleanly; a released hold frees the slot at once."""

from __future__ import annotations

import uuid
from datetime import UTC

import grpc
import pytest

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.schema import utcnow
from shutterbook_scheduling.api import online_booking
from shutterbook_scheduling.settings import HoldSettings, SchedulingSettings
from tests.online_support import create_slot, future_day, make_online_studio, online_service, open_names, slot, until
from tests.scheduling_support import COMPANY_A, A, make_known_client

HOLD_SECONDS = 3.0


def rid() -> str:
    return str(uuid.uuid4())


async def test_hold_expires_by_itself(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    short = SchedulingSettings(holds=HoldSettings(minutes=HOLD_SECONDS / 60))
    async with online_service(databases, nats_server.url, own=short) as o:
        parts = o.svc.host.parts
        assert online_booking.workers(parts.db, parts.nats, o.svc.host.settings, short) == []
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        when = future_day(studio, 4)
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        thirty = await create_slot(o, slot(studio, when, (10, 30), (11, 0)))

        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert hold.state == opb.SLOT_HOLD_STATE_HELD
        expires = hold.expire_time.ToDatetime(tzinfo=UTC)
        still_held = await open_names(o, studio, when)
        if utcnow() < expires:  # (only meaningful while the hold lasts; the machine may be slow)
            assert still_held == []  # neither the slot nor the one sharing its photographer
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await o.online.HoldSlot(
                    opb.HoldSlotRequest(time_slot=thirty.name, client=bob.name, request_id=rid()), metadata=A
                )
            if utcnow() < expires:
                assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION

        await until(expires)
        assert sorted(await open_names(o, studio, when)) == sorted([sixty.name, thirty.name])
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(hold=hold.name, client=ann.name, request_id=rid()), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "EXPIRED" in (err.value.details() or "")

        # the other client holds the overlapping 30 (cleaning the expired hold) and books it,
        # through a replica whose holds last the default ten minutes
        async with online_service(databases, nats_server.url, database_url=o.svc.database_url) as replica:
            bob_hold = await replica.online.HoldSlot(
                opb.HoldSlotRequest(time_slot=thirty.name, client=bob.name, request_id=rid()), metadata=A
            )
            session = await replica.online.BookOnline(
                opb.BookOnlineRequest(hold=bob_hold.name, client=bob.name, request_id=rid()), metadata=A
            )
        assert session.client == bob.name
        released = await o.svc.outbox("scheduling.slot.released")
        payload = opb.SlotReleasedEvent()
        released[0].payload.Unpack(payload)
        assert (payload.hold.name, payload.hold.state) == (hold.name, opb.SLOT_HOLD_STATE_EXPIRED)
        assert len(await o.svc.outbox("scheduling.slot.held")) == 2


async def test_release_frees_at_once(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        when = future_day(studio, 4)
        one = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=one.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await open_names(o, studio, when) == []
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=one.name, client=bob.name, request_id=rid()), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(hold=hold.name, client=bob.name, request_id=rid()), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        released = await o.online.ReleaseHold(opb.ReleaseHoldRequest(name=hold.name), metadata=A)
        assert released.state == opb.SLOT_HOLD_STATE_RELEASED
        assert await open_names(o, studio, when) == [one.name]
        session = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=one.name, client=bob.name, request_id=rid()), metadata=A
        )
        assert session.client == bob.name
