"""Session numbers from the company's counter: the defaults when no preferences were saved,
numbers taken by hand skipped, the counter left past them; with a prefix, a number taken by
hand is the prefix and the number (the counter's UPDATE checks the two joined)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from google.protobuf import field_mask_pb2

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.scheduling_support import (
    COMPANY_A,
    A,
    SchedulingService,
    at,
    day,
    make_known_client,
    make_studio,
    scheduling_service,
    session_request,
)

Book = Callable[..., Awaitable[pb.Session]]


async def _booker(svc: SchedulingService) -> Book:
    """Books a session on a June day at 10:00 for one client, its number given or not."""
    studio = await make_studio(svc)
    client = await make_known_client(svc, COMPANY_A, "Ada")

    async def book(when: int, number: str = "") -> pb.Session:
        session = session_request(studio, client, day(2026, 6, when), at(10), session_number=number)
        return await svc.stub.CreateSession(pb.CreateSessionRequest(session=session), metadata=A)

    return book


async def _numbering(svc: SchedulingService) -> tuple[int, str]:
    got = await svc.stub.GetSchedulingPreferences(
        pb.GetSchedulingPreferencesRequest(name="schedulingPreferences"), metadata=A
    )
    return got.next_session_number, got.session_number_prefix


async def test_numbers_taken_by_hand_are_skipped(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        book = await _booker(svc)
        assert (await book(1)).session_number == "1000"  # no preferences saved: the defaults
        assert (await book(2, "1001")).session_number == "1001"
        assert (await book(3, "1002")).session_number == "1002"
        assert (await book(4)).session_number == "1003"  # 1001 and 1002 skipped
        assert (await book(5)).session_number == "1004"
        assert await _numbering(svc) == (1005, "")


async def test_numbers_taken_by_hand_with_a_prefix_are_skipped(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        book = await _booker(svc)
        await svc.stub.UpdateSchedulingPreferences(
            pb.UpdateSchedulingPreferencesRequest(
                scheduling_preferences=pb.SchedulingPreferences(next_session_number=70, session_number_prefix="PD-"),
                update_mask=field_mask_pb2.FieldMask(paths=["next_session_number", "session_number_prefix"]),
            ),
            metadata=A,
        )
        assert (await book(1, "PD-71")).session_number == "PD-71"
        assert (await book(2, "71")).session_number == "71"  # not the prefixed number: no skip for it
        assert (await book(3)).session_number == "PD-70"
        assert (await book(4)).session_number == "PD-72"  # PD-71 skipped
        assert (await book(5, "PD-74")).session_number == "PD-74"
        assert (await book(8)).session_number == "PD-73"
        assert (await book(9)).session_number == "PD-75"  # PD-74 skipped
        assert await _numbering(svc) == (76, "PD-")
