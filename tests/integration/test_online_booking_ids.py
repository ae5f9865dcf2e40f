"""Client-assigned booking ids (AIP-133): BookOnline's `session_id` and BookAppointmentOnline's
`appointment_id` name the created session/appointment exactly; a malformed id is
INVALID_ARGUMENT on that field; an id any session or appointment already has is
ALREADY_EXISTS (a retry with the same request_id still returns the first result), also when
concurrent bookings claim one id; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, round_trips, rpc_violations
from tests.online_support import (
    appointment_slot,
    create_slot,
    future_day,
    make_online_studio,
    offer_appointment_type_online,
    online_service,
    open_appointment_names,
    open_names,
    slot,
)
from tests.scheduling_support import COMPANY_A, A, make_known_client

CONCURRENT = 16


def rid() -> str:
    return str(uuid.uuid4())


async def test_given_ids_name_the_booking(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)  # with auto-remove
        await offer_appointment_type_online(o.svc, studio)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann", members=["Kid"])
        when = future_day(studio)
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        overlapping = await create_slot(o, slot(studio, when, (10, 30), (11, 0)))
        other = await create_slot(o, slot(studio, when, (14, 0), (15, 0)))
        consult = await create_slot(o, appointment_slot(studio, when, (16, 0), (16, 30)))
        later_consult = await create_slot(o, appointment_slot(studio, when, (17, 0), (17, 30)))

        # malformed ids name their field, nothing is booked
        for bad in ("not-a-uuid", str(uuid.uuid4()).upper(), uuid.uuid4().hex, f"{uuid.uuid4()}x"):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await o.online.BookOnline(
                    opb.BookOnlineRequest(time_slot=sixty.name, client=ann.name, session_id=bad, request_id=rid()),
                    metadata=A,
                )
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert list(rpc_violations(err.value)) == ["session_id"]
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await o.online.BookAppointmentOnline(
                    opb.BookAppointmentOnlineRequest(
                        time_slot=consult.name, client=ann.name, appointment_id=bad, request_id=rid()
                    ),
                    metadata=A,
                )
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert list(rpc_violations(err.value)) == ["appointment_id"]
        assert sorted(await open_names(o, studio, when)) == sorted([sixty.name, overlapping.name, other.name])

        # booking a hold under a given id: the session, slot, hold and events all carry it
        session_id = str(uuid.uuid4())
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
        )
        request = opb.BookOnlineRequest(
            hold=hold.name,
            client=ann.name,
            participants=[ann.family_members[0].name],
            session_id=session_id,
            request_id=rid(),
        )
        async with round_trips(o.svc.host.parts.db) as seen:
            session = await o.online.BookOnline(request, metadata=A)
        assert session.name == f"sessions/{session_id}"
        if databases.backend == "postgres":  # the id's lock taken in the idempotency look-up's statement
            [locking] = [s for s in seen.statements if "pg_advisory_xact_lock" in s]
            assert "idempotency_records" in locking
        assert session.booked_online
        assert list(session.participants) == [ann.family_members[0].name]
        assert await o.online.BookOnline(request, metadata=A) == session  # the same request again: the first result
        assert await o.svc.stub.GetSession(pb.GetSessionRequest(name=session.name), metadata=A) == session
        assert (await o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=sixty.name), metadata=A)).booked_session == (
            session.name
        )
        # auto-remove as ever: the overlapping slot is gone, the later one stays
        assert await open_names(o, studio, when) == [other.name]
        booked = await o.svc.outbox("scheduling.session.booked")
        assert len(booked) == 1
        slot_booked = opb.SlotBookedEvent()
        (await o.svc.outbox("scheduling.slot.booked"))[0].payload.Unpack(slot_booked)
        assert slot_booked.session == session.name
        removed = opb.SlotRemovedEvent()
        (await o.svc.outbox("scheduling.slot.removed"))[0].payload.Unpack(removed)
        assert (removed.time_slot.name, removed.session) == (overlapping.name, session.name)

        # the id again in another request: ALREADY_EXISTS, and the other slot stays open
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(time_slot=other.name, client=ann.name, session_id=session_id, request_id=rid()),
                metadata=A,
            )
        assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookAppointmentOnline(
                opb.BookAppointmentOnlineRequest(
                    time_slot=consult.name, client=ann.name, appointment_id=session_id, request_id=rid()
                ),
                metadata=A,
            )
        assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert await open_names(o, studio, when) == [other.name]
        assert await open_appointment_names(o, studio, when) == [consult.name, later_consult.name]

        # an appointment under a given id; that id is then taken for sessions too
        appointment_id = str(uuid.uuid4())
        appointment = await o.online.BookAppointmentOnline(
            opb.BookAppointmentOnlineRequest(
                time_slot=consult.name, client=ann.name, appointment_id=appointment_id, request_id=rid()
            ),
            metadata=A,
        )
        assert appointment.name == f"appointments/{appointment_id}"
        assert await o.svc.stub.GetAppointment(pb.GetAppointmentRequest(name=appointment.name), metadata=A) == (
            appointment
        )
        assert (
            await o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=consult.name), metadata=A)
        ).booked_appointment == (appointment.name)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookOnline(
                opb.BookOnlineRequest(
                    time_slot=other.name, client=ann.name, session_id=appointment_id, request_id=rid()
                ),
                metadata=A,
            )
        assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await o.online.BookAppointmentOnline(
                opb.BookAppointmentOnlineRequest(
                    time_slot=later_consult.name, client=ann.name, appointment_id=appointment_id, request_id=rid()
                ),
                metadata=A,
            )
        assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS

        # without an id the service still assigns one
        assigned = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=other.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert assigned.name.startswith("sessions/")
        assert assigned.name != session.name
        assert len(await o.svc.outbox("scheduling.session.booked")) == 2
        assert len(await o.svc.outbox("scheduling.appointment.booked")) == 1


async def test_concurrent_claims_of_one_id(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    """Many bookings of different slots (sessions and appointments) claim one id at once:
    exactly one books, every other one is ALREADY_EXISTS."""
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc, auto_remove=False)
        await offer_appointment_type_online(o.svc, studio, auto_remove=False)
        client = await make_known_client(o.svc, COMPANY_A, "Cat")
        when = future_day(studio, 6)
        session_slots = [
            await create_slot(o, slot(studio, when, (8 + i // 2, 30 * (i % 2)), (8 + i // 2, 30 * (i % 2) + 29)))
            for i in range(CONCURRENT // 2)
        ]
        appointment_slots = [
            await create_slot(
                o, appointment_slot(studio, when, (14 + i // 2, 30 * (i % 2)), (14 + i // 2, 30 * (i % 2) + 29))
            )
            for i in range(CONCURRENT // 2)
        ]
        shared_id = str(uuid.uuid4())

        async def book_session(name: str) -> pb.Session | grpc.StatusCode:
            request = opb.BookOnlineRequest(time_slot=name, client=client.name, session_id=shared_id, request_id=rid())
            try:
                return await o.online.BookOnline(request, metadata=A, timeout=120)
            except grpc.aio.AioRpcError as err:
                return err.code()

        async def book_appointment(name: str) -> pb.Appointment | grpc.StatusCode:
            request = opb.BookAppointmentOnlineRequest(
                time_slot=name, client=client.name, appointment_id=shared_id, request_id=rid()
            )
            try:
                return await o.online.BookAppointmentOnline(request, metadata=A, timeout=120)
            except grpc.aio.AioRpcError as err:
                return err.code()

        results = await asyncio.gather(
            *(book_session(s.name) for s in session_slots), *(book_appointment(s.name) for s in appointment_slots)
        )
        made = [r for r in results if not isinstance(r, grpc.StatusCode)]
        assert len(made) == 1
        assert made[0].name.endswith(f"/{shared_id}")
        assert [r for r in results if isinstance(r, grpc.StatusCode)] == [grpc.StatusCode.ALREADY_EXISTS] * (
            CONCURRENT - 1
        )
        slots = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(), metadata=A)
        assert [
            s.booked_session or s.booked_appointment
            for s in slots.time_slots
            if s.booked_session or s.booked_appointment
        ] == [made[0].name]
        booked = await o.svc.outbox("scheduling.slot.booked")
        assert len(booked) == 1
