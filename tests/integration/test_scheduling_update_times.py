"""UpdateSession changes a session's times together with its people in one change (the session
record's Save): a conflict on either refuses the whole change and leaves the session as it
was; an advanced session's blocks are replaced through `time_blocks`; a change of times is
announced as a reschedule."""

from __future__ import annotations

import grpc
import pytest

from shutterbook.scheduling.v1 import events_pb2 as ev
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


def _update(session: pb.Session, *paths: str, allow_conflicts: bool = False) -> pb.UpdateSessionRequest:
    request = pb.UpdateSessionRequest(session=session, allow_conflicts=allow_conflicts)
    request.update_mask.paths.extend(paths)
    return request


async def test_times_and_people_change_together_or_not_at_all(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        client = await make_known_client(svc, COMPANY_A, "Bea")
        # the assistant is busy at 10:00 on another session
        await s.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(studio, client, day(2026, 6, 1), at(10), photographer=studio.assistant.name)
            ),
            metadata=A,
        )
        mine = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 1), at(13))), metadata=A
        )
        # 10:00 with the assistant: the assistant is busy then; nothing changes, not even the room
        change = pb.Session(
            name=mine.name,
            session_date=day(2026, 6, 1),
            start=at(10),
            end=at(11, 30),
            assistant=studio.assistant.name,
            camera_room=studio.room.name,
        )
        paths = ("session_date", "start", "end", "assistant", "camera_room")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await s.UpdateSession(_update(change, *paths), metadata=A)
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert conflict_subjects(refused.value)
        kept = await s.GetSession(pb.GetSessionRequest(name=mine.name), metadata=A)
        assert (kept.start.hours, kept.assistant, kept.camera_room) == (13, "", "")

        # 15:00 the next day with the assistant and the room: all of it at once
        change.session_date.CopyFrom(day(2026, 6, 2))
        change.start.CopyFrom(at(15))
        change.end.CopyFrom(at(16, 30))
        moved = await s.UpdateSession(_update(change, *paths), metadata=A)
        assert (moved.session_date.day, moved.start.hours, moved.end.hours, moved.end.minutes) == (2, 15, 16, 30)
        assert (moved.assistant, moved.camera_room) == (studio.assistant.name, studio.room.name)
        assert moved.time_blocks[0].schedules == [studio.photographer.name, studio.assistant.name, studio.room.name]

        announced = [e for e in await svc.outbox() if e.subject == "scheduling.session.rescheduled"]
        assert len(announced) == 1
        event = ev.SessionRescheduledEvent()
        assert announced[0].payload.Unpack(event)
        assert event.previous_start_time == mine.start_time
        assert event.session.start_time == moved.start_time

        # no end: the type's default duration (60 minutes)
        again = await s.UpdateSession(_update(pb.Session(name=mine.name), "end"), metadata=A)
        assert (again.end.hours, again.end.minutes) == (16, 0)


async def test_an_advanced_sessions_blocks_are_replaced(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        client = await make_known_client(svc, COMPANY_A, "Cy")
        blocks = [
            pb.TimeBlock(date=day(2026, 6, 6), start=at(9), end=at(12), schedules=[studio.photographer.name]),
            pb.TimeBlock(date=day(2026, 6, 7), start=at(15), end=at(16), schedules=[studio.room.name]),
        ]
        wedding = await s.CreateSession(
            pb.CreateSessionRequest(
                session=pb.Session(
                    client=client.name,
                    session_type=studio.session_type.name,
                    location=studio.location.name,
                    use_advanced_calendar=True,
                    time_blocks=blocks,
                )
            ),
            metadata=A,
        )
        other = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 8), at(10))), metadata=A
        )
        # the second block moved onto the other session's photographer and time: refused, unchanged
        onto = pb.TimeBlock(date=day(2026, 6, 8), start=at(10), end=at(11), schedules=[studio.photographer.name])
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await s.UpdateSession(
                _update(pb.Session(name=wedding.name, time_blocks=[blocks[0], onto]), "time_blocks"), metadata=A
            )
        assert conflict_subjects(refused.value) == {other.name}
        kept = await s.GetSession(pb.GetSessionRequest(name=wedding.name), metadata=A)
        assert [(b.date.day, b.start.hours) for b in kept.time_blocks] == [(6, 9), (7, 15)]

        # a third block added, the second changed
        later = pb.TimeBlock(date=day(2026, 6, 7), start=at(17), end=at(18), schedules=[studio.room.name])
        third = pb.TimeBlock(date=day(2026, 6, 9), start=at(9), end=at(10), schedules=[studio.assistant.name])
        changed = await s.UpdateSession(
            _update(pb.Session(name=wedding.name, time_blocks=[blocks[0], later, third]), "time_blocks"), metadata=A
        )
        assert [(b.date.day, b.start.hours) for b in changed.time_blocks] == [(6, 9), (7, 17), (9, 9)]
        # one removed
        fewer = await s.UpdateSession(
            _update(pb.Session(name=wedding.name, time_blocks=[blocks[0], third]), "time_blocks"), metadata=A
        )
        assert [(b.date.day, b.start.hours) for b in fewer.time_blocks] == [(6, 9), (9, 9)]

        # an advanced session's times are its blocks; a simple one has none to set; none left is refused
        for bad, paths in (
            (pb.Session(name=wedding.name, start=at(8)), ("start",)),
            (pb.Session(name=other.name, time_blocks=[third]), ("time_blocks",)),
            (pb.Session(name=wedding.name), ("time_blocks",)),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as invalid:
                await s.UpdateSession(_update(bad, *paths), metadata=A)
            assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
