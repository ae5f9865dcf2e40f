"""Bad input names each bad field (and writes nothing); another company's schedules,
sessions and types are never visible or changeable."""

from __future__ import annotations

from collections.abc import Awaitable

import grpc
import pytest
from google.protobuf import field_mask_pb2, timestamp_pb2
from google.rpc import error_details_pb2, status_pb2

from shutterbook.common.v1 import money_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from tests.scheduling_support import (
    COMPANY_A,
    COMPANY_B,
    A,
    B,
    at,
    day,
    make_known_client,
    make_studio,
    scheduling_service,
    session_request,
)


def error_info(err: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    return info
    raise AssertionError("no ErrorInfo")


async def test_bad_input_names_the_field(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        uptown = await make_studio(svc, name="Uptown Studio", time_zone="America/Chicago")
        other_company = await make_studio(svc, B)
        client = await make_known_client(svc, COMPANY_A, "Eve", members=["Kid"])
        sibling = await make_known_client(svc, COMPANY_A, "Flo", members=["Other kid"])

        async def violations(session: pb.Session) -> dict[str, str]:
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await s.CreateSession(pb.CreateSessionRequest(session=session), metadata=A)
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            return rpc_violations(bad.value)

        when = day(2026, 8, 3)
        assert list(await violations(session_request(studio, client, when, at(11), at(10)))) == ["session.end"]
        unknown_type = session_request(
            studio, client, when, at(10), session_type=f"sessionTypes/{'0' * 8}-0000-4000-8000-{'0' * 12}"
        )
        assert list(await violations(unknown_type)) == ["session.session_type"]
        # a Timestamp outside its range, even in a field the server computes, is refused by
        # name (converting it would raise: it was INTERNAL), and nothing is booked
        out_of_range = session_request(studio, client, when, at(10))
        out_of_range.create_time.seconds = 10_000_000_000_000
        assert list(await violations(out_of_range)) == ["session.create_time"]
        with pytest.raises(grpc.aio.AioRpcError) as bad_off:
            await s.CreateSchedule(
                pb.CreateScheduleRequest(
                    schedule=pb.Schedule(
                        display_name="Off",
                        kind=pb.SCHEDULE_KIND_RESOURCE,
                        location=studio.location.name,
                        time_off=[pb.TimeOff(start_time=timestamp_pb2.Timestamp(nanos=-5))],
                    )
                ),
                metadata=A,
            )
        assert rpc_violations(bad_off.value) == {
            "schedule.time_off[0].start_time": "is not a valid timestamp (years 0001 to 9999, nanos 0 to 999999999)"
        }
        elsewhere = session_request(studio, client, when, at(10), photographer=uptown.photographer.name)
        assert "another location" in (await violations(elsewhere))["session.photographer"]
        foreign = session_request(studio, client, when, at(10), assistant=other_company.assistant.name)
        assert list(await violations(foreign)) == ["session.assistant"]
        room_as_photographer = session_request(studio, client, when, at(10), photographer=studio.room.name)
        assert list(await violations(room_as_photographer)) == ["session.photographer"]
        strangers = session_request(
            studio, client, when, at(10), participants=[client.family_members[0].name, sibling.family_members[0].name]
        )
        assert list(await violations(strangers)) == ["session.participants[1]"]
        assert list(await violations(session_request(studio, client, when, at(10), reminder_minutes=-5))) == [
            "session.reminder_minutes"
        ]
        unknown_client = session_request(studio, client, when, at(10))
        unknown_client.client = f"clients/{COMPANY_B}"
        assert list(await violations(unknown_client)) == ["session.client"]
        # every bad field at once
        everything = session_request(
            studio, client, when, at(11), at(10), reminder_minutes=-1, photographer=uptown.photographer.name
        )
        assert set(await violations(everything)) == {"session.end", "session.reminder_minutes", "session.photographer"}
        # nothing was written by any of them
        assert not (await s.ListSessions(pb.ListSessionsRequest(), metadata=A)).sessions
        assert await svc.outbox("scheduling.session.") == []

        first = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, when, at(10), session_number="F-1")),
            metadata=A,
        )
        with pytest.raises(grpc.aio.AioRpcError) as duplicate:
            await s.CreateSession(
                pb.CreateSessionRequest(session=session_request(studio, client, when, at(14), session_number="F-1")),
                metadata=A,
            )
        assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_info(duplicate.value).metadata["field"] == "session.session_number"
        second = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, when, at(14))), metadata=A
        )
        with pytest.raises(grpc.aio.AioRpcError) as renumber:
            await s.UpdateSession(
                pb.UpdateSessionRequest(
                    session=pb.Session(name=second.name, session_number="F-1"),
                    update_mask=field_mask_pb2.FieldMask(paths=["session_number"]),
                ),
                metadata=A,
            )
        assert renumber.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_info(renumber.value).metadata["field"] == "session.session_number"
        with pytest.raises(grpc.aio.AioRpcError) as output_only:
            await s.UpdateSession(
                pb.UpdateSessionRequest(
                    session=pb.Session(name=first.name, cancelled=True),
                    update_mask=field_mask_pb2.FieldMask(paths=["cancelled"]),
                ),
                metadata=A,
            )
        assert list(rpc_violations(output_only.value)) == ["update_mask"]

        # types: listed-price payment needs auto-create invoice; bad colour, duration, status
        with pytest.raises(grpc.aio.AioRpcError) as bad_type:
            await s.CreateSessionType(
                pb.CreateSessionTypeRequest(
                    session_type=pb.SessionType(
                        display_name="Online Mini",
                        color="blue",
                        default_duration_minutes=0,
                        online=pb.OnlineBookingSettings(
                            available_online=True,
                            online_payment=True,
                            payment_option=pb.PAYMENT_OPTION_INVOICE_LISTED_PRICE,
                            payment_amount=money_pb2.Money(currency_code="USD", amount_minor=5000),
                            booked_online_status="sessionStatuses/nope",
                            cancellation_policy=pb.CANCELLATION_POLICY_KEEP_FEE,  # without its fee
                        ),
                    )
                ),
                metadata=A,
            )
        assert set(rpc_violations(bad_type.value)) == {
            "session_type.color",
            "session_type.default_duration_minutes",
            "session_type.online.payment_option",
            "session_type.online.booked_online_status",
            "session_type.online.cancellation_fee",
        }
        with pytest.raises(grpc.aio.AioRpcError) as same_name:
            await s.CreateSessionType(
                pb.CreateSessionTypeRequest(
                    session_type=pb.SessionType(
                        display_name=studio.session_type.display_name, default_duration_minutes=30
                    )
                ),
                metadata=A,
            )
        assert same_name.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_info(same_name.value).metadata["field"] == "session_type.display_name"
        with pytest.raises(grpc.aio.AioRpcError) as bad_zone:
            await s.CreateLocation(
                pb.CreateLocationRequest(location=pb.Location(display_name="Moon", time_zone="Moon/Base")), metadata=A
            )
        assert list(rpc_violations(bad_zone.value)) == ["location.time_zone"]


async def test_other_company_sees_nothing(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        theirs = await make_studio(svc, B, name="Their Studio")
        client = await make_known_client(svc, COMPANY_A, "Gus")
        session = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 8, 4), at(10))), metadata=A
        )
        not_found: list[Awaitable[object]] = [
            s.GetSession(pb.GetSessionRequest(name=session.name), metadata=B),
            s.GetSchedule(pb.GetScheduleRequest(name=studio.photographer.name), metadata=B),
            s.GetSessionType(pb.GetSessionTypeRequest(name=studio.session_type.name), metadata=B),
            s.GetLocation(pb.GetLocationRequest(name=studio.location.name), metadata=B),
            s.CancelSession(pb.CancelSessionRequest(name=session.name), metadata=B),
            s.HoldSession(pb.HoldSessionRequest(name=session.name, on_hold=True), metadata=B),
            s.RescheduleSession(
                pb.RescheduleSessionRequest(name=session.name, session_date=day(2026, 8, 5), start=at(9)), metadata=B
            ),
            s.UpdateSession(
                pb.UpdateSessionRequest(
                    session=pb.Session(name=session.name, description="mine now"),
                    update_mask=field_mask_pb2.FieldMask(paths=["description"]),
                ),
                metadata=B,
            ),
            s.UpdateSessionType(
                pb.UpdateSessionTypeRequest(
                    session_type=pb.SessionType(name=studio.session_type.name, color="#000000"),
                    update_mask=field_mask_pb2.FieldMask(paths=["color"]),
                ),
                metadata=B,
            ),
            s.UpdateSchedule(
                pb.UpdateScheduleRequest(
                    schedule=pb.Schedule(name=studio.photographer.name, display_name="Stolen"),
                    update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
                ),
                metadata=B,
            ),
            s.QueryCalendar(
                pb.QueryCalendarRequest(
                    location=studio.location.name, start_date=day(2026, 8, 4), end_date=day(2026, 8, 4)
                ),
                metadata=B,
            ),
            s.ExportScheduleCalendar(pb.ExportScheduleCalendarRequest(name=studio.photographer.name), metadata=B),
        ]
        for call in not_found:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert not (await s.ListSessions(pb.ListSessionsRequest(), metadata=B)).sessions
        listed = await s.ListSchedules(pb.ListSchedulesRequest(), metadata=B)
        assert {x.name for x in listed.schedules} == {theirs.photographer.name, theirs.assistant.name, theirs.room.name}
        types = await s.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=B)
        assert [t.name for t in types.session_types] == [theirs.session_type.name]
        # B cannot book A's client, nor on A's schedules
        with pytest.raises(grpc.aio.AioRpcError) as booking:
            await s.CreateSession(
                pb.CreateSessionRequest(
                    session=session_request(
                        theirs, client, day(2026, 8, 4), at(10), photographer=studio.photographer.name
                    )
                ),
                metadata=B,
            )
        assert set(rpc_violations(booking.value)) == {"session.client", "session.photographer"}
        # and A's session is unchanged
        assert await s.GetSession(pb.GetSessionRequest(name=session.name), metadata=A) == session


async def test_delete_refuses_what_is_in_use(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        client = await make_known_client(svc, COMPANY_A, "Jon")
        await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 8, 6), at(10))), metadata=A
        )
        statuses = await s.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=A)
        in_use: list[Awaitable[object]] = [
            s.DeleteLocation(pb.DeleteLocationRequest(name=studio.location.name), metadata=A),
            s.DeleteSchedule(pb.DeleteScheduleRequest(name=studio.photographer.name), metadata=A),
            s.DeleteStaffMember(pb.DeleteStaffMemberRequest(name=studio.photographer.staff_member), metadata=A),
            s.DeleteSessionType(pb.DeleteSessionTypeRequest(name=studio.session_type.name), metadata=A),
            s.DeleteSessionStatus(pb.DeleteSessionStatusRequest(name=statuses.session_statuses[0].name), metadata=A),
        ]
        for call in in_use:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert error_info(err.value).reason == "RESOURCE_IN_USE"
        # another company cannot delete A's unused appointment type; A can
        with pytest.raises(grpc.aio.AioRpcError) as foreign:
            await s.DeleteAppointmentType(
                pb.DeleteAppointmentTypeRequest(name=studio.appointment_type.name), metadata=B
            )
        assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
        await s.DeleteAppointmentType(pb.DeleteAppointmentTypeRequest(name=studio.appointment_type.name), metadata=A)
        await s.DeleteSchedule(pb.DeleteScheduleRequest(name=studio.room.name), metadata=A)  # the session has no room
        with pytest.raises(grpc.aio.AioRpcError) as gone:
            await s.GetSchedule(pb.GetScheduleRequest(name=studio.room.name), metadata=A)
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND
