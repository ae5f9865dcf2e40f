"""Session numbers from the company's counter: the defaults when no preferences were saved,
numbers taken by hand skipped, the counter left past them."""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.scheduling_support import A, at, day, make_known_client, make_studio, scheduling_service, session_request


async def test_numbers_taken_by_hand_are_skipped(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        client = await make_known_client(svc, "0b7e6f3a-1111-4a4a-8a8a-00000000000a", "Ada")

        async def book(when: int, number: str = "") -> pb.Session:
            session = session_request(studio, client, day(2026, 6, when), at(10), session_number=number)
            return await s.CreateSession(pb.CreateSessionRequest(session=session), metadata=A)

        assert (await book(1)).session_number == "1000"  # no preferences saved: the defaults
        assert (await book(2, "1001")).session_number == "1001"
        assert (await book(3, "1002")).session_number == "1002"
        assert (await book(4)).session_number == "1003"  # 1001 and 1002 skipped
        assert (await book(5)).session_number == "1004"
        numbering = await s.GetSchedulingPreferences(
            pb.GetSchedulingPreferencesRequest(name="schedulingPreferences"), metadata=A
        )
        assert (numbering.next_session_number, numbering.session_number_prefix) == (1005, "")
