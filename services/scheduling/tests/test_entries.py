"""Unit tests of sessions and appointments as domain objects (no database): rows <-> entries
(storage/entry_records.py) and messages <-> entries (api/entry_convert.py) keep every field,
the fields that may be absent both ways; the audit trail keeps of an entry what it kept of its
message; the entries' own field rules."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import audit
from shutterbook_scheduling import events
from shutterbook_scheduling.api import entry_convert
from shutterbook_scheduling.domain import entries
from shutterbook_scheduling.domain.entries import (
    Appointment,
    AppointmentEvent,
    Clock,
    Day,
    PlannedBlock,
    Session,
    SessionEvent,
    SessionShown,
    TimeBlock,
)
from shutterbook_scheduling.storage import entry_records
from shutterbook_scheduling.storage.models import AppointmentRow, SessionRow

CREATED = datetime(2026, 11, 30, 9, 15, 1, 123456, tzinfo=UTC)
UPDATED = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
START = datetime(2030, 3, 4, 15, tzinfo=UTC)
END = datetime(2030, 3, 4, 16, 30, tzinfo=UTC)


def uid() -> str:
    return str(uuid.uuid4())


def stamp(value: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def day(y: int, m: int, d: int) -> date_pb2.Date:
    return date_pb2.Date(year=y, month=m, day=d)


def clock(h: int, m: int = 0) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=h, minutes=m)


def _session(**fields: Any) -> pb.Session:
    client = uid()
    msg = pb.Session(
        name=f"sessions/{uid()}",
        client=f"clients/{client}",
        description="Family",
        notes="Bring the dog",
        session_type=f"sessionTypes/{uid()}",
        location=f"locations/{uid()}",
        session_date=day(2030, 3, 4),
        start=clock(10),
        end=clock(11, 30),
        start_time=stamp(START),
        end_time=stamp(END),
        photographer=f"schedules/{uid()}",
        assistant=f"schedules/{uid()}",
        camera_room=f"schedules/{uid()}",
        session_number="S-1000",
        status=f"sessionStatuses/{uid()}",
        status_due_date=day(2030, 5, 1),
        booked_by="staff",
        booked_on=stamp(CREATED),
        file_number="F-1",
        reminder_minutes=0,  # set, though zero
        confirmed=True,
        no_show=True,
        redo=True,
        on_hold=True,
        participants=[f"clients/{client}/familyMembers/{uid()}", f"clients/{client}/familyMembers/{uid()}"],
        use_advanced_calendar=True,
        time_zone="America/New_York",
        booked_online=True,
        reminder_emit_time=stamp(UPDATED),
        create_time=stamp(CREATED),
        update_time=stamp(UPDATED),
        **fields,
    )
    msg.time_blocks.add(
        date=day(2030, 3, 4),
        start=clock(10),
        end=clock(11, 30),
        schedules=[msg.photographer, msg.camera_room],
        location=msg.location,
        start_time=stamp(START),
        end_time=stamp(END),
    )
    msg.time_blocks.add(date=day(2030, 3, 5), start=clock(0), schedules=[])  # no end, no instants
    return msg


def _appointment() -> pb.Appointment:
    return pb.Appointment(
        name=f"appointments/{uid()}",
        appointment_type=f"appointmentTypes/{uid()}",
        client=f"clients/{uid()}",
        session=f"sessions/{uid()}",
        description="Consult",
        location=f"locations/{uid()}",
        appointment_date=day(2030, 3, 1),
        start=clock(16),
        end=clock(16, 30),
        schedules=[f"schedules/{uid()}", f"schedules/{uid()}"],
        start_time=stamp(START),
        end_time=stamp(END),
        confirmed=True,
        cancelled=True,
        reminder_minutes=30,
        booked_by="staff",
        create_time=stamp(CREATED),
        update_time=stamp(UPDATED),
        time_zone="UTC",
    )


def _stored_session(entry: Session) -> SessionRow:
    row = SessionRow(id=entry.session_id, company_id="c", created_at=entry.create_time, updated_at=entry.update_time)
    row.start_at, row.end_at = START, END
    row.reminder_emitted_at = entry.reminder_emit_time
    entry_records.write_session(row, entry)
    return row


SESSION_ABSENT = ("end", "status_due_date", "reminder_minutes", "booked_on", "reminder_emit_time")


def test_a_session_with_every_field_round_trips_through_messages_and_rows() -> None:
    msg = _session()
    for _ in range(2):
        entry = entry_convert.session(msg)
        assert entry_convert.session_message(entry) == msg
        assert entry_records.session_of(_stored_session(entry)) == entry
        for absent in SESSION_ABSENT:
            msg.ClearField(absent)  # type: ignore[arg-type]


def test_appointments_linked_and_unlinked_round_trip() -> None:
    linked = _appointment()
    unlinked = pb.Appointment()
    unlinked.CopyFrom(linked)
    unlinked.client = unlinked.session = ""
    unlinked.ClearField("reminder_minutes")
    unlinked.ClearField("end")
    for msg in (linked, unlinked):
        entry = entry_convert.appointment(msg)
        assert entry_convert.appointment_message(entry) == msg
        row = AppointmentRow(id=entry.appointment_id, company_id="c", created_at=CREATED, updated_at=UPDATED)
        row.start_at, row.end_at = START, END
        entry_records.write_appointment(row, entry)
        assert entry_records.appointment_of(row) == entry


def test_the_audit_trail_keeps_of_an_entry_what_it_kept_of_its_message() -> None:
    msg = _session()
    assert entries.session_record(entry_convert.session(msg)) == audit.plain(msg)
    for absent in SESSION_ABSENT:
        msg.ClearField(absent)  # type: ignore[arg-type]
    msg.update_time.CopyFrom(stamp(datetime(2030, 1, 1, 0, 0, 0, 5000, tzinfo=UTC)))
    assert entries.session_record(entry_convert.session(msg)) == audit.plain(msg)
    empty = pb.Session()
    assert entries.session_record(entry_convert.session(empty)) == audit.plain(empty)
    appointment = _appointment()
    assert entries.appointment_record(entry_convert.appointment(appointment)) == audit.plain(appointment)
    appointment.ClearField("reminder_minutes")
    assert entries.appointment_record(entry_convert.appointment(appointment)) == audit.plain(appointment)


def test_a_session_given_an_impossible_date_keeps_it_as_given() -> None:
    msg = pb.Session(session_date=day(2030, 2, 30), start=clock(25, 0))
    entry = entry_convert.session(msg)
    assert entry.session_date == Day(2030, 2, 30)
    assert entry.start == Clock(25, 0)
    assert entry_convert.session_message(entry) == msg
    problems: dict[str, str] = {}
    assert entries.read_day(entry.session_date, "session.session_date", problems) is None
    assert entries.read_clock(entry.start, "session.start", problems) is None
    assert entries.read_day(None, "session.session_date", problems, required=True) is None
    assert problems == {
        "session.session_date": "is required",  # the last problem of the path kept
        "session.start": "must be hours 0-23 and minutes 0-59",
    }


def test_a_sessions_own_fields_are_checked() -> None:
    bad = Session(
        description="x" * 2001,
        file_number="f" * 101,
        notes="n" * 10_001,
        session_number=" S-1",
        camera_room="schedules/a",
        camera_room_text="Room 2",
        reminder_minutes=-1,
    )
    assert list(entries.session_field_problems(bad)) == [
        "reminder_minutes",
        "description",
        "file_number",
        "notes",
        "session_number",
        "camera_room_text",
    ]
    assert entries.session_field_problems(Session(session_number="S-1", reminder_minutes=0)) == {}
    assert entries.session_number_problem("S\n1") is not None
    assert entries.reminder_problem(28 * 24 * 60) is None
    assert entries.reminder_problem(28 * 24 * 60 + 1) == "must be 0 to 40320 minutes"


def test_what_a_caller_says_of_a_sessions_times() -> None:
    msg = _session()
    entry = entry_convert.session(msg)
    msg.name, msg.description = "sessions/other", "Other"
    moved = entry_convert.session(msg)
    assert entry.wall_clock() == moved.wall_clock()  # the same times, other fields
    moved.time_blocks[0].start_time = None
    assert entry.wall_clock() == moved.wall_clock()  # the instants are not what a caller says
    moved.time_blocks[1].end = Clock(1, 0)
    assert entry.wall_clock() != moved.wall_clock()
    # a block's time not given is not the same as one given as 00:00 (the stored block keeps
    # which it was), while the session's own date and times compare as their values
    unstarted = Session(time_blocks=[TimeBlock(date=Day(2030, 3, 4), end=Clock(1, 0))])
    midnight = Session(time_blocks=[TimeBlock(date=Day(2030, 3, 4), start=Clock(0, 0), end=Clock(1, 0))])
    assert unstarted.wall_clock() != midnight.wall_clock()
    assert Session(start=None).wall_clock() == Session(start=Clock(0, 0)).wall_clock()
    assert not entry.occupies()  # on hold
    assert Session().occupies()
    assert entries.json_instant(CREATED) == "2026-11-30T09:15:01.123456Z"


def _block(index: int, day: int, start: int, end: int, schedules: list[str], location: str = "l1") -> PlannedBlock:
    return PlannedBlock(
        index,
        location,
        schedules,
        datetime(2030, 3, day, start + 5, tzinfo=UTC),
        datetime(2030, 3, day, end + 5, tzinfo=UTC),
        date(2030, 3, day),
        time(start),
        time(end),
    )


def test_a_simple_session_is_placed_in_its_one_block() -> None:
    session = Session(location="locations/l1", session_date=Day(2030, 3, 4), start=Clock(10, 0))
    entries.place_session(session, "America/New_York", [_block(0, 4, 10, 11, ["s1", "s2"])])
    assert session.time_zone == "America/New_York"
    assert (session.start_time, session.end_time) == (
        datetime(2030, 3, 4, 15, tzinfo=UTC),
        datetime(2030, 3, 4, 16, tzinfo=UTC),
    )
    assert session.end == Clock(11, 0)  # defaulted from the plan
    assert session.time_blocks == [
        TimeBlock(
            date=Day(2030, 3, 4),
            start=Clock(10, 0),
            end=Clock(11, 0),
            schedules=["schedules/s1", "schedules/s2"],
            location="locations/l1",
            start_time=datetime(2030, 3, 4, 15, tzinfo=UTC),
            end_time=datetime(2030, 3, 4, 16, tzinfo=UTC),
        )
    ]


def test_an_advanced_session_takes_its_first_and_last_blocks_times() -> None:
    given = [
        TimeBlock(date=Day(2030, 3, 4), start=Clock(9, 0), schedules=["schedules/s1"]),
        TimeBlock(date=Day(2030, 3, 6), start=Clock(13, 0), end=Clock(14, 0), location="locations/l2"),
    ]
    session = Session(location="locations/l1", use_advanced_calendar=True, time_blocks=given)
    entries.place_session(session, "UTC", [_block(0, 4, 9, 10, ["s1"]), _block(1, 6, 13, 14, [], "l2")])
    assert (session.session_date, session.start, session.end) == (Day(2030, 3, 4), Clock(9, 0), Clock(14, 0))
    assert [b.end for b in session.time_blocks] == [Clock(10, 0), Clock(14, 0)]
    assert [b.location for b in session.time_blocks] == ["locations/l1", "locations/l2"]
    assert session.time_blocks[0].schedules == ["schedules/s1"]  # as given
    assert session.start_time == datetime(2030, 3, 4, 14, tzinfo=UTC)
    assert session.end_time == datetime(2030, 3, 6, 19, tzinfo=UTC)


def test_an_appointment_is_placed_and_moved() -> None:
    appointment = Appointment(appointment_date=Day(2030, 3, 4), start=Clock(10, 0), end=Clock(10, 30))
    entries.take_new_times(appointment, Day(2030, 3, 5), Clock(12, 0), None)
    assert (appointment.appointment_date, appointment.start, appointment.end) == (Day(2030, 3, 5), Clock(12, 0), None)
    entries.place_appointment(appointment, "UTC", _block(0, 5, 12, 13, []))
    assert appointment.end == Clock(13, 0)
    assert appointment.start_time == datetime(2030, 3, 5, 17, tzinfo=UTC)


def test_what_an_update_may_not_do() -> None:
    advanced = Session(use_advanced_calendar=True)
    assert entries.update_problems(True, ["start", "description"], advanced) == [
        ("update_mask", "an advanced session's times and schedules change with its time_blocks"),
    ]
    assert entries.update_problems(True, ["time_blocks"], advanced) == [
        ("session.time_blocks", "an advanced session keeps at least one time block"),
    ]
    assert entries.update_problems(False, ["time_blocks"], Session()) == [
        ("update_mask", "time_blocks change only on an advanced session (use session_date, start, end)"),
    ]
    assert entries.update_problems(False, ["start", "photographer"], Session()) == []


def test_the_events_are_built_from_domain_events_at_the_edge() -> None:
    session = entry_convert.session(_session())
    kind = pb.SessionType(display_name="Family", price_list_items=["priceListItems/p"], auto_create_invoice=True)
    status = pb.SessionStatus(name=session.status, display_name="Booked")
    place = pb.Location(display_name="Downtown", address=pb.PostalAddress(address_lines=["1 Main St"], locality="NYC"))
    shown = SessionShown(session, kind, status, place)
    subject, booked = entry_convert.session_event(SessionEvent("booked", shown))
    assert subject is events.SESSION_BOOKED
    snap = booked.session
    assert (snap.session, snap.session_type_display_name, snap.status_display_name) == (
        session.name,
        "Family",
        "Booked",
    )
    assert (snap.location_display_name, snap.location_address) == ("Downtown", "1 Main St, NYC")
    assert list(snap.price_list_items) == ["priceListItems/p"]
    assert snap.start_time == stamp(START)
    before = (datetime(2030, 3, 1, 9, tzinfo=UTC), datetime(2030, 3, 1, 10, tzinfo=UTC))
    subject, moved = entry_convert.session_event(SessionEvent("rescheduled", shown, previous=before))
    assert subject is events.SESSION_RESCHEDULED
    assert (moved.previous_start_time, moved.previous_end_time) == (stamp(before[0]), stamp(before[1]))
    subject, updated = entry_convert.session_event(SessionEvent("updated", shown, changed_paths=("notes",)))
    assert (subject, list(updated.changed_paths), updated.on_hold) == (events.SESSION_UPDATED, ["notes"], True)
    subject, due = entry_convert.session_event(SessionEvent("reminder_due", shown))
    assert (subject, due.reminder_minutes) == (events.SESSION_REMINDER_DUE, 0)
    appointment = entry_convert.appointment(_appointment())
    subject, cancelled = entry_convert.appointment_event(AppointmentEvent("cancelled", appointment, None))
    assert subject is events.APPOINTMENT_CANCELLED
    assert cancelled.appointment.appointment == appointment.name
    assert cancelled.appointment.appointment_type_display_name == ""
