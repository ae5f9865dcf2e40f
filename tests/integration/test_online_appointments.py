"""Online time slots of appointment types (issue 6): booking creates a linked appointment,
auto-remove and restore across session and appointment slots, cancel and reschedule online,
one winner under concurrency, and bad input naming the field; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from tests.online_support import (
    appointment_slot,
    create_slot,
    future_day,
    make_online_studio,
    offer_appointment_type_online,
    online_service,
    open_appointment_names,
    open_names,
    pdate,
    slot,
)
from tests.scheduling_support import COMPANY_A, A, B, make_known_client, make_studio

CONCURRENT = 50


def rid() -> str:
    return str(uuid.uuid4())


async def test_appointment_slot_books_removes_and_restores(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        await offer_appointment_type_online(o.svc, studio)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio)
        consult = await create_slot(o, appointment_slot(studio, when, (10, 0), (10, 30)))
        later_consult = await create_slot(o, appointment_slot(studio, when, (14, 0), (14, 30)))
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        second30 = await create_slot(o, slot(studio, when, (10, 30), (11, 0)))
        assert consult.appointment_type == studio.appointment_type.name
        assert consult.session_type == ""
        assert await open_appointment_names(o, studio, when) == [consult.name, later_consult.name]
        assert sorted(await open_names(o, studio, when)) == sorted([sixty.name, second30.name])

        # a session is not booked in an appointment slot (nor the other way round)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=consult.name, client=ann.name, request_id=rid()), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(err.value)) == ["time_slot"]
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookAppointmentOnline(
                opb.BookAppointmentOnlineRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert list(rpc_violations(err.value)) == ["time_slot"]

        # booking the appointment slot (through a hold) creates the client's appointment and
        # removes the overlapping session slot, not the one after it
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=consult.name, client=ann.name, request_id=rid()), metadata=A
        )
        request = opb.BookAppointmentOnlineRequest(
            hold=hold.name, client=ann.name, description="Planning the shoot", request_id=rid()
        )
        appointment = await o.online.BookAppointmentOnline(request, metadata=A)
        assert await o.online.BookAppointmentOnline(request, metadata=A) == appointment  # idempotent
        assert appointment.client == ann.name
        assert appointment.appointment_type == studio.appointment_type.name
        assert appointment.schedules == [studio.photographer.name]
        assert appointment.description == "Planning the shoot"
        assert appointment.confirmed  # booked online is confirmed
        assert (appointment.start_time, appointment.end_time) == (consult.start_time, consult.end_time)
        assert await o.svc.stub.GetAppointment(pb.GetAppointmentRequest(name=appointment.name), metadata=A) == (
            appointment
        )
        assert await open_appointment_names(o, studio, when) == [later_consult.name]
        assert await open_names(o, studio, when) == [second30.name]
        state = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(), metadata=A)
        assert {s.name: (s.booked_session, s.booked_appointment, s.removed) for s in state.time_slots} == {
            consult.name: ("", appointment.name, False),
            later_consult.name: ("", "", False),
            sixty.name: ("", "", True),
            second30.name: ("", "", False),
        }
        booked_hold = await o.online.ReleaseHold(opb.ReleaseHoldRequest(name=hold.name), metadata=A)
        assert booked_hold.state == opb.SLOT_HOLD_STATE_BOOKED
        assert (booked_hold.appointment, booked_hold.session) == (appointment.name, "")

        # rescheduling online: the old slot and the session slot it removed come back
        moved = await o.online.RescheduleOnlineAppointment(
            opb.RescheduleOnlineAppointmentRequest(
                appointment=appointment.name, time_slot=later_consult.name, request_id=rid()
            ),
            metadata=A,
        )
        assert moved.name == appointment.name
        assert moved.start_time == later_consult.start_time
        assert await open_appointment_names(o, studio, when) == [consult.name]
        assert sorted(await open_names(o, studio, when)) == sorted([sixty.name, second30.name])

        # a session booked in the 60 removes the overlapping appointment slot; cancelling the
        # appointment online restores its slot; cancelling the session restores the other
        session = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await open_appointment_names(o, studio, when) == []
        cancelled = await o.online.CancelOnlineAppointment(
            opb.CancelOnlineAppointmentRequest(appointment=appointment.name, request_id=rid()), metadata=A
        )
        assert cancelled.cancelled
        assert await open_appointment_names(o, studio, when) == [later_consult.name]
        await o.online.CancelOnlineBooking(
            opb.CancelOnlineBookingRequest(session=session.name, request_id=rid()), metadata=A
        )
        assert await open_appointment_names(o, studio, when) == [consult.name, later_consult.name]

        # events: the slot events name the appointment; the appointment's own events follow
        removed = [e for e in await o.svc.outbox("scheduling.slot.removed")]
        first_removed = opb.SlotRemovedEvent()
        removed[0].payload.Unpack(first_removed)
        assert (first_removed.time_slot.name, first_removed.appointment) == (sixty.name, appointment.name)
        restored_by_appointment = []
        for envelope in await o.svc.outbox("scheduling.slot.restored"):
            payload = opb.SlotRestoredEvent()
            envelope.payload.Unpack(payload)
            if payload.appointment:
                restored_by_appointment.append(payload.time_slot.name)
        # reschedule: the first consult and the 60; cancel: the later consult
        assert sorted(restored_by_appointment) == sorted([consult.name, sixty.name, later_consult.name])
        assert [e.subject for e in await o.svc.outbox("scheduling.appointment.")] == [
            "scheduling.appointment.booked",
            "scheduling.appointment.rescheduled",
            "scheduling.appointment.cancelled",
        ]

        # another company cannot cancel it
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.CancelOnlineAppointment(
                opb.CancelOnlineAppointmentRequest(appointment=appointment.name, request_id=rid()), metadata=B
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_concurrent_appointment_bookings_one_wins(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        await offer_appointment_type_online(o.svc, studio)
        client = await make_known_client(o.svc, COMPANY_A, "Cat")
        consult = await create_slot(o, appointment_slot(studio, future_day(studio, 4), (9, 0), (9, 30)))

        async def book() -> pb.Appointment | grpc.StatusCode:
            request = opb.BookAppointmentOnlineRequest(time_slot=consult.name, client=client.name, request_id=rid())
            try:
                return await o.online.BookAppointmentOnline(request, metadata=A, timeout=120)
            except grpc.aio.AioRpcError as err:
                return err.code()

        results = await asyncio.gather(*(book() for _ in range(CONCURRENT)))
        booked = [r for r in results if isinstance(r, pb.Appointment)]
        assert len(booked) == 1
        assert {r for r in results if not isinstance(r, pb.Appointment)} == {grpc.StatusCode.FAILED_PRECONDITION}
        listed = await o.svc.stub.ListAppointments(pb.ListAppointmentsRequest(client=client.name), metadata=A)
        assert [a.name for a in listed.appointments] == [booked[0].name]
        assert len(await o.svc.outbox("scheduling.appointment.booked")) == 1


async def test_slot_sells_exactly_one_known_type(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        other = await make_studio(o.svc, B, name="Other company")
        when = future_day(studio)

        async def violations(msg: opb.TimeSlot) -> dict[str, str]:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await create_slot(o, msg)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            return rpc_violations(err.value)

        both = appointment_slot(studio, when, (9, 0), (10, 0))
        both.session_type = studio.session_type.name
        assert list(await violations(both)) == ["time_slot.session_type"]
        neither = appointment_slot(studio, when, (9, 0), (10, 0))
        neither.appointment_type = ""
        assert list(await violations(neither)) == ["time_slot.session_type"]
        foreign = appointment_slot(studio, when, (9, 0), (10, 0))
        foreign.appointment_type = other.appointment_type.name
        assert list(await violations(foreign)) == ["time_slot.appointment_type"]
        wrong_kind = appointment_slot(studio, when, (9, 0), (10, 0))
        wrong_kind.appointment_type = studio.session_type.name
        assert list(await violations(wrong_kind)) == ["time_slot.appointment_type"]

        template = appointment_slot(studio, when, (0, 0), (0, 0))
        template.session_type = studio.session_type.name
        row = opb.TimeSlotPatternRow(
            start_date=pdate(when),
            end_date=pdate(when),
            start_time=pb.TimeOfDay(hours=9),
            end_time=pb.TimeOfDay(hours=12),
            slot_minutes=30,
        )
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.GenerateTimeSlots(opb.GenerateTimeSlotsRequest(template=template, rows=[row]), metadata=A)
        assert list(rpc_violations(err.value)) == ["template.session_type"]
        template.session_type = ""
        generated = await o.online.GenerateTimeSlots(
            opb.GenerateTimeSlotsRequest(template=template, rows=[row]), metadata=A
        )
        assert len(generated.time_slots) == 6
        assert {s.appointment_type for s in generated.time_slots} == {studio.appointment_type.name}

        # the appointment type is not offered online yet: its slots exist but none is open
        assert await open_appointment_names(o, studio, when) == []
        await offer_appointment_type_online(o.svc, studio)
        all_six = await open_appointment_names(o, studio, when)
        assert all_six == [s.name for s in generated.time_slots]
        by_type = await o.online.ListTimeSlots(
            opb.ListTimeSlotsRequest(appointment_type=studio.appointment_type.name), metadata=A
        )
        assert [s.name for s in by_type.time_slots] == all_six

        # ListOpenSlots pages (AIP-158): 4 then 2; a token only continues its own query
        query = opb.ListOpenSlotsRequest(
            appointment_type=studio.appointment_type.name,
            location=studio.location.name,
            start_date=pdate(when),
            end_date=pdate(when),
            page_size=4,
        )
        first_page = await o.online.ListOpenSlots(query, metadata=A)
        assert [s.name for s in first_page.time_slots] == all_six[:4]
        assert first_page.next_page_token
        query.page_token = first_page.next_page_token
        second_page = await o.online.ListOpenSlots(query, metadata=A)
        assert [s.name for s in second_page.time_slots] == all_six[4:]
        assert second_page.next_page_token == ""
        query.end_date.CopyFrom(pdate(future_day(studio, 8)))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.ListOpenSlots(query, metadata=A)
        assert list(rpc_violations(err.value)) == ["page_token"]

        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.ListOpenSlots(
                opb.ListOpenSlotsRequest(
                    session_type=studio.session_type.name,
                    appointment_type=studio.appointment_type.name,
                    location=studio.location.name,
                    start_date=pdate(when),
                    end_date=pdate(when),
                ),
                metadata=A,
            )
        assert list(rpc_violations(err.value)) == ["session_type"]
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.ListOpenSlots(
                opb.ListOpenSlotsRequest(
                    appointment_type=other.appointment_type.name,
                    location=studio.location.name,
                    start_date=pdate(when),
                    end_date=pdate(when),
                ),
                metadata=A,
            )
        assert list(rpc_violations(err.value)) == ["appointment_type"]
