"""Staff actions on online bookings: the ordinary CancelSession / RescheduleSession /
CancelAppointment of a booking made online free its slot and restore the slots its booking
removed, with `scheduling.slot.restored` events; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from tests.online_support import (
    OnlineService,
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
from tests.scheduling_support import COMPANY_A, A, make_known_client


def rid() -> str:
    return str(uuid.uuid4())


async def restored(o: OnlineService) -> list[tuple[str, str]]:
    """(slot, booking) of every `scheduling.slot.restored` event so far."""
    out = []
    for envelope in await o.svc.outbox("scheduling.slot.restored"):
        payload = opb.SlotRestoredEvent()
        envelope.payload.Unpack(payload)
        out.append((payload.time_slot.name, payload.session or payload.appointment))
    return out


async def test_staff_cancel_and_reschedule_release_online_slots(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        await offer_appointment_type_online(o.svc, studio)
        ann = await make_known_client(o.svc, COMPANY_A, "Ann")
        when = future_day(studio, 5)
        sixty = await create_slot(o, slot(studio, when, (10, 0), (11, 0)))
        first30 = await create_slot(o, slot(studio, when, (10, 0), (10, 30)))
        second30 = await create_slot(o, slot(studio, when, (10, 30), (11, 0)))
        everything = sorted([sixty.name, first30.name, second30.name])

        # staff CancelSession of an online session: all three back, one event each
        session = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=sixty.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await open_names(o, studio, when) == []
        await o.svc.stub.CancelSession(pb.CancelSessionRequest(name=session.name, request_id=rid()), metadata=A)
        assert sorted(await open_names(o, studio, when)) == everything
        assert sorted(await restored(o)) == sorted((name, session.name) for name in everything)
        state = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(), metadata=A)
        assert {s.name: (s.booked_session, s.removed) for s in state.time_slots} == {
            name: ("", False) for name in everything
        }

        # staff RescheduleSession of an online session to another time: it leaves its slot,
        # which opens again with the 60 it removed; the other 30 was never removed
        small = await o.online.BookOnline(
            opb.BookOnlineRequest(time_slot=first30.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await open_names(o, studio, when) == [second30.name]
        before = len(await restored(o))
        moved = await o.svc.stub.RescheduleSession(
            pb.RescheduleSessionRequest(
                name=small.name,
                session_date=pdate(when),
                start=pb.TimeOfDay(hours=15),
                end=pb.TimeOfDay(hours=15, minutes=30),
                request_id=rid(),
            ),
            metadata=A,
        )
        assert moved.start_time != small.start_time
        assert sorted(await open_names(o, studio, when)) == everything
        assert sorted((await restored(o))[before:]) == sorted([(first30.name, small.name), (sixty.name, small.name)])
        assert not (await o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=first30.name), metadata=A)).booked_session

        # staff CancelAppointment of an online appointment: its slot and the 60 come back
        consult = await create_slot(o, appointment_slot(studio, when, (10, 30), (11, 0), [studio.photographer.name]))
        appointment = await o.online.BookAppointmentOnline(
            opb.BookAppointmentOnlineRequest(time_slot=consult.name, client=ann.name, request_id=rid()), metadata=A
        )
        assert await open_names(o, studio, when) == [first30.name]
        before = len(await restored(o))
        await o.svc.stub.CancelAppointment(pb.CancelAppointmentRequest(name=appointment.name), metadata=A)
        assert sorted(await open_names(o, studio, when)) == everything
        assert await open_appointment_names(o, studio, when) == [consult.name]
        assert sorted((await restored(o))[before:]) == sorted(
            [(consult.name, appointment.name), (sixty.name, appointment.name), (second30.name, appointment.name)]
        )
