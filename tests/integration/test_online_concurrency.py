"""200 concurrent BookOnline calls (distinct request ids): one slot -> exactly one booking;
two overlapping slots sharing a photographer -> exactly one; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import grpc

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.online_support import create_slot, future_day, make_online_studio, online_service, slot
from tests.scheduling_support import COMPANY_A, A, make_known_client

CONCURRENT = 200


async def test_concurrent_online_bookings_one_wins(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        # without auto-remove: the overlapping slot stays, only the calendar refuses it
        studio = await make_online_studio(o.svc, auto_remove=False)
        client = await make_known_client(o.svc, COMPANY_A, "Cat")
        when = future_day(studio, 5)
        single = await create_slot(o, slot(studio, when, (9, 0), (10, 0)))
        long = await create_slot(o, slot(studio, when, (13, 0), (14, 0)))
        short = await create_slot(
            o, slot(studio, when, (13, 30), (14, 0), [studio.photographer.name, studio.room.name])
        )

        async def book(name: str) -> pb.Session | grpc.StatusCode:
            request = opb.BookOnlineRequest(time_slot=name, client=client.name, request_id=str(uuid.uuid4()))
            try:
                return await o.online.BookOnline(request, metadata=A, timeout=120)
            except grpc.aio.AioRpcError as err:
                return err.code()

        results = await asyncio.gather(*(book(single.name) for _ in range(CONCURRENT)))
        booked = [r for r in results if isinstance(r, pb.Session)]
        assert len(booked) == 1
        assert {r for r in results if not isinstance(r, pb.Session)} == {grpc.StatusCode.FAILED_PRECONDITION}

        results = await asyncio.gather(*(book(long.name if i % 2 else short.name) for i in range(CONCURRENT)))
        booked_overlap = [r for r in results if isinstance(r, pb.Session)]
        assert len(booked_overlap) == 1
        assert {r for r in results if not isinstance(r, pb.Session)} == {grpc.StatusCode.FAILED_PRECONDITION}

        sessions = await o.svc.stub.ListSessions(pb.ListSessionsRequest(client=client.name), metadata=A)
        assert sorted(s.name for s in sessions.sessions) == sorted([booked[0].name, booked_overlap[0].name])
        slots = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(), metadata=A)
        assert sorted(s.booked_session for s in slots.time_slots if s.booked_session) == sorted(
            [booked[0].name, booked_overlap[0].name]
        )
        events = await o.svc.outbox("scheduling.session.booked")
        assert len(events) == 2
