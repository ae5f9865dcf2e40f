"""Rows <-> the contract's messages, field by field, for the scheduling resources still read as messages
(the setup's resources are domain objects: storage/setup_records.py).

Every field is a column or a child row (see `models.py`): a message written here and read
back is the same message. Reference fields keep the id after their collection prefix
(`schedules/{id}` -> `{id}`); a field that may be absent (a TimeOfDay, a Date, a Money, an
optional int) is NULL when it was not given.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    AppointmentScheduleRow,
    ParticipantRow,
    SessionRow,
    TimeBlockRow,
    TimeBlockScheduleRow,
)

# --- field helpers --------------------------------------------------------------------------


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    # what Timestamp.FromDatetime gives for an aware instant, without its time tuple (a listing
    # converts four instants per slot)
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)


def _instant(value: timestamp_pb2.Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def minute_of(msg: Any, field: str) -> int | None:
    """A TimeOfDay field as minutes after midnight; None when not given."""
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    return int(value.hours) * 60 + int(value.minutes)


def set_clock(msg: Any, field: str, minute: int | None) -> None:
    if minute is not None:
        getattr(msg, field).CopyFrom(pb.TimeOfDay(hours=minute // 60, minutes=minute % 60))


def date_of(msg: Any, field: str) -> date | None:
    """A Date field as a date; None when not given (or given all zero, which reads as not given)."""
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    if value.year == 0 and value.month == 0 and value.day == 0:
        return None
    return date(value.year, value.month, value.day)


def set_date(msg: Any, field: str, value: date | None) -> None:
    if value is not None:
        getattr(msg, field).CopyFrom(date_pb2.Date(year=value.year, month=value.month, day=value.day))


def ref_id(name: str, collection: str) -> str:
    """`collection/{id}` -> `{id}`; "" stays ""."""
    return name.removeprefix(f"{collection}/")


def ref(collection: str, value: str) -> str:
    return f"{collection}/{value}" if value else ""


# --- sessions and appointments ------------------------------------------------------------------


def session_message(row: SessionRow) -> pb.Session:
    msg = pb.Session(
        name=f"sessions/{row.id}",
        client=ref("clients", row.client_id),
        description=row.description,
        notes=row.notes,
        session_type=ref("sessionTypes", row.type_id),
        location=ref("locations", row.location_id),
        start_time=_ts(row.start_at),
        end_time=_ts(row.end_at),
        photographer=ref("schedules", row.photographer_id),
        assistant=ref("schedules", row.assistant_id),
        camera_room=ref("schedules", row.camera_room_id),
        camera_room_text=row.camera_room_text,
        session_number=row.session_number,
        status=ref("sessionStatuses", row.status_id),
        booked_by=row.booked_by,
        file_number=row.file_number,
        confirmed=row.confirmed,
        no_show=row.no_show,
        redo=row.redo,
        on_hold=row.on_hold,
        cancelled=row.cancelled,
        participants=[f"clients/{p.client_id}/familyMembers/{p.member_id}" for p in row.participants],
        use_advanced_calendar=row.use_advanced_calendar,
        booked_online=row.booked_online,
        create_time=_ts(row.created_at),
        update_time=_ts(row.updated_at),
        time_zone=row.time_zone,
    )
    set_date(msg, "session_date", row.local_date)
    set_clock(msg, "start", row.start_minute)
    set_clock(msg, "end", row.end_minute)
    set_date(msg, "status_due_date", row.status_due_date)
    if row.booked_on is not None:
        msg.booked_on.CopyFrom(_ts(row.booked_on))
    if row.reminder_minutes is not None:
        msg.reminder_minutes = row.reminder_minutes
    if row.reminder_emitted_at is not None:
        msg.reminder_emit_time.CopyFrom(_ts(row.reminder_emitted_at))
    for block in row.time_blocks:
        out = msg.time_blocks.add(
            schedules=[f"schedules/{s.schedule_id}" for s in block.schedules],
            location=ref("locations", block.location_id),
        )
        set_date(out, "date", block.local_date)
        set_clock(out, "start", block.start_minute)
        set_clock(out, "end", block.end_minute)
        if block.start_at is not None:
            out.start_time.CopyFrom(_ts(block.start_at))
        if block.end_at is not None:
            out.end_time.CopyFrom(_ts(block.end_at))
    return msg


def _participant(name: str) -> ParticipantRow:
    client_part, _, member = name.removeprefix("clients/").partition("/familyMembers/")
    return ParticipantRow(client_id=client_part, member_id=member)


def write_session(row: SessionRow, msg: pb.Session) -> None:
    """Every field of the message except the ones the row keeps itself (id, company, reminder
    instants, times of creation and update, UTC start and end: the caller sets those)."""
    row.client_id = ref_id(msg.client, "clients")
    row.description = msg.description
    row.notes = msg.notes
    row.type_id = ref_id(msg.session_type, "sessionTypes")
    row.location_id = ref_id(msg.location, "locations")
    row.local_date = date_of(msg, "session_date")
    row.start_minute = minute_of(msg, "start")
    row.end_minute = minute_of(msg, "end")
    row.photographer_id = ref_id(msg.photographer, "schedules")
    row.assistant_id = ref_id(msg.assistant, "schedules")
    row.camera_room_id = ref_id(msg.camera_room, "schedules")
    row.camera_room_text = msg.camera_room_text
    row.session_number = msg.session_number
    row.status_id = ref_id(msg.status, "sessionStatuses")
    row.status_due_date = date_of(msg, "status_due_date")
    row.booked_by = msg.booked_by
    row.booked_on = _instant(msg.booked_on) if msg.HasField("booked_on") else None
    row.file_number = msg.file_number
    row.reminder_minutes = msg.reminder_minutes if msg.HasField("reminder_minutes") else None
    row.confirmed = msg.confirmed
    row.no_show = msg.no_show
    row.redo = msg.redo
    row.on_hold = msg.on_hold
    row.cancelled = msg.cancelled
    row.use_advanced_calendar = msg.use_advanced_calendar
    row.booked_online = msg.booked_online
    row.time_zone = msg.time_zone
    participants = []
    for i, name in enumerate(msg.participants):
        participant = _participant(name)
        participant.position = i
        participants.append(participant)
    row.participants = participants
    blocks = []
    for i, block in enumerate(msg.time_blocks):
        blocks.append(
            TimeBlockRow(
                position=i,
                local_date=date_of(block, "date"),
                start_minute=minute_of(block, "start"),
                end_minute=minute_of(block, "end"),
                location_id=ref_id(block.location, "locations"),
                start_at=_instant(block.start_time) if block.HasField("start_time") else None,
                end_at=_instant(block.end_time) if block.HasField("end_time") else None,
                schedules=[
                    TimeBlockScheduleRow(position=j, schedule_id=ref_id(s, "schedules"))
                    for j, s in enumerate(block.schedules)
                ],
            )
        )
    row.time_blocks = blocks


def appointment_message(row: AppointmentRow) -> pb.Appointment:
    msg = pb.Appointment(
        name=f"appointments/{row.id}",
        appointment_type=ref("appointmentTypes", row.type_id),
        client=ref("clients", row.client_id),
        session=ref("sessions", row.session_id),
        description=row.description,
        location=ref("locations", row.location_id),
        schedules=[f"schedules/{s.schedule_id}" for s in row.schedules],
        start_time=_ts(row.start_at),
        end_time=_ts(row.end_at),
        confirmed=row.confirmed,
        cancelled=row.cancelled,
        booked_by=row.booked_by,
        create_time=_ts(row.created_at),
        update_time=_ts(row.updated_at),
        time_zone=row.time_zone,
    )
    set_date(msg, "appointment_date", row.local_date)
    set_clock(msg, "start", row.start_minute)
    set_clock(msg, "end", row.end_minute)
    if row.reminder_minutes is not None:
        msg.reminder_minutes = row.reminder_minutes
    return msg


def write_appointment(row: AppointmentRow, msg: pb.Appointment) -> None:
    row.type_id = ref_id(msg.appointment_type, "appointmentTypes")
    row.client_id = ref_id(msg.client, "clients")
    row.session_id = ref_id(msg.session, "sessions")
    row.description = msg.description
    row.location_id = ref_id(msg.location, "locations")
    row.local_date = date_of(msg, "appointment_date")
    row.start_minute = minute_of(msg, "start")
    row.end_minute = minute_of(msg, "end")
    row.schedules = [
        AppointmentScheduleRow(position=i, schedule_id=ref_id(s, "schedules")) for i, s in enumerate(msg.schedules)
    ]
    row.confirmed = msg.confirmed
    row.cancelled = msg.cancelled
    row.reminder_minutes = msg.reminder_minutes if msg.HasField("reminder_minutes") else None
    row.booked_by = msg.booked_by
    row.time_zone = msg.time_zone
