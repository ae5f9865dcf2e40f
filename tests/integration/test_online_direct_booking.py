"""A booking straight from a slot (BookOnline or a reschedule, no hold made first) holds
nothing on the way: no hold blocks are written (the slot's schedules are locked before it is
read, so concurrent holders and bookers of them queue), and the hold row the booking is
recorded through is written once, already booked with the booking's id. Expired holds on the
slot's schedules are still cleaned (ended as expired, announced released), and a race of
holders and direct bookers on overlapping slots still gives one winner; on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any, TypeVar

import grpc
import pytest
from sqlalchemy import func, select, text

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, cursor_executes, eventually, statements_on, waits_on_lock
from shutterbook_kit.db import Database
from shutterbook_scheduling.domain.holds import HoldState
from shutterbook_scheduling.settings import HoldSettings, SchedulingSettings
from shutterbook_scheduling.storage.online_models import HoldBlockRow, SlotHoldRow
from tests.online_support import OnlineService, create_slot, future_day, make_online_studio, online_service, slot, until
from tests.scheduling_support import COMPANY_A, A, Studio, make_known_client

T = TypeVar("T")

HOLD_SECONDS = 3.0
# in the names of both holds' tables (online_holds, online_hold_blocks)
HOLD_TABLES = "online_hold"


def rid() -> str:
    return str(uuid.uuid4())


def _writes(seen: list[str]) -> list[str]:
    """The writes among the statements: their verb and table ("INSERT online_holds")."""
    out = []
    for statement in seen:
        words = statement.replace("(", " ").split()
        if words[0] in ("INSERT", "UPDATE", "DELETE"):
            table = words[2] if words[0] in ("INSERT", "DELETE") else words[1]
            out.append(f"{words[0]} {table}")
        elif words[0] == "WITH":  # PostgreSQL's hold booking: a DELETE in a CTE of an UPDATE
            out.append("WITH")
    return out


async def _holds_of(o: OnlineService, slot_name: str) -> list[tuple[int, str, str]]:
    """The slot's hold rows (state, booking id, client id) and the hold blocks left of them."""
    db = Database(o.svc.database_url)
    try:
        async with db.engine.connect() as conn:
            rows = await conn.execute(
                select(SlotHoldRow.state, SlotHoldRow.session_id, SlotHoldRow.client_id).where(
                    SlotHoldRow.slot_id == slot_name.removeprefix("timeSlots/")
                )
            )
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        await db.dispose()


async def _hold_blocks(o: OnlineService) -> int:
    db = Database(o.svc.database_url)
    try:
        async with db.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(HoldBlockRow)) or 0)
    finally:
        await db.dispose()


async def test_a_booking_straight_from_a_slot_writes_its_hold_once(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    short = SchedulingSettings(holds=HoldSettings(minutes=HOLD_SECONDS / 60))
    async with online_service(databases, nats_server.url, own=short) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        when = future_day(studio, 4)
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        thirty = await create_slot(o, slot(studio, when, (10, 30), (11, 0)))
        later = await create_slot(o, slot(studio, when, (14, 0), (15, 0)))
        evening = await create_slot(o, slot(studio, when, (17, 0), (18, 0)))

        # a booking straight from a slot: no hold blocks, one INSERT of its hold, booked
        with statements_on(HOLD_TABLES) as seen:
            session = await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=later.name, client=bob.name, request_id=rid()), metadata=A
            )
        assert _writes(seen) == ["INSERT online_holds"]
        booking_id = session.name.removeprefix("sessions/")
        assert await _holds_of(o, later.name) == [(int(HoldState.BOOKED), booking_id, bob.name[len("clients/") :])]
        assert await _hold_blocks(o) == 0

        # moving it to another slot: the same, and the booking is still one booked online
        with statements_on(HOLD_TABLES) as seen:
            moved = await o.online.RescheduleOnlineBooking(
                opb.RescheduleOnlineBookingRequest(session=session.name, time_slot=evening.name, request_id=rid()),
                metadata=A,
            )
        assert _writes(seen) == ["INSERT online_holds"]
        assert (moved.start_time, moved.end_time) == (evening.start_time, evening.end_time)
        assert await _holds_of(o, evening.name) == [(int(HoldState.BOOKED), booking_id, bob.name[len("clients/") :])]
        assert await _hold_blocks(o) == 0

        # a hold made first (HoldSlot) writes its blocks; once it expired, a booking straight
        # from a slot sharing its photographer cleans them: the hold ends expired, announced
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await _hold_blocks(o) == 1
        await until(hold.expire_time.ToDatetime(tzinfo=UTC))
        with statements_on(HOLD_TABLES) as seen:
            taken = await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=thirty.name, client=bob.name, request_id=rid()), metadata=A
            )
        writes = _writes(seen)
        assert "INSERT online_hold_blocks" not in writes
        assert writes.count("INSERT online_holds") == 1
        assert await _hold_blocks(o) == 0
        assert await _holds_of(o, sixty.name) == [(int(HoldState.EXPIRED), "", ann.name[len("clients/") :])]
        assert await _holds_of(o, thirty.name) == [
            (int(HoldState.BOOKED), taken.name.removeprefix("sessions/"), bob.name[len("clients/") :])
        ]
        released = await o.svc.outbox("scheduling.slot.released")
        payload = opb.SlotReleasedEvent()
        released[0].payload.Unpack(payload)
        assert (len(released), payload.hold.name, payload.hold.state) == (1, hold.name, opb.SLOT_HOLD_STATE_EXPIRED)


CONCURRENT = 60


async def test_holders_and_direct_bookers_race_one_wins(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    """Holds on one slot and bookings straight from an overlapping one (sharing the photographer)
    at once: one of them wins, the others are refused SLOT_NOT_OPEN; the hold blocks and the
    booking's calendar do not meet in one constraint, the schedules' lock orders them."""
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc, auto_remove=False)
        clients = [await make_known_client(o.svc, COMPANY_A, name) for name in ("Ann", "Bob")]
        when = future_day(studio, 5)
        held = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        booked = await create_slot(
            o, slot(studio, when, (10, 30), (11, 30), [studio.photographer.name, studio.room.name])
        )

        async def attempt(i: int) -> opb.SlotHold | pb.Session | grpc.aio.AioRpcError:
            client = clients[i % 2].name
            try:
                if i % 2:
                    return await o.online.BookOnline(
                        opb.BookOnlineRequest(time_slot=booked.name, client=client, request_id=rid()),
                        metadata=A,
                        timeout=120,
                    )
                return await o.online.HoldSlot(
                    opb.HoldSlotRequest(time_slot=held.name, client=client, request_id=rid()), metadata=A, timeout=120
                )
            except grpc.aio.AioRpcError as err:
                return err

        results = await asyncio.gather(*(attempt(i) for i in range(CONCURRENT)))
        won = [r for r in results if not isinstance(r, grpc.aio.AioRpcError)]
        assert len(won) == 1
        refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert {r.code() for r in refused} == {grpc.StatusCode.FAILED_PRECONDITION}
        assert all("is not open" in (r.details() or "") for r in refused), [r.details() for r in refused]
        holds_left = await _holds_of(o, held.name)
        bookings_left = await _holds_of(o, booked.name)
        if isinstance(won[0], pb.Session):
            assert (holds_left, len(bookings_left)) == ([], 1)
            assert await _hold_blocks(o) == 0
        else:
            assert (len(holds_left), bookings_left) == (1, [])
            assert await _hold_blocks(o) == 1
        sessions = await o.svc.stub.ListSessions(pb.ListSessionsRequest(), metadata=A)
        assert len(sessions.sessions) == (1 if isinstance(won[0], pb.Session) else 0)


async def _once_an_edit_gave_the_slot_the_room(
    o: OnlineService, studio: Studio, room_slot: opb.TimeSlot, call: Callable[[], Awaitable[T]], what: str
) -> tuple[T, list[tuple[str, str]]]:
    """PostgreSQL: `call()` made while an edit holds the photographer's row, the edit having moved
    `room_slot` from the photographer to the room; once the call waits on a lock on schedules
    (`what` it is waiting for), the edit commits. The call's answer, and the locks of schedules
    run meanwhile in this process (the service's included): each statement and its parameters'
    repr, in order."""
    ids = {
        "slot": room_slot.name.removeprefix("timeSlots/"),
        "photographer": studio.photographer.name.removeprefix("schedules/"),
        "room": studio.room.name.removeprefix("schedules/"),
    }
    locks: list[tuple[str, str]] = []

    def record(statement: str, parameters: Any) -> None:
        if "FOR UPDATE" in statement and "schedules" in statement:
            locks.append((statement, repr(parameters)))

    db = Database(o.svc.database_url)
    try:
        async with db.engine.connect() as edit:
            # the edit: the photographer's row locked, the slot moved to the room
            await edit.execute(text("SELECT id FROM schedules WHERE id = :photographer FOR UPDATE"), ids)
            await edit.execute(text("UPDATE online_slot_schedules SET schedule_id = :room WHERE slot_id = :slot"), ids)
            with cursor_executes(record):
                answer = asyncio.ensure_future(call())
                await eventually(lambda: waits_on_lock(db, "schedules"), what=what)
                await edit.commit()
                return await answer, locks
    finally:
        await db.dispose()


async def test_a_schedule_given_to_the_slot_while_its_booking_waits_is_locked_too(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """PostgreSQL: a booking waiting for the slot's schedule (an edit holds it) reads the slot
    as the edit left it; a schedule the edit gave the slot, which the lock's statement did not
    see, is locked before the decision and booked on."""
    if databases.backend != "postgres":
        pytest.skip("SQLite's writers are serialized by the write transaction")
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        when = future_day(studio, 4)
        room_slot = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        session, locks = await _once_an_edit_gave_the_slot_the_room(
            o,
            studio,
            room_slot,
            lambda: o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=room_slot.name, client=bob.name, request_id=rid()), metadata=A
            ),
            "the booking waiting for the schedule",
        )
        assert (session.photographer, session.camera_room) == ("", studio.room.name)
        # the lock of the slot's schedules, then the room's (the edit gave it to the slot)
        assert [statement.split()[0] for statement, _ in locks] == ["WITH", "SELECT"]


async def test_a_schedule_given_to_the_slot_a_reschedule_waits_for_is_locked_too(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """PostgreSQL: a reschedule reads its new slot before it queues on the slot's schedules;
    a schedule an edit gave that slot meanwhile is locked too before the decision (with no hold
    blocks written, the lock is what keeps a concurrent holder of it out)."""
    if databases.backend != "postgres":
        pytest.skip("SQLite's writers are serialized by the write transaction")
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        when = future_day(studio, 4)
        first = await create_slot(o, slot(studio, when, (14, 0), (15, 0)))
        booked = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=first.name, client=bob.name, request_id=rid()), metadata=A
        )
        room_slot = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        moved, locks = await _once_an_edit_gave_the_slot_the_room(
            o,
            studio,
            room_slot,
            lambda: o.online.RescheduleOnlineBooking(
                opb.RescheduleOnlineBookingRequest(session=booked.name, time_slot=room_slot.name, request_id=rid()),
                metadata=A,
            ),
            "the reschedule waiting for the schedule",
        )
        assert moved.camera_room == studio.room.name
        room = studio.room.name.removeprefix("schedules/")
        assert any(room in parameters for _, parameters in locks[1:])  # the room locked after the wait
