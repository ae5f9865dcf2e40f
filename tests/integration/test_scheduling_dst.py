"""Wall-clock input across daylight-saving changes (America/New_York, 2026: spring forward
on Sunday 8 March at 02:00, fall back on Sunday 1 November at 02:00)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from tests.scheduling_support import A, at, day, make_known_client, make_studio, scheduling_service, session_request


def utc(ts: object) -> datetime:
    from google.protobuf.timestamp_pb2 import Timestamp

    assert isinstance(ts, Timestamp)
    return ts.ToDatetime(tzinfo=UTC)


async def test_sessions_and_calendar_across_dst(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        client = await make_known_client(svc, "0b7e6f3a-1111-4a4a-8a8a-00000000000a", "Dee")

        async def book(when: pb.TimeOfDay, d: int, month: int = 3, end: pb.TimeOfDay | None = None) -> pb.Session:
            return await s.CreateSession(
                pb.CreateSessionRequest(
                    session=session_request(studio, client, day(2026, month, d), when, end), allow_conflicts=True
                ),
                metadata=A,
            )

        before = await book(at(10), 7)
        after = await book(at(10), 9)
        # 10:00 EST (UTC-5) the day before, 10:00 EDT (UTC-4) the day after
        assert utc(before.start_time) == datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
        assert utc(after.start_time) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)

        across = await book(at(1), 8, end=at(4))
        # 01:00 to 04:00 on the spring-forward night is two hours
        assert utc(across.end_time) - utc(across.start_time) == timedelta(hours=2)
        assert utc(across.start_time) == datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
        back = await book(at(0, 30), 1, month=11, end=at(3))
        # 00:30 to 03:00 on the fall-back night is three and a half hours
        assert utc(back.end_time) - utc(back.start_time) == timedelta(hours=3, minutes=30)
        # an ambiguous time takes its first occurrence (EDT)
        ambiguous = await book(at(1, 30), 1, month=11, end=at(1, 45))
        assert utc(ambiguous.start_time) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)

        with pytest.raises(grpc.aio.AioRpcError) as skipped:
            await book(at(2, 30), 8)
        assert skipped.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(skipped.value)) == ["session.start"]

        late = await book(at(22, 45), 8)  # 02:45 UTC on 9 March, still 8 March locally
        week = await s.QueryCalendar(
            pb.QueryCalendarRequest(
                location=studio.location.name, start_date=day(2026, 3, 8), end_date=day(2026, 3, 14)
            ),
            metadata=A,
        )
        assert [(d.date.month, d.date.day) for d in week.days] == [(3, n) for n in range(8, 15)]
        lengths = [utc(d.end_time) - utc(d.start_time) for d in week.days]
        assert lengths == [timedelta(hours=23)] + [timedelta(hours=24)] * 6
        assert utc(week.days[0].start_time) == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # midnight EST
        assert utc(week.days[1].start_time) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # midnight EDT
        by_day = {d.date.day: [e.entry for e in d.entries] for d in week.days}
        assert by_day[8] == [across.name, late.name]
        assert by_day[9] == [after.name]
        assert all(not by_day[n] for n in range(10, 15))
