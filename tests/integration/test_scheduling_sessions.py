"""Sessions end to end: booking with defaults, numbering, conflicts (buffers included),
cancel/hold freeing time, reschedule, status changes, the calendar, the client's tab, events."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import icalendar
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2, status_pb2

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory, rpc_violations
from tests.scheduling_support import A, at, day, make_known_client, make_studio, scheduling_service, session_request


def conflict_subjects(err: grpc.aio.AioRpcError) -> set[str]:
    found: set[str] = set()
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
                    failure = error_details_pb2.PreconditionFailure()
                    detail.Unpack(failure)
                    found.update(v.subject for v in failure.violations)
    return found


async def test_book_conflict_cancel_hold_reschedule(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc, buffers=(15, 15))
        client = await make_known_client(svc, "0b7e6f3a-1111-4a4a-8a8a-00000000000a", "Ada", members=["Tim"])
        await s.UpdateSchedulingPreferences(
            pb.UpdateSchedulingPreferencesRequest(
                scheduling_preferences=pb.SchedulingPreferences(next_session_number=500, session_number_prefix="S-"),
                update_mask=field_mask_pb2.FieldMask(paths=["next_session_number", "session_number_prefix"]),
            ),
            metadata=A,
        )

        booked = await s.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(
                    studio,
                    client,
                    day(2026, 6, 1),
                    at(10),
                    assistant=studio.assistant.name,
                    camera_room=studio.room.name,
                    participants=[client.family_members[0].name],
                    reminder_minutes=60,
                )
            ),
            metadata=A,
        )
        # end from the type's duration, 10:00 EDT is 14:00 UTC, number from the preference
        assert booked.start_time.ToDatetime(tzinfo=UTC) == datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
        assert booked.end_time.ToDatetime(tzinfo=UTC) == datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
        assert (booked.end.hours, booked.end.minutes) == (11, 0)
        assert booked.session_number == "S-500"
        statuses = await s.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=A)
        pending = next(st for st in statuses.session_statuses if st.display_name == "Session Pending")
        assert pending.is_default
        assert booked.status == pending.name
        assert (booked.status_due_date.year, booked.status_due_date.month, booked.status_due_date.day) == (
            2026,
            6,
            1 + pending.due_in_days,
        )
        assert booked.booked_by == "test"
        assert booked.HasField("booked_on")
        assert sorted(booked.time_blocks[0].schedules) == sorted(
            [studio.photographer.name, studio.assistant.name, studio.room.name]
        )
        assert await s.GetSession(pb.GetSessionRequest(name=booked.name), metadata=A) == booked

        # 11:10 would overlap the 15-minute buffer after 11:00 on the photographer
        with pytest.raises(grpc.aio.AioRpcError) as conflict:
            await s.CreateSession(
                pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 1), at(11, 10))),
                metadata=A,
            )
        assert conflict.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert conflict_subjects(conflict.value) == {booked.name}
        # the room alone conflicts too (a different photographer, same room)
        with pytest.raises(grpc.aio.AioRpcError) as room_conflict:
            await s.CreateSession(
                pb.CreateSessionRequest(
                    session=session_request(
                        studio, client, day(2026, 6, 1), at(9, 0), photographer="", camera_room=studio.room.name
                    )
                ),
                metadata=A,
            )
        assert room_conflict.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        # 11:30 is clear of both buffers (11:00 + 15 after, 11:30 - 15 before = 11:15)
        later = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 1), at(11, 30))),
            metadata=A,
        )
        assert later.session_number == "S-501"
        # booking over a conflict when told to
        forced = await s.CreateSession(
            pb.CreateSessionRequest(
                session=session_request(studio, client, day(2026, 6, 1), at(10, 30)), allow_conflicts=True
            ),
            metadata=A,
        )

        # the calendar shows the three, with type color and "Confirmed" once confirmed
        await s.UpdateSession(
            pb.UpdateSessionRequest(
                session=pb.Session(name=booked.name, confirmed=True),
                update_mask=field_mask_pb2.FieldMask(paths=["confirmed"]),
            ),
            metadata=A,
        )
        calendar = await s.QueryCalendar(
            pb.QueryCalendarRequest(
                location=studio.location.name,
                schedules=[studio.photographer.name],
                start_date=day(2026, 6, 1),
                end_date=day(2026, 6, 1),
            ),
            metadata=A,
        )
        entries = calendar.days[0].entries
        assert [e.entry for e in entries] == [booked.name, forced.name, later.name]
        assert entries[0].color == "#4A90D9"
        assert "Confirmed" in entries[0].display_text
        assert entries[0].confirmed
        assert not entries[1].confirmed

        # cancelling and holding take sessions off the calendar and free their time
        await s.CancelSession(pb.CancelSessionRequest(name=forced.name), metadata=A)
        held = await s.HoldSession(pb.HoldSessionRequest(name=booked.name, on_hold=True), metadata=A)
        assert held.on_hold
        calendar = await s.QueryCalendar(
            pb.QueryCalendarRequest(
                location=studio.location.name, start_date=day(2026, 6, 1), end_date=day(2026, 6, 1)
            ),
            metadata=A,
        )
        assert [e.entry for e in calendar.days[0].entries] == [later.name]
        taken = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 1), at(10))), metadata=A
        )
        # releasing the hold now conflicts with the session booked in its place
        with pytest.raises(grpc.aio.AioRpcError) as release:
            await s.HoldSession(pb.HoldSessionRequest(name=booked.name, on_hold=False), metadata=A)
        assert release.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert conflict_subjects(release.value) == {taken.name}

        # reschedule to a free morning; the reminder follows the session
        moved = await s.RescheduleSession(
            pb.RescheduleSessionRequest(name=taken.name, session_date=day(2026, 6, 2), start=at(9), end=at(9, 45)),
            metadata=A,
        )
        assert moved.start_time.ToDatetime(tzinfo=UTC) == datetime(2026, 6, 2, 13, 0, tzinfo=UTC)
        assert moved.end_time.ToDatetime(tzinfo=UTC) == datetime(2026, 6, 2, 13, 45, tzinfo=UTC)
        released = await s.HoldSession(pb.HoldSessionRequest(name=booked.name, on_hold=False), metadata=A)
        assert not released.on_hold

        # status change recomputes the due date and emits status_changed
        proofs = await s.CreateSessionStatus(
            pb.CreateSessionStatusRequest(session_status=pb.SessionStatus(display_name="Proofs Ready", due_in_days=14)),
            metadata=A,
        )
        changed = await s.UpdateSession(
            pb.UpdateSessionRequest(
                session=pb.Session(name=booked.name, status=proofs.name, session_number="CUSTOM-1"),
                update_mask=field_mask_pb2.FieldMask(paths=["status", "session_number"]),
            ),
            metadata=A,
        )
        assert changed.status == proofs.name
        assert (changed.status_due_date.month, changed.status_due_date.day) == (6, 15)
        assert changed.session_number == "CUSTOM-1"

        # the client's Sessions tab
        tab = await s.ListSessions(pb.ListSessionsRequest(client=client.name), metadata=A)
        assert [x.name for x in tab.sessions] == [booked.name, forced.name, later.name, moved.name]
        page = await s.ListSessions(pb.ListSessionsRequest(client=client.name, page_size=3), metadata=A)
        rest = await s.ListSessions(
            pb.ListSessionsRequest(client=client.name, page_size=3, page_token=page.next_page_token), metadata=A
        )
        assert [x.name for x in [*page.sessions, *rest.sessions]] == [x.name for x in tab.sessions]
        assert rest.next_page_token == ""

        events = await svc.outbox("scheduling.session.")
        subjects = [e.subject for e in events]
        assert subjects.count("scheduling.session.booked") == 4
        assert subjects.count("scheduling.session.cancelled") == 1
        assert subjects.count("scheduling.session.rescheduled") == 1
        assert subjects.count("scheduling.session.status_changed") == 1
        first = ev.SessionBookedEvent()
        assert events[0].payload.Unpack(first)
        assert first.session.session == booked.name
        assert first.session.auto_create_invoice
        assert list(first.session.price_list_items) == list(studio.session_type.price_list_items)
        assert first.session.time_zone == "America/New_York"
        assert first.session.status_display_name == "Session Pending"
        assert first.session.location_display_name == studio.location.display_name  # for documents
        updates = []
        for envelope in events:
            if envelope.subject == "scheduling.session.updated":
                update = ev.SessionUpdatedEvent()
                assert envelope.payload.Unpack(update)
                updates.append((update.session.session, list(update.changed_paths), update.on_hold))
        assert updates == [
            (booked.name, ["confirmed"], False),
            (booked.name, ["on_hold"], True),
            (booked.name, ["on_hold"], False),
            (booked.name, ["session_number"], False),
        ]
        status_changed = ev.SessionStatusChangedEvent()
        assert events[subjects.index("scheduling.session.status_changed")].payload.Unpack(status_changed)
        assert (status_changed.previous_status, status_changed.session.status) == (pending.name, proofs.name)
        assert status_changed.session.status_display_name == "Proofs Ready"
        rescheduled = ev.SessionRescheduledEvent()
        assert events[subjects.index("scheduling.session.rescheduled")].payload.Unpack(rescheduled)
        assert rescheduled.previous_start_time.ToDatetime(tzinfo=UTC) == datetime(2026, 6, 1, 14, 0, tzinfo=UTC)


async def test_appointments_linked_and_unlinked(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        client = await make_known_client(svc, "0b7e6f3a-1111-4a4a-8a8a-00000000000a", "Bea")
        session = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 3), at(14))), metadata=A
        )
        consult = await s.CreateAppointment(
            pb.CreateAppointmentRequest(
                appointment=pb.Appointment(
                    appointment_type=studio.appointment_type.name,
                    session=session.name,
                    location=studio.location.name,
                    appointment_date=day(2026, 6, 2),
                    start=at(16),
                    schedules=[studio.photographer.name],
                    description="Pre-session consult",
                )
            ),
            metadata=A,
        )
        assert consult.client == client.name  # linked through the session
        assert (consult.end.hours, consult.end.minutes) == (16, 30)
        meeting = await s.CreateAppointment(
            pb.CreateAppointmentRequest(
                appointment=pb.Appointment(
                    appointment_type=studio.appointment_type.name,
                    location=studio.location.name,
                    appointment_date=day(2026, 6, 3),
                    start=at(13, 30),
                    schedules=[studio.photographer.name, studio.assistant.name],
                    description="Staff meeting",
                )
            ),
            metadata=A,
        )
        assert meeting.client == ""
        # an appointment occupies its schedules like a session does
        with pytest.raises(grpc.aio.AioRpcError) as conflict:
            await s.CreateSession(
                pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 3), at(13))), metadata=A
            )
        assert conflict.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert conflict_subjects(conflict.value) == {meeting.name}

        tab = await s.ListAppointments(pb.ListAppointmentsRequest(client=client.name), metadata=A)
        assert [a.name for a in tab.appointments] == [consult.name]
        for_session = await s.ListAppointments(pb.ListAppointmentsRequest(session=session.name), metadata=A)
        assert [a.name for a in for_session.appointments] == [consult.name]

        cancelled = await s.CancelAppointment(pb.CancelAppointmentRequest(name=meeting.name), metadata=A)
        assert cancelled.cancelled
        await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 3), at(13))), metadata=A
        )
        subjects = [e.subject for e in await svc.outbox("scheduling.appointment.")]
        assert subjects == [
            "scheduling.appointment.booked",
            "scheduling.appointment.booked",
            "scheduling.appointment.cancelled",
        ]

        export = pb.ExportScheduleCalendarRequest(name=studio.photographer.name)
        export.start_time.FromDatetime(datetime(2026, 6, 1, tzinfo=UTC))
        ics = await s.ExportScheduleCalendar(export, metadata=A)
        assert ics.content_type.startswith("text/calendar")
        parsed = icalendar.Calendar.from_ical(ics.data)
        events = [c for c in parsed.walk("VEVENT")]
        # who and what (the client's name and the type), not the description a client may have typed
        who = await s.GetKnownClient(
            pb.GetKnownClientRequest(name=f"knownClients/{client.name.split('/')[1]}"), metadata=A
        )
        session_type = await s.GetSessionType(pb.GetSessionTypeRequest(name=session.session_type), metadata=A)
        consult_type = await s.GetAppointmentType(
            pb.GetAppointmentTypeRequest(name=consult.appointment_type), metadata=A
        )
        assert sorted(str(e["summary"]) for e in events) == sorted(
            [
                f"{who.display_name} - {session_type.display_name}",
                f"{who.display_name} - {session_type.display_name}",
                f"{who.display_name} - {consult_type.display_name}",
            ]
        )
        assert len({str(e["uid"]) for e in events}) == 3


async def test_time_off_occupies_the_schedule(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        studio = await make_studio(svc)
        client = await make_known_client(svc, "0b7e6f3a-1111-4a4a-8a8a-00000000000a", "Cleo")
        off = pb.TimeOff(reason="Dentist")
        off.start_time.FromDatetime(datetime(2026, 6, 4, 14, 0, tzinfo=UTC))  # 10:00 to 12:00 EDT
        off.end_time.FromDatetime(datetime(2026, 6, 4, 16, 0, tzinfo=UTC))
        updated = await s.UpdateSchedule(
            pb.UpdateScheduleRequest(
                schedule=pb.Schedule(name=studio.photographer.name, time_off=[off]),
                update_mask=field_mask_pb2.FieldMask(paths=["time_off"]),
            ),
            metadata=A,
        )
        assert [t.reason for t in updated.time_off] == ["Dentist"]
        with pytest.raises(grpc.aio.AioRpcError) as conflict:
            await s.CreateSession(
                pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 4), at(11, 30))),
                metadata=A,
            )
        assert conflict.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert conflict_subjects(conflict.value) == {studio.photographer.name}
        fine = await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 4), at(12))), metadata=A
        )
        calendar = await s.QueryCalendar(
            pb.QueryCalendarRequest(
                location=studio.location.name, start_date=day(2026, 6, 4), end_date=day(2026, 6, 4)
            ),
            metadata=A,
        )
        entries = calendar.days[0].entries
        assert [(e.kind, e.entry, e.description) for e in entries] == [
            (pb.CALENDAR_ENTRY_KIND_TIME_OFF, studio.photographer.name, "Dentist"),
            (pb.CALENDAR_ENTRY_KIND_SESSION, fine.name, "Family portrait"),
        ]
        # time off removed: the morning is free again
        await s.UpdateSchedule(
            pb.UpdateScheduleRequest(
                schedule=pb.Schedule(name=studio.photographer.name),
                update_mask=field_mask_pb2.FieldMask(paths=["time_off"]),
            ),
            metadata=A,
        )
        await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(studio, client, day(2026, 6, 4), at(10))), metadata=A
        )


async def test_advanced_calendar_blocks(databases: DatabaseFactory, nats_server: EmbeddedNats) -> None:
    async with scheduling_service(databases, nats_server.url) as svc:
        s = svc.stub
        downtown = await make_studio(svc)
        bayside = await make_studio(svc, name="Bayside Studio", time_zone="America/Los_Angeles")
        client = await make_known_client(svc, "0b7e6f3a-1111-4a4a-8a8a-00000000000a", "Dora")
        wedding = pb.Session(
            client=client.name,
            session_type=downtown.session_type.name,
            location=downtown.location.name,
            description="Wedding",
            use_advanced_calendar=True,
            time_blocks=[
                pb.TimeBlock(
                    date=day(2026, 6, 6),
                    start=at(9),
                    end=at(12),
                    schedules=[downtown.photographer.name, downtown.assistant.name],
                ),
                pb.TimeBlock(
                    date=day(2026, 6, 7),
                    start=at(15),
                    schedules=[bayside.photographer.name],
                    location=bayside.location.name,
                ),
            ],
        )
        booked = await s.CreateSession(pb.CreateSessionRequest(session=wedding), metadata=A)
        assert [b.start_time.ToDatetime(tzinfo=UTC) for b in booked.time_blocks] == [
            datetime(2026, 6, 6, 13, 0, tzinfo=UTC),
            datetime(2026, 6, 7, 22, 0, tzinfo=UTC),  # 15:00 PDT
        ]
        assert booked.time_blocks[1].end.hours == 16  # the type's hour
        assert booked.end_time.ToDatetime(tzinfo=UTC) == datetime(2026, 6, 7, 23, 0, tzinfo=UTC)
        # the second block occupies Bayside's photographer
        with pytest.raises(grpc.aio.AioRpcError) as conflict:
            await s.CreateSession(
                pb.CreateSessionRequest(session=session_request(bayside, client, day(2026, 6, 7), at(15, 30))),
                metadata=A,
            )
        assert conflict_subjects(conflict.value) == {booked.name}
        # a block's schedules must belong to the block's location
        bad = pb.Session()
        bad.CopyFrom(wedding)
        bad.time_blocks[1].schedules[:] = [downtown.room.name]
        with pytest.raises(grpc.aio.AioRpcError) as wrong_place:
            await s.CreateSession(pb.CreateSessionRequest(session=bad, allow_conflicts=True), metadata=A)
        assert list(rpc_violations(wrong_place.value)) == ["session.time_blocks[1].schedules[0]"]
        # rescheduling replaces the blocks
        moved = await s.RescheduleSession(
            pb.RescheduleSessionRequest(
                name=booked.name,
                time_blocks=[
                    pb.TimeBlock(
                        date=day(2026, 6, 8),
                        start=at(10),
                        schedules=[bayside.photographer.name],
                        location=bayside.location.name,
                    ),
                ],
            ),
            metadata=A,
        )
        assert len(moved.time_blocks) == 1
        assert moved.start_time.ToDatetime(tzinfo=UTC) == datetime(2026, 6, 8, 17, 0, tzinfo=UTC)  # 10:00 PDT
        await s.CreateSession(
            pb.CreateSessionRequest(session=session_request(bayside, client, day(2026, 6, 7), at(15, 30))), metadata=A
        )
