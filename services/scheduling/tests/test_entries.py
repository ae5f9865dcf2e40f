"""Unit tests of sessions and appointments as domain objects (no database): rows <-> entries
(storage/entry_records.py) and messages <-> entries (api/entry_convert.py) keep every field,
the fields that may be absent both ways; the audit trail keeps of an entry what it kept of its
message; the entries' own field rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import audit
from shutterbook_scheduling.api import entry_convert
from shutterbook_scheduling.domain import entries
from shutterbook_scheduling.domain.entries import Clock, Day, Session
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
    assert not entry.occupies()  # on hold
    assert Session().occupies()
    assert entries.json_instant(CREATED) == "2026-11-30T09:15:01.123456Z"
