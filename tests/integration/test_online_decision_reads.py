"""The open-slot decision of holding and booking reads what it weighs from the database in one
statement: the calendar blocks and live hold blocks around the slot and the slot's removals by
live bookings (`slot_neighbours.decision_rows`); a booking straight from a slot (or a
reschedule onto one) finds the expired hold blocks of the slot's schedules in that statement
too. A removed slot is still refused (and open again once its remover is cancelled), a live
hold still refuses, and expired holds are still ended and announced released, the ones on other
schedules left alone; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC

import grpc
import pytest
from sqlalchemy import select

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, statements_on
from shutterbook_kit.db import Database
from shutterbook_scheduling.domain import online_slots as rules
from shutterbook_scheduling.domain.holds import HoldState
from shutterbook_scheduling.settings import HoldSettings, SchedulingSettings
from shutterbook_scheduling.storage.online_models import HoldBlockRow, SlotHoldRow
from tests.online_support import (
    OnlineService,
    create_slot,
    future_day,
    make_online_studio,
    online_service,
    open_names,
    slot,
    until,
)
from tests.scheduling_support import COMPANY_A, A, make_known_client

# the tables the decision reads around a slot (the service's background work, the outbox relay's,
# names none of them: the statements on them that `statements_on` sees are the call's)
AROUND = ("online_slot_removals", "online_hold_blocks", "calendar_blocks")


def rid() -> str:
    return str(uuid.uuid4())


def _reads_of_removals(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith(("SELECT", "WITH")) and "online_slot_removals" in s]


def _on_hold_blocks(seen: list[str]) -> list[str]:
    """The statements on hold blocks, the decision's as "decision", others by their verb."""
    return ["decision" if _is_the_decision(s) else s.split()[0] for s in seen if "online_hold_blocks" in s]


async def _hold_state(o: OnlineService, hold_name: str) -> tuple[int, int]:
    """The hold's stored state and how many hold blocks it has left."""
    hold_id = hold_name.removeprefix("slotHolds/")
    db = Database(o.svc.database_url)
    try:
        async with db.engine.connect() as conn:
            state = await conn.scalar(select(SlotHoldRow.state).where(SlotHoldRow.id == hold_id))
            blocks = (await conn.execute(select(HoldBlockRow.id).where(HoldBlockRow.hold_id == hold_id))).all()
            return int(state or 0), len(blocks)
    finally:
        await db.dispose()


async def _released(o: OnlineService) -> list[tuple[str, int]]:
    """The holds announced released so far: (name, state), in order."""
    out: list[tuple[str, int]] = []
    for message in await o.svc.outbox("scheduling.slot.released"):
        payload = opb.SlotReleasedEvent()
        message.payload.Unpack(payload)
        out.append((payload.hold.name, payload.hold.state))
    return out


def _is_the_decision(statement: str) -> bool:
    """The decision's one statement: it reads the calendar, the hold blocks and the removals."""
    return all(table in statement for table in AROUND) and "UNION ALL" in statement


async def test_the_decision_reads_removals_with_the_blocks(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """HoldSlot, a booking through the hold and a booking straight from a slot each read the
    slot's removals once, in the statement that reads the blocks around it (no slot overlaps
    the bookings here, so auto-remove reads no removals of its own)."""
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio, 3)
        first = await create_slot(o, slot(studio, when, (9, 0), (10, 0)))
        second = await create_slot(o, slot(studio, when, (13, 0), (14, 0)))

        with statements_on(*AROUND) as seen:
            hold = await o.online.HoldSlot(
                opb.HoldSlotRequest(time_slot=first.name, client=ann.name, request_id=rid()), metadata=A
            )
        assert [_is_the_decision(s) for s in _reads_of_removals(seen)] == [True], seen

        with statements_on(*AROUND) as seen:
            await o.online.BookOnline(
                opb.BookOnlineRequest(hold=hold.name, client=ann.name, request_id=rid()), metadata=A
            )
        assert [_is_the_decision(s) for s in _reads_of_removals(seen)] == [True], seen

        with statements_on(*AROUND) as seen:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=second.name, client=ann.name, request_id=rid()), metadata=A
            )
        assert [_is_the_decision(s) for s in _reads_of_removals(seen)] == [True], seen


async def test_a_removed_slot_is_refused_until_its_remover_is_cancelled(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """A slot a live booking removed is refused as removed by HoldSlot, by a booking straight
    from it and by a reschedule onto it; once the remover is cancelled it is open again, and a
    slot the cancelled booking never removed was open all along."""
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        when = future_day(studio, 4)
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        thirty = await create_slot(o, slot(studio, when, (10, 30), (11, 0)))
        later = await create_slot(o, slot(studio, when, (15, 0), (16, 0)))
        remover = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert (await o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=thirty.name), metadata=A)).removed
        other = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=later.name, client=bob.name, request_id=rid()), metadata=A
        )

        refusals = []
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.HoldSlot(
                opb.HoldSlotRequest(time_slot=thirty.name, client=bob.name, request_id=rid()), metadata=A
            )
        refusals.append(err.value)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=thirty.name, client=bob.name, request_id=rid()), metadata=A
            )
        refusals.append(err.value)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.RescheduleOnlineBooking(
                opb.RescheduleOnlineBookingRequest(session=other.name, time_slot=thirty.name, request_id=rid()),
                metadata=A,
            )
        refusals.append(err.value)
        assert [(r.code(), r.details()) for r in refusals] == [
            (grpc.StatusCode.FAILED_PRECONDITION, f"{thirty.name} is not open: {rules.REMOVED}")
        ] * 3

        # the remover cancelled by staff: its removal no longer counts, the slot books
        await o.svc.stub.CancelSession(pb.CancelSessionRequest(name=remover.name), metadata=A)
        assert sorted(await open_names(o, studio, when)) == sorted([sixty.name, thirty.name])
        booked = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=thirty.name, client=bob.name, request_id=rid()), metadata=A
        )
        assert booked.start_time == thirty.start_time


async def test_a_direct_booking_finds_expired_holds_in_its_decision(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    """Once holds expired, a booking straight from a slot sharing the photographer with one of
    them reads that hold's blocks in its decision's statement (no look-up of its own), deletes
    them, ends the hold EXPIRED and announces it released; a hold expired on the room alone is
    left as it was, until a reschedule onto a slot of the room does the same for it."""
    short = SchedulingSettings(holds=HoldSettings(minutes=3.0 / 60))
    async with online_service(databases, nats_server.url, own=short) as o:
        studio = await make_online_studio(o.svc, auto_remove=False)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        when = future_day(studio, 4)
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        thirty = await create_slot(o, slot(studio, when, (10, 30), (11, 0)))
        room = await create_slot(o, slot(studio, when, (12, 0), (13, 0), [studio.room.name]))
        room_later = await create_slot(o, slot(studio, when, (16, 0), (17, 0), [studio.room.name]))
        on_photographer = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
        )
        on_room = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=room.name, client=ann.name, request_id=rid()), metadata=A
        )
        await until(max(on_photographer.expire_time.ToDatetime(tzinfo=UTC), on_room.expire_time.ToDatetime(tzinfo=UTC)))

        with statements_on(*AROUND) as seen:
            session = await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=thirty.name, client=bob.name, request_id=rid()), metadata=A
            )
        assert _on_hold_blocks(seen) == ["decision", "DELETE"], seen
        assert await _hold_state(o, on_photographer.name) == (int(HoldState.EXPIRED), 0)
        assert await _hold_state(o, on_room.name) == (int(HoldState.HELD), 1)  # shown expired, not cleaned
        assert await _released(o) == [(on_photographer.name, opb.SLOT_HOLD_STATE_EXPIRED)]

        with statements_on(*AROUND) as seen:
            moved = await o.online.RescheduleOnlineBooking(
                opb.RescheduleOnlineBookingRequest(session=session.name, time_slot=room_later.name, request_id=rid()),
                metadata=A,
            )
        assert moved.start_time == room_later.start_time
        assert _on_hold_blocks(seen) == ["decision", "DELETE"], seen
        assert await _hold_state(o, on_room.name) == (int(HoldState.EXPIRED), 0)
        assert await _released(o) == [
            (on_photographer.name, opb.SLOT_HOLD_STATE_EXPIRED),
            (on_room.name, opb.SLOT_HOLD_STATE_EXPIRED),
        ]

        # nothing expired any more: the decision alone, nothing deleted or announced
        with statements_on(*AROUND) as seen:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
            )
        assert _on_hold_blocks(seen) == ["decision"], seen
        assert len(await _released(o)) == 2


async def test_a_live_hold_refuses_a_direct_booking(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    """A live hold on the photographer refuses a booking straight from an overlapping slot as
    held (its decision reads no expired hold and cleans nothing); the hold stays held, with its
    blocks, unannounced, and books through afterwards."""
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        when = future_day(studio, 5)
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        thirty = await create_slot(o, slot(studio, when, (10, 30), (11, 0)))
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
        )
        with statements_on(*AROUND) as seen, pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=thirty.name, client=bob.name, request_id=rid()), metadata=A
            )
        assert (err.value.code(), err.value.details()) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            f"{thirty.name} is not open: {rules.HELD}",
        )
        assert _on_hold_blocks(seen) == ["decision"], seen
        assert await _hold_state(o, hold.name) == (int(HoldState.HELD), 1)
        assert await _released(o) == []
        session = await o.online.BookOnline(
            opb.BookOnlineRequest(hold=hold.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert session.start_time == sixty.start_time
