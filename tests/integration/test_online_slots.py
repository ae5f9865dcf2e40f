"""Online time slots (reference page 05): the auto-remove example, cancel and reschedule
online, idempotency, events, and tenancy; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date

import grpc
import pytest
from google.protobuf import field_mask_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.online_support import create_slot, future_day, make_online_studio, online_service, open_names, slot
from tests.scheduling_support import COMPANY_A, A, B, make_known_client


def rid() -> str:
    return str(uuid.uuid4())


async def test_reference_example_auto_remove_and_restore(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        client = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio)
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        first30 = await create_slot(o, slot(studio, when, (10, 0), (10, 30)))
        second30 = await create_slot(o, slot(studio, when, (10, 30), (11, 0)))
        assert sorted(await open_names(o, studio, when)) == sorted([sixty.name, first30.name, second30.name])

        # booking the 60 removes both 30s
        session = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=sixty.name, client=client.name, request_id=rid()), metadata=A
        )
        assert session.booked_online
        assert session.status == studio.session_type.online.booked_online_status
        assert session.photographer == studio.photographer.name
        assert session.start_time == sixty.start_time
        assert session.end_time == sixty.end_time
        assert await open_names(o, studio, when) == []
        listed = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(location=studio.location.name), metadata=A)
        state = {s.name: (s.booked_session, s.removed) for s in listed.time_slots}
        assert state == {sixty.name: (session.name, False), first30.name: ("", True), second30.name: ("", True)}

        # cancelling restores all three
        cancelled = await o.online.CancelOnlineBooking(
            opb.CancelOnlineBookingRequest(session=session.name, request_id=rid()), metadata=A
        )
        assert cancelled.cancelled
        assert cancelled.status == studio.session_type.online.cancelled_online_status
        assert sorted(await open_names(o, studio, when)) == sorted([sixty.name, first30.name, second30.name])

        # booking a 30 removes the 60 but not the other 30
        small = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=first30.name, client=client.name, request_id=rid()), metadata=A
        )
        assert await open_names(o, studio, when) == [second30.name]
        removed = await o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=sixty.name), metadata=A)
        assert removed.removed

        # rescheduling the 30 onto the other 30: the first is open again, the 60 stays removed
        moved = await o.online.RescheduleOnlineBooking(
            opb.RescheduleOnlineBookingRequest(session=small.name, time_slot=second30.name, request_id=rid()),
            metadata=A,
        )
        assert moved.name == small.name
        assert moved.start_time == second30.start_time
        assert moved.status == studio.session_type.online.rescheduled_online_status
        assert await open_names(o, studio, when) == [first30.name]
        assert (await o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=sixty.name), metadata=A)).removed

        subjects = [e.subject for e in await o.svc.outbox("scheduling.slot.")]
        assert subjects.count("scheduling.slot.removed") == 2 + 1 + 1
        assert subjects.count("scheduling.slot.restored") == 3 + 2  # cancel: all three; reschedule: 30 and 60
        assert subjects.count("scheduling.slot.booked") == 3
        restored = [e for e in await o.svc.outbox("scheduling.slot.restored")]
        payload = opb.SlotRestoredEvent()
        restored[-1].payload.Unpack(payload)
        assert payload.session == small.name
        session_events = [e.subject for e in await o.svc.outbox("scheduling.session.")]
        assert session_events == [
            "scheduling.session.booked",
            "scheduling.session.cancelled",
            "scheduling.session.booked",
            "scheduling.session.rescheduled",
        ]


async def test_idempotent_and_tenant_scoped(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        client = await make_known_client(o.svc, COMPANY_A, "Bo")
        when = future_day(studio, 3)
        one = await create_slot(o, slot(studio, when, (9, 0), (10, 0)))
        other = await create_slot(o, slot(studio, when, (11, 0), (12, 0)))
        request = opb.BookOnlineRequest(time_slot=one.name, client=client.name, request_id=rid())
        first = await o.online.BookOnline(request, metadata=A)
        again = await o.online.BookOnline(request, metadata=A)
        assert again == first
        sessions = await o.svc.stub.ListSessions(pb.ListSessionsRequest(client=client.name), metadata=A)
        assert [s.name for s in sessions.sessions] == [first.name]

        # another company sees nothing and changes nothing
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=other.name), metadata=B)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.DeleteTimeSlot(opb.DeleteTimeSlotRequest(name=other.name), metadata=B)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.CancelOnlineBooking(
                opb.CancelOnlineBookingRequest(session=first.name, request_id=rid()), metadata=B
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND

        # a booked slot is not open and cannot be booked again, nor deleted
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=one.name, client=client.name, request_id=rid()), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.DeleteTimeSlot(opb.DeleteTimeSlotRequest(name=one.name), metadata=A)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION

        # staff edits: unpublishing hides a slot, deleting removes it
        hidden = await o.online.UpdateTimeSlot(
            opb.UpdateTimeSlotRequest(
                time_slot=opb.TimeSlot(name=other.name, published=False),
                update_mask=field_mask_pb2.FieldMask(paths=["published"]),
            ),
            metadata=A,
        )
        assert not hidden.published
        assert await open_names(o, studio, when) == []
        await o.online.DeleteTimeSlot(opb.DeleteTimeSlotRequest(name=other.name), metadata=A)
        listed = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(), metadata=A)
        assert [s.name for s in listed.time_slots] == [one.name]


async def test_reschedule_is_all_or_nothing_and_staff_cancel_frees(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        bob = await make_known_client(o.svc, COMPANY_A, "Bob")
        when = future_day(studio, 6)
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        thirty = await create_slot(o, slot(studio, when, (10, 0), (10, 30)))
        later = await create_slot(o, slot(studio, when, (15, 0), (16, 0)))
        mine = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
        )
        theirs = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=later.name, client=bob.name, request_id=rid()), metadata=A
        )
        # onto a booked slot: refused, and nothing moved
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.RescheduleOnlineBooking(
                opb.RescheduleOnlineBookingRequest(session=mine.name, time_slot=later.name, request_id=rid()),
                metadata=A,
            )
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert (await o.svc.stub.GetSession(pb.GetSessionRequest(name=mine.name), metadata=A)) == mine
        state = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(), metadata=A)
        assert {s.name: (s.booked_session, s.removed) for s in state.time_slots} == {
            sixty.name: (mine.name, False),
            thirty.name: ("", True),
            later.name: (theirs.name, False),
        }
        # a staff cancellation (the ordinary CancelSession) frees the slot and what it removed
        await o.svc.stub.CancelSession(pb.CancelSessionRequest(name=mine.name), metadata=A)
        assert sorted(await open_names(o, studio, when)) == sorted([sixty.name, thirty.name])
        again = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=thirty.name, client=bob.name, request_id=rid()), metadata=A
        )
        assert again.start_time == thirty.start_time
        assert await open_names(o, studio, when) == []


async def test_listing_and_booking_share_one_decision(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc, buffers=(0, 30))
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio, 2)
        soon = slot(studio, when, (9, 0), (10, 0))
        soon.minimum_notice_minutes = 5 * 24 * 60  # starts within the notice
        far = slot(studio, future_day(studio, 40), (9, 0), (10, 0))
        far.maximum_advance_days = 30
        after_staff = slot(studio, when, (12, 0), (13, 0))  # within a staff session's buffer
        refused = [await create_slot(o, soon), await create_slot(o, far), await create_slot(o, after_staff)]
        fine = await create_slot(o, slot(studio, when, (14, 0), (15, 0)))
        await o.svc.stub.CreateSession(
            pb.CreateSessionRequest(
                session=pb.Session(
                    client=ann.name,
                    session_type=studio.session_type.name,
                    location=studio.location.name,
                    session_date=when_pb(when),
                    start=pb.TimeOfDay(hours=11),
                    end=pb.TimeOfDay(hours=11, minutes=45),
                    photographer=studio.photographer.name,
                )
            ),
            metadata=A,
        )
        assert await open_names(o, studio, when, future_day(studio, 41)) == [fine.name]
        for bad, reason in zip(refused, ("minimum notice", "maximum advance", "busy"), strict=True):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await o.online.HoldSlot(
                    opb.HoldSlotRequest(time_slot=bad.name, client=ann.name, request_id=rid()), metadata=A
                )
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert reason in (err.value.details() or "")
        # a type taken off online booking: nothing is open, nothing can be booked
        await o.svc.stub.UpdateSessionType(
            pb.UpdateSessionTypeRequest(
                session_type=pb.SessionType(name=studio.session_type.name, online=pb.OnlineBookingSettings()),
                update_mask=field_mask_pb2.FieldMask(paths=["online"]),
            ),
            metadata=A,
        )
        assert await open_names(o, studio, when) == []
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=fine.name, client=ann.name, request_id=rid()), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def when_pb(value: date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)
