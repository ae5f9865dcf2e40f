"""Rescheduling a session onto another's time is refused with the conflict named, unless the
caller books over it explicitly (DESIGN's invariant 2, the calendar's drag and drop)."""

from __future__ import annotations

import grpc
import pytest

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.integration.test_scheduling_sessions import conflict_subjects
from tests.scheduling_support import (
    COMPANY_A,
    A,
    at,
    day,
    make_known_client,
    make_studio,
    scheduling_service,
    session_request,
)


async def test_reschedule_onto_a_booked_time_needs_allow_conflicts(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        client = await make_known_client(svc, COMPANY_A, "Bea")
        morning = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 1), at(10))), metadata=A
        )
        afternoon = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 1), at(13, 30))), metadata=A
        )
        onto = pb.RescheduleSessionRequest(name=afternoon.name, session_date=day(2026, 6, 1), start=at(10), end=at(11))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await s.RescheduleSession(onto, metadata=A)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert conflict_subjects(refused.value) == {morning.name}
        kept = await s.GetSession(pb.GetSessionRequest(name=afternoon.name), metadata=A)
        assert (kept.start.hours, kept.start.minutes) == (13, 30)

        onto.allow_conflicts = True
        moved = await s.RescheduleSession(onto, metadata=A)
        assert (moved.start.hours, moved.start.minutes) == (10, 0)
