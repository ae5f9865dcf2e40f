"""Reminders: a session whose reminder time has come is emitted once as
`scheduling.session.reminder_due`, with two replicas claiming over one database and
after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, eventually
from shutterbook_scheduling.application.reminders import ReminderWorker
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


def _zone_with_room() -> str:
    """A zone where a session 30 to 60 minutes from now starts and ends on the same local day."""
    for name in ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney", "Europe/Berlin"):
        local = datetime.now(UTC).astimezone(ZoneInfo(name))
        if 1 <= local.hour <= 21:
            return name
    raise AssertionError("no zone with room")


def _worker(svc: SchedulingService) -> ReminderWorker:
    worker = svc.host.parts.workers[0]
    assert isinstance(worker, ReminderWorker)
    return worker


async def _rounds(svc: SchedulingService, more: int) -> None:
    target = _worker(svc).rounds + more
    await eventually(lambda: _async(_worker(svc).rounds >= target), what=f"{more} reminder rounds")


async def _async(value: bool) -> bool:
    return value


async def test_reminder_emitted_once_across_replicas_and_restart(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    zone = _zone_with_room()
    start = (datetime.now(UTC) + timedelta(minutes=40)).astimezone(ZoneInfo(zone))
    # room for 10 minutes before the hour ends (at :59 the session had no length): 30 to 40
    # minutes from now, so a 60-minute reminder is due and a 10-minute one is not
    start = start.replace(minute=min(start.minute, 49))
    async with scheduling_service(databases, nats_server.url, reminder_interval=3600) as first:
        studio = await make_studio(first, time_zone=zone)
        client = await make_known_client(first, COMPANY_A, "Hal")

        async def book(reminder: int | None, *, hour_offset: int = 0) -> pb.Session:
            session = session_request(
                studio,
                client,
                day(start.year, start.month, start.day),
                at(start.hour, start.minute),
                at(start.hour, start.minute + 10),
            )
            if reminder is not None:
                session.reminder_minutes = reminder
            return await first.stub.CreateSession(
                pb.CreateSessionRequest(session=session, allow_conflicts=True), metadata=A
            )

        due = [await book(60) for _ in range(5)]  # reminders 20 minutes ago: due
        later = await book(10)  # due in 20 to 30 minutes
        await book(None)  # no reminder
        cancelled = await book(90)
        await first.stub.CancelSession(pb.CancelSessionRequest(name=cancelled.name), metadata=A)

        async with (
            scheduling_service(
                databases, nats_server.url, database_url=first.database_url, reminder_interval=0.05
            ) as a,
            scheduling_service(
                databases, nats_server.url, database_url=first.database_url, reminder_interval=0.05
            ) as b,
        ):

            async def emitted() -> list[str]:
                out = []
                for envelope in await first.outbox("scheduling.session.reminder_due"):
                    event = ev.SessionReminderDueEvent()
                    assert envelope.payload.Unpack(event)
                    out.append(event.session.session)
                return out

            await eventually(lambda: _async_len(emitted, 5), what="five reminders")
            await _rounds(a, 5)
            await _rounds(b, 5)
            assert sorted(await emitted()) == sorted(s.name for s in due)
            assert _worker(a).emitted + _worker(b).emitted == 5

        # a restarted replica claims nothing again
        async with scheduling_service(
            databases, nats_server.url, database_url=first.database_url, reminder_interval=0.05
        ) as again:
            await _rounds(again, 5)
            assert _worker(again).emitted == 0
        assert sorted(await emitted()) == sorted(s.name for s in due)
        fetched = await first.stub.GetSession(pb.GetSessionRequest(name=due[0].name), metadata=A)
        assert fetched.HasField("reminder_emit_time")
        pending = await first.stub.GetSession(pb.GetSessionRequest(name=later.name), metadata=A)
        assert not pending.HasField("reminder_emit_time")
        event = ev.SessionReminderDueEvent()
        assert (await first.outbox("scheduling.session.reminder_due"))[0].payload.Unpack(event)
        assert event.reminder_minutes == 60
        assert event.session.client == client.name


async def _async_len(source: object, n: int) -> bool:
    assert callable(source)
    return len(await source()) >= n
