"""Sessions and appointments at the API edge: `Session` and `Appointment` messages <->
domain/entries.py's objects, field by field, both ways, and the entries' event snapshots
(`SessionSnapshot`, `AppointmentSnapshot`) built from domain objects.

A message read here and written back is the same message: a field not given (a TimeOfDay, a
Date, a Timestamp, the optional reminder) is None in the domain object and absent again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_scheduling.domain import rules
from shutterbook_scheduling.domain.entries import Appointment, Clock, Day, Session, TimeBlock

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)


def _instant(msg: Any, field: str) -> datetime | None:
    return getattr(msg, field).ToDatetime(tzinfo=UTC) if msg.HasField(field) else None


def _day(msg: Any, field: str) -> Day | None:
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    return Day(value.year, value.month, value.day)


def _clock(msg: Any, field: str) -> Clock | None:
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    return Clock(value.hours, value.minutes)


def _set_instant(msg: Any, field: str, value: datetime | None) -> None:
    if value is not None:
        getattr(msg, field).CopyFrom(_ts(value))


def _set_day(msg: Any, field: str, value: Day | None) -> None:
    if value is not None:
        getattr(msg, field).CopyFrom(date_pb2.Date(year=value.year, month=value.month, day=value.day))


def _set_clock(msg: Any, field: str, value: Clock | None) -> None:
    if value is not None:
        getattr(msg, field).CopyFrom(pb.TimeOfDay(hours=value.hours, minutes=value.minutes))


# --- sessions ---


def time_block(msg: pb.TimeBlock) -> TimeBlock:
    return TimeBlock(
        date=_day(msg, "date"),
        start=_clock(msg, "start"),
        end=_clock(msg, "end"),
        schedules=list(msg.schedules),
        location=msg.location,
        start_time=_instant(msg, "start_time"),
        end_time=_instant(msg, "end_time"),
    )


def time_block_message(block: TimeBlock) -> pb.TimeBlock:
    out = pb.TimeBlock(schedules=block.schedules, location=block.location)
    _set_day(out, "date", block.date)
    _set_clock(out, "start", block.start)
    _set_clock(out, "end", block.end)
    _set_instant(out, "start_time", block.start_time)
    _set_instant(out, "end_time", block.end_time)
    return out


def session(msg: pb.Session) -> Session:
    return Session(
        name=msg.name,
        client=msg.client,
        description=msg.description,
        notes=msg.notes,
        session_type=msg.session_type,
        location=msg.location,
        session_date=_day(msg, "session_date"),
        start=_clock(msg, "start"),
        end=_clock(msg, "end"),
        time_blocks=[time_block(b) for b in msg.time_blocks],
        start_time=_instant(msg, "start_time"),
        end_time=_instant(msg, "end_time"),
        photographer=msg.photographer,
        assistant=msg.assistant,
        camera_room=msg.camera_room,
        camera_room_text=msg.camera_room_text,
        session_number=msg.session_number,
        status=msg.status,
        status_due_date=_day(msg, "status_due_date"),
        booked_by=msg.booked_by,
        booked_on=_instant(msg, "booked_on"),
        file_number=msg.file_number,
        reminder_minutes=msg.reminder_minutes if msg.HasField("reminder_minutes") else None,
        reminder_emit_time=_instant(msg, "reminder_emit_time"),
        confirmed=msg.confirmed,
        no_show=msg.no_show,
        redo=msg.redo,
        on_hold=msg.on_hold,
        cancelled=msg.cancelled,
        participants=list(msg.participants),
        use_advanced_calendar=msg.use_advanced_calendar,
        booked_online=msg.booked_online,
        create_time=_instant(msg, "create_time"),
        update_time=_instant(msg, "update_time"),
        time_zone=msg.time_zone,
    )


def session_message(entry: Session) -> pb.Session:
    msg = pb.Session(
        name=entry.name,
        client=entry.client,
        description=entry.description,
        notes=entry.notes,
        session_type=entry.session_type,
        location=entry.location,
        time_blocks=[time_block_message(b) for b in entry.time_blocks],
        photographer=entry.photographer,
        assistant=entry.assistant,
        camera_room=entry.camera_room,
        camera_room_text=entry.camera_room_text,
        session_number=entry.session_number,
        status=entry.status,
        booked_by=entry.booked_by,
        file_number=entry.file_number,
        confirmed=entry.confirmed,
        no_show=entry.no_show,
        redo=entry.redo,
        on_hold=entry.on_hold,
        cancelled=entry.cancelled,
        participants=entry.participants,
        use_advanced_calendar=entry.use_advanced_calendar,
        booked_online=entry.booked_online,
        time_zone=entry.time_zone,
    )
    _set_day(msg, "session_date", entry.session_date)
    _set_clock(msg, "start", entry.start)
    _set_clock(msg, "end", entry.end)
    _set_instant(msg, "start_time", entry.start_time)
    _set_instant(msg, "end_time", entry.end_time)
    _set_day(msg, "status_due_date", entry.status_due_date)
    _set_instant(msg, "booked_on", entry.booked_on)
    if entry.reminder_minutes is not None:
        msg.reminder_minutes = entry.reminder_minutes
    _set_instant(msg, "reminder_emit_time", entry.reminder_emit_time)
    _set_instant(msg, "create_time", entry.create_time)
    _set_instant(msg, "update_time", entry.update_time)
    return msg


# --- appointments ---


def appointment(msg: pb.Appointment) -> Appointment:
    return Appointment(
        name=msg.name,
        appointment_type=msg.appointment_type,
        client=msg.client,
        session=msg.session,
        description=msg.description,
        location=msg.location,
        appointment_date=_day(msg, "appointment_date"),
        start=_clock(msg, "start"),
        end=_clock(msg, "end"),
        schedules=list(msg.schedules),
        start_time=_instant(msg, "start_time"),
        end_time=_instant(msg, "end_time"),
        confirmed=msg.confirmed,
        cancelled=msg.cancelled,
        reminder_minutes=msg.reminder_minutes if msg.HasField("reminder_minutes") else None,
        booked_by=msg.booked_by,
        create_time=_instant(msg, "create_time"),
        update_time=_instant(msg, "update_time"),
        time_zone=msg.time_zone,
    )


def appointment_message(entry: Appointment) -> pb.Appointment:
    msg = pb.Appointment(
        name=entry.name,
        appointment_type=entry.appointment_type,
        client=entry.client,
        session=entry.session,
        description=entry.description,
        location=entry.location,
        schedules=entry.schedules,
        confirmed=entry.confirmed,
        cancelled=entry.cancelled,
        booked_by=entry.booked_by,
        time_zone=entry.time_zone,
    )
    _set_day(msg, "appointment_date", entry.appointment_date)
    _set_clock(msg, "start", entry.start)
    _set_clock(msg, "end", entry.end)
    _set_instant(msg, "start_time", entry.start_time)
    _set_instant(msg, "end_time", entry.end_time)
    if entry.reminder_minutes is not None:
        msg.reminder_minutes = entry.reminder_minutes
    _set_instant(msg, "create_time", entry.create_time)
    _set_instant(msg, "update_time", entry.update_time)
    return msg


# --- the entries' event snapshots ---


def session_snapshot(entry: Session, type_msg: Any, status: Any, location: Any = None) -> ev.SessionSnapshot:
    """What the session events carry: the session, its type's name, prices and invoicing, its
    status's name; with `location` (the booked event), the studio's name and address."""
    snap = ev.SessionSnapshot(
        session=entry.name,
        session_number=entry.session_number,
        client=entry.client,
        session_type=entry.session_type,
        session_type_display_name=type_msg.display_name if type_msg is not None else "",
        description=entry.description,
        location=entry.location,
        time_zone=entry.time_zone,
        price_list_items=list(type_msg.price_list_items) if type_msg is not None else [],
        auto_create_invoice=bool(type_msg.auto_create_invoice) if type_msg is not None else False,
        status=entry.status,
        status_display_name=status.display_name if status is not None else "",
        booked_online=entry.booked_online,
    )
    if location is not None:  # the booked event carries it: billing's documents name the studio
        snap.location_display_name = location.display_name
        a = location.address
        snap.location_address = rules.one_line_address(
            list(a.address_lines), a.locality, a.administrative_area, a.postal_code
        )
    _set_instant(snap, "start_time", entry.start_time)
    _set_instant(snap, "end_time", entry.end_time)
    return snap


def appointment_snapshot(entry: Appointment, type_msg: Any) -> ev.AppointmentSnapshot:
    """What the appointment events carry: the appointment, its type's name, prices and invoicing."""
    snap = ev.AppointmentSnapshot(
        appointment=entry.name,
        appointment_type=entry.appointment_type,
        appointment_type_display_name=type_msg.display_name if type_msg is not None else "",
        client=entry.client,
        session=entry.session,
        description=entry.description,
        location=entry.location,
        time_zone=entry.time_zone,
        schedules=list(entry.schedules),
        price_list_items=list(type_msg.price_list_items) if type_msg is not None else [],
        auto_create_invoice=bool(type_msg.auto_create_invoice) if type_msg is not None else False,
    )
    _set_instant(snap, "start_time", entry.start_time)
    _set_instant(snap, "end_time", entry.end_time)
    return snap
