"""Location scoping in scheduling, through gRPC: a staff member whose token names locations
sees, lists and changes only records at those locations; a record at another location of the
same company answers NOT_FOUND, as another company's does, and nothing about it changes. An
owner (no locations in the token) sees both studios. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, caller_metadata
from shutterbook_kit.identity import Caller, CallerKind, Role
from tests.clients_support import rpc_error, violations
from tests.online_support import create_slot, future_day, make_online_studio, online_service, slot
from tests.scheduling_support import COMPANY_A, A, Studio, at, day, make_known_client, make_studio, session_request

Metadata = tuple[tuple[str, str], ...]


def staff(caller_id: str, role: Role, *locations: str) -> Metadata:
    caller = Caller(
        COMPANY_A,
        CallerKind.STAFF,
        caller_id,
        display_name=caller_id,
        roles=frozenset({role}),
        location_ids=frozenset(name.removeprefix("locations/") for name in locations) if locations else None,
    )
    return caller_metadata(caller)


async def not_found(call: Awaitable[Any]) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    assert err.value.code() == grpc.StatusCode.NOT_FOUND, err.value.details()


def appointment(studio: Studio, when: date_pb2.Date) -> pb.CreateAppointmentRequest:
    return pb.CreateAppointmentRequest(
        appointment=pb.Appointment(
            appointment_type=studio.appointment_type.name,
            location=studio.location.name,
            appointment_date=when,
            start=at(16),
            schedules=[studio.photographer.name],
            description="Consult",
        )
    )


async def test_staff_see_and_change_only_their_locations(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with online_service(databases, nats_server.url) as o:
        s = o.svc.stub
        north = await make_studio(o.svc, name="North Studio")
        south = await make_studio(o.svc, name="South Studio")
        client = await make_known_client(o.svc, COMPANY_A, "Ada")
        at_north = staff("staff-north", Role.FRONT_DESK, north.location.name)
        at_south = staff("staff-south", Role.FRONT_DESK, south.location.name)
        owner = staff("staff-owner", Role.OWNER)
        june = day(2026, 6, 1)

        # each desk books at its own studio
        north_session = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(north, client, june, at(10))), metadata=at_north
        )
        south_session = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(south, client, june, at(10))), metadata=at_south
        )
        north_consult = await s.CreateAppointment(appointment(north, june), metadata=at_north)
        south_consult = await s.CreateAppointment(appointment(south, june), metadata=at_south)
        # ... and cannot book at the other: its location does not exist for them
        refused = await rpc_error(
            s.CreateSession(
                pb.CreateSessionRequest(session=session_request(south, client, june, at(14))), metadata=at_north
            )
        )
        assert "session.location" in violations(refused)
        refused = await rpc_error(s.CreateAppointment(appointment(south, day(2026, 6, 2)), metadata=at_north))
        assert "appointment.location" in violations(refused)

        # reading another studio's records: NOT_FOUND, like another company's
        await not_found(s.GetSession(pb.GetSessionRequest(name=south_session.name), metadata=at_north))
        await not_found(s.GetAppointment(pb.GetAppointmentRequest(name=south_consult.name), metadata=at_north))
        await not_found(s.GetLocation(pb.GetLocationRequest(name=south.location.name), metadata=at_north))
        await not_found(s.GetSchedule(pb.GetScheduleRequest(name=south.photographer.name), metadata=at_north))
        await not_found(
            s.QueryCalendar(
                pb.QueryCalendarRequest(location=south.location.name, start_date=june, end_date=june),
                metadata=at_north,
            )
        )
        await not_found(
            s.ExportScheduleCalendar(pb.ExportScheduleCalendarRequest(name=south.photographer.name), metadata=at_north)
        )

        # changing them: NOT_FOUND, and the record is as it was
        await not_found(
            s.UpdateSession(
                pb.UpdateSessionRequest(
                    session=pb.Session(name=south_session.name, description="Taken over"),
                    update_mask=field_mask_pb2.FieldMask(paths=["description"]),
                ),
                metadata=at_north,
            )
        )
        await not_found(
            s.RescheduleSession(
                pb.RescheduleSessionRequest(name=south_session.name, session_date=june, start=at(15)),
                metadata=at_north,
            )
        )
        await not_found(s.CancelSession(pb.CancelSessionRequest(name=south_session.name), metadata=at_north))
        await not_found(s.HoldSession(pb.HoldSessionRequest(name=south_session.name, on_hold=True), metadata=at_north))
        await not_found(s.CancelAppointment(pb.CancelAppointmentRequest(name=south_consult.name), metadata=at_north))
        unchanged = await s.GetSession(pb.GetSessionRequest(name=south_session.name), metadata=at_south)
        assert unchanged == south_session
        still = await s.GetAppointment(pb.GetAppointmentRequest(name=south_consult.name), metadata=A)
        assert not still.cancelled

        # lists leave the other studio out, even when asked for it by name
        async def session_names(meta: Metadata, location: str = "") -> set[str]:
            listed = await s.ListSessions(pb.ListSessionsRequest(location=location), metadata=meta)
            return {x.name for x in listed.sessions}

        assert await session_names(at_north) == {north_session.name}
        assert await session_names(at_south) == {south_session.name}
        assert await session_names(at_north, south.location.name) == set()
        assert await session_names(owner) == {north_session.name, south_session.name}
        listed_appointments = await s.ListAppointments(pb.ListAppointmentsRequest(), metadata=at_north)
        assert [x.name for x in listed_appointments.appointments] == [north_consult.name]
        locations = await s.ListLocations(pb.ListLocationsRequest(), metadata=at_north)
        assert [x.name for x in locations.locations] == [north.location.name]
        schedules = await s.ListSchedules(pb.ListSchedulesRequest(), metadata=at_north)
        assert {x.location for x in schedules.schedules} == {north.location.name}
        all_schedules = await s.ListSchedules(pb.ListSchedulesRequest(), metadata=owner)
        assert {x.location for x in all_schedules.schedules} == {north.location.name, south.location.name}
        # company-wide setup (types, statuses) is the same for everyone
        types = await s.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=at_north)
        assert {north.session_type.name, south.session_type.name} <= {x.name for x in types.session_types}

        # online time slots: the same rule
        when = future_day(north)
        north_slot = await create_slot(o, slot(north, when, (9, 0), (10, 0)))
        south_slot = await create_slot(o, slot(south, when, (9, 0), (10, 0)))
        await not_found(o.online.GetTimeSlot(opb.GetTimeSlotRequest(name=south_slot.name), metadata=at_north))
        slots = await o.online.ListTimeSlots(opb.ListTimeSlotsRequest(), metadata=at_north)
        assert [x.name for x in slots.time_slots] == [north_slot.name]

        # the owner sees and changes both
        cancelled = await s.CancelSession(pb.CancelSessionRequest(name=south_session.name), metadata=owner)
        assert cancelled.cancelled

        # a hold is where its slot is: another location's hold is NOT_FOUND, and stays held
        elsewhere = await make_online_studio(o.svc)
        far_slot = await create_slot(o, slot(elsewhere, future_day(elsewhere), (9, 0), (10, 0)))
        hold = await o.online.HoldSlot(
            opb.HoldSlotRequest(time_slot=far_slot.name, client=client.name, request_id=str(uuid.uuid4())),
            metadata=A,
        )
        await not_found(
            o.online.ReleaseHold(
                opb.ReleaseHoldRequest(name=hold.name, request_id=str(uuid.uuid4())), metadata=at_north
            )
        )
        released = await o.online.ReleaseHold(
            opb.ReleaseHoldRequest(name=hold.name, request_id=str(uuid.uuid4())), metadata=owner
        )
        assert released.state == opb.SLOT_HOLD_STATE_RELEASED
