"""Unit tests of the row <-> message converters (no database): every field of every resource,
written to a row and read back, is the message that was written, including the fields that
may be absent (a TimeOfDay, a Date, a Money, an optional int, a submessage) both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.storage import records
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    SessionRow,
)

M = TypeVar("M", bound=Any)
R = TypeVar("R", bound=Any)
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


def times(msg: M) -> M:
    msg.create_time.CopyFrom(stamp(CREATED))
    msg.update_time.CopyFrom(stamp(UPDATED))
    return msg


def configured(row: R, msg: Any) -> R:
    row.id = msg.name.split("/")[1]
    row.company_id = "c"
    row.created_at = CREATED
    row.updated_at = UPDATED
    return row


def _session(**fields: Any) -> pb.Session:
    client = uid()
    msg = pb.Session(
        name=f"sessions/{uid()}",
        client=f"clients/{client}",
        description="Family",
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
        camera_room_text="",
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
        participants=[f"clients/{client}/familyMembers/{uid()}", f"clients/{client}/familyMembers/{uid()}"],
        time_zone="America/New_York",
        booked_online=True,
        reminder_emit_time=stamp(UPDATED),
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
    return times(msg)


def _session_row(msg: pb.Session) -> SessionRow:
    row = configured(SessionRow(), msg)
    row.start_at, row.end_at = START, END
    emitted = msg.HasField("reminder_emit_time")
    row.reminder_emitted_at = msg.reminder_emit_time.ToDatetime(tzinfo=UTC) if emitted else None
    records.write_session(row, msg)
    return row


def test_a_session_with_every_field_round_trips() -> None:
    msg = _session()
    assert records.session_message(_session_row(msg)) == msg
    for absent in ("end", "status_due_date", "reminder_minutes", "booked_on", "reminder_emit_time"):
        msg.ClearField(absent)
    assert records.session_message(_session_row(msg)) == msg


def test_appointments_linked_and_unlinked_round_trip() -> None:
    linked = times(
        pb.Appointment(
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
            time_zone="UTC",
        )
    )
    unlinked = pb.Appointment()
    unlinked.CopyFrom(linked)
    unlinked.client = unlinked.session = ""
    unlinked.ClearField("reminder_minutes")
    for msg in (linked, unlinked):
        row = configured(AppointmentRow(), msg)
        row.start_at, row.end_at = START, END
        records.write_appointment(row, msg)
        assert records.appointment_message(row) == msg
