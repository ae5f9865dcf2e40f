"""Rows <-> sessions and appointments (domain/entries.py), field by field.

Every field is a column or a child row (see `models.py`): an entry written here and read back
is the same entry. References keep the id after their collection prefix (`schedules/{id}` ->
`{id}`); a field that may be absent (a time of day, a date, an optional int) is NULL when it
was not given. The columns the row keeps itself (id, company, the reminder's instants, times of
creation and update, UTC start and end) are set by the caller."""

from __future__ import annotations

from datetime import date

from shutterbook_scheduling.domain.entries import Appointment, Clock, Day, Session, TimeBlock
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    AppointmentScheduleRow,
    ParticipantRow,
    SessionRow,
    TimeBlockRow,
    TimeBlockScheduleRow,
)


def ref_id(name: str, collection: str) -> str:
    """`collection/{id}` -> `{id}`; "" stays ""."""
    return name.removeprefix(f"{collection}/")


def ref(collection: str, value: str) -> str:
    return f"{collection}/{value}" if value else ""


def _day(value: date | None) -> Day | None:
    return None if value is None else Day.of(value)


def _clock(minute: int | None) -> Clock | None:
    return None if minute is None else Clock.at_minute(minute)


def _date(value: Day | None) -> date | None:
    """A given date as a column: not given (or all zero) is NULL."""
    if value is None or value.unset():
        return None
    return value.read()


def _minute(value: Clock | None) -> int | None:
    return None if value is None else value.minute()


def session_of(row: SessionRow) -> Session:
    return Session(
        name=f"sessions/{row.id}",
        client=ref("clients", row.client_id),
        description=row.description,
        notes=row.notes,
        session_type=ref("sessionTypes", row.type_id),
        location=ref("locations", row.location_id),
        session_date=_day(row.local_date),
        start=_clock(row.start_minute),
        end=_clock(row.end_minute),
        time_blocks=[
            TimeBlock(
                date=_day(block.local_date),
                start=_clock(block.start_minute),
                end=_clock(block.end_minute),
                schedules=[f"schedules/{s.schedule_id}" for s in block.schedules],
                location=ref("locations", block.location_id),
                start_time=block.start_at,
                end_time=block.end_at,
            )
            for block in row.time_blocks
        ],
        start_time=row.start_at,
        end_time=row.end_at,
        photographer=ref("schedules", row.photographer_id),
        assistant=ref("schedules", row.assistant_id),
        camera_room=ref("schedules", row.camera_room_id),
        camera_room_text=row.camera_room_text,
        session_number=row.session_number,
        status=ref("sessionStatuses", row.status_id),
        status_due_date=_day(row.status_due_date),
        booked_by=row.booked_by,
        booked_on=row.booked_on,
        file_number=row.file_number,
        reminder_minutes=row.reminder_minutes,
        reminder_emit_time=row.reminder_emitted_at,
        confirmed=row.confirmed,
        no_show=row.no_show,
        redo=row.redo,
        on_hold=row.on_hold,
        cancelled=row.cancelled,
        participants=[f"clients/{p.client_id}/familyMembers/{p.member_id}" for p in row.participants],
        use_advanced_calendar=row.use_advanced_calendar,
        booked_online=row.booked_online,
        create_time=row.created_at,
        update_time=row.updated_at,
        time_zone=row.time_zone,
    )


def _participant(position: int, name: str) -> ParticipantRow:
    client_part, _, member = name.removeprefix("clients/").partition("/familyMembers/")
    return ParticipantRow(position=position, client_id=client_part, member_id=member)


def write_session(row: SessionRow, session: Session) -> None:
    """Every field of the session except the ones the row keeps itself (id, company, reminder
    instants, times of creation and update, UTC start and end: the caller sets those)."""
    row.client_id = ref_id(session.client, "clients")
    row.description = session.description
    row.notes = session.notes
    row.type_id = ref_id(session.session_type, "sessionTypes")
    row.location_id = ref_id(session.location, "locations")
    row.local_date = _date(session.session_date)
    row.start_minute = _minute(session.start)
    row.end_minute = _minute(session.end)
    row.photographer_id = ref_id(session.photographer, "schedules")
    row.assistant_id = ref_id(session.assistant, "schedules")
    row.camera_room_id = ref_id(session.camera_room, "schedules")
    row.camera_room_text = session.camera_room_text
    row.session_number = session.session_number
    row.status_id = ref_id(session.status, "sessionStatuses")
    row.status_due_date = _date(session.status_due_date)
    row.booked_by = session.booked_by
    row.booked_on = session.booked_on
    row.file_number = session.file_number
    row.reminder_minutes = session.reminder_minutes
    row.confirmed = session.confirmed
    row.no_show = session.no_show
    row.redo = session.redo
    row.on_hold = session.on_hold
    row.cancelled = session.cancelled
    row.use_advanced_calendar = session.use_advanced_calendar
    row.booked_online = session.booked_online
    row.time_zone = session.time_zone
    row.participants = [_participant(i, name) for i, name in enumerate(session.participants)]
    row.time_blocks = [
        TimeBlockRow(
            position=i,
            local_date=_date(block.date),
            start_minute=_minute(block.start),
            end_minute=_minute(block.end),
            location_id=ref_id(block.location, "locations"),
            start_at=block.start_time,
            end_at=block.end_time,
            schedules=[
                TimeBlockScheduleRow(position=j, schedule_id=ref_id(s, "schedules"))
                for j, s in enumerate(block.schedules)
            ],
        )
        for i, block in enumerate(session.time_blocks)
    ]


def appointment_of(row: AppointmentRow) -> Appointment:
    return Appointment(
        name=f"appointments/{row.id}",
        appointment_type=ref("appointmentTypes", row.type_id),
        client=ref("clients", row.client_id),
        session=ref("sessions", row.session_id),
        description=row.description,
        location=ref("locations", row.location_id),
        appointment_date=_day(row.local_date),
        start=_clock(row.start_minute),
        end=_clock(row.end_minute),
        schedules=[f"schedules/{s.schedule_id}" for s in row.schedules],
        start_time=row.start_at,
        end_time=row.end_at,
        confirmed=row.confirmed,
        cancelled=row.cancelled,
        reminder_minutes=row.reminder_minutes,
        booked_by=row.booked_by,
        create_time=row.created_at,
        update_time=row.updated_at,
        time_zone=row.time_zone,
    )


def write_appointment(row: AppointmentRow, appointment: Appointment) -> None:
    """Every field of the appointment except the ones the row keeps itself (id, company, times
    of creation and update, UTC start and end)."""
    row.type_id = ref_id(appointment.appointment_type, "appointmentTypes")
    row.client_id = ref_id(appointment.client, "clients")
    row.session_id = ref_id(appointment.session, "sessions")
    row.description = appointment.description
    row.location_id = ref_id(appointment.location, "locations")
    row.local_date = _date(appointment.appointment_date)
    row.start_minute = _minute(appointment.start)
    row.end_minute = _minute(appointment.end)
    row.schedules = [
        AppointmentScheduleRow(position=i, schedule_id=ref_id(s, "schedules"))
        for i, s in enumerate(appointment.schedules)
    ]
    row.confirmed = appointment.confirmed
    row.cancelled = appointment.cancelled
    row.reminder_minutes = appointment.reminder_minutes
    row.booked_by = appointment.booked_by
    row.time_zone = appointment.time_zone
