"""A schedule a request names is checked alike wherever it is named (`setup.schedule_reference`):
a session's photographer, assistant, camera room and advanced blocks, and a time slot's
schedules. Each problem is said under the field that names the schedule."""

from __future__ import annotations

from collections.abc import Awaitable

import grpc
import pytest

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from tests.online_support import future_day, make_online_studio, online_service, slot
from tests.scheduling_support import COMPANY_A, A, at, day, make_known_client, make_studio, session_request

MISSING = "schedules/00000000-0000-4000-8000-000000000000"


async def refused(call: Awaitable[object]) -> dict[str, str]:
    """The violations of a call refused with INVALID_ARGUMENT."""
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await call
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return rpc_violations(bad.value)


async def test_a_named_schedule_is_checked_alike(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        s = o.svc.stub
        studio = await make_online_studio(o.svc)
        uptown = await make_studio(o.svc, name="Uptown Studio", time_zone="America/Chicago")
        client = await make_known_client(o.svc, COMPANY_A, "Eve")

        def session_violations(session: pb.Session) -> Awaitable[dict[str, str]]:
            return refused(s.CreateSession(pb.CreateSessionRequest(session=session), metadata=A))

        when = day(2026, 8, 3)
        photographer, room = studio.photographer.name, studio.room.name
        wrong = session_request(
            studio, client, when, at(10), photographer=room, camera_room=photographer, assistant=MISSING
        )
        assert await session_violations(wrong) == {
            "session.photographer": f"{room} is not a staff schedule",
            "session.assistant": f"{MISSING} does not exist",
            "session.camera_room": f"{photographer} is not a resource schedule",
        }
        block = pb.TimeBlock(date=when, start=at(10), schedules=[photographer, uptown.room.name, photographer])
        advanced = session_request(studio, client, when, at(10), use_advanced_calendar=True, time_blocks=[block])
        assert await session_violations(advanced) == {
            "session.time_blocks[0].schedules[1]": f"{uptown.room.name} is a schedule of another location",
            "session.time_blocks[0].schedules[2]": f"{photographer} is listed twice",
        }

        schedules = [photographer, uptown.photographer.name, MISSING, photographer, "staff/x"]
        bad_slot_msg = slot(studio, future_day(studio, 3), (10, 0), (11, 0), schedules)
        said = await refused(o.online.CreateTimeSlot(opb.CreateTimeSlotRequest(time_slot=bad_slot_msg), metadata=A))
        found = {k.rsplit(".", 1)[-1]: v for k, v in said.items()}
        assert found["schedules[1]"] == f"{uptown.photographer.name} is a schedule of another location"
        assert found["schedules[2]"] == f"{MISSING} does not exist"
        assert found["schedules[3]"] == f"{photographer} is listed twice"
        assert "schedules[4]" in found
        assert "schedules[0]" not in found
