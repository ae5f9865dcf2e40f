"""Sessions and appointments at the API edge: `Session` and `Appointment` messages <->
domain/entries.py's objects, field by field, both ways; the entries' events (their snapshots,
`SessionSnapshot` and `AppointmentSnapshot`, and the booked, updated, status changed,
rescheduled, cancelled and reminder due events) built from domain events and emitted
(`announce_entry`, the use cases' `entries.Announce`); a booking step run once per its
request's request_id, the answer's message kept (`run_booking`, `entry_once`).

A message read here and written back is the same message: a field not given (a TimeOfDay, a
Date, a Timestamp, the optional reminder) is None in the domain object and absent again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from google.protobuf.message import Message

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.events import EventType
from shutterbook_kit.idempotency import run_idempotent, validate_request_id
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.api.proto_values import instant_of, set_instant
from shutterbook_scheduling.application.common import SOURCE
from shutterbook_scheduling.application.entries import Attempt, Once, Work, conflict_refusal
from shutterbook_scheduling.domain import rules
from shutterbook_scheduling.domain.entries import (
    Appointment,
    AppointmentEvent,
    Clock,
    Day,
    EntryEvent,
    Session,
    SessionEvent,
    SessionShown,
    TimeBlock,
)
from shutterbook_scheduling.domain.setup import BookingType

R = TypeVar("R", bound=Message)
E = TypeVar("E")


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


def _set_day(msg: Any, field: str, value: Day | None) -> None:
    if value is not None:
        getattr(msg, field).CopyFrom(date_pb2.Date(year=value.year, month=value.month, day=value.day))


def _set_clock(msg: Any, field: str, value: Clock | None) -> None:
    if value is not None:
        getattr(msg, field).CopyFrom(pb.TimeOfDay(hours=value.hours, minutes=value.minutes))


def new_times(request: Any, date_field: str) -> tuple[Day, Clock, Clock | None]:
    """A reschedule request's date (`date_field`), start, and end (None when not given: the
    type's duration decides), as given."""
    day = getattr(request, date_field)
    end = _clock(request, "end")
    return Day(day.year, day.month, day.day), Clock(request.start.hours, request.start.minutes), end


# --- sessions ---


def time_block(msg: pb.TimeBlock) -> TimeBlock:
    return TimeBlock(
        date=_day(msg, "date"),
        start=_clock(msg, "start"),
        end=_clock(msg, "end"),
        schedules=list(msg.schedules),
        location=msg.location,
        start_time=instant_of(msg, "start_time"),
        end_time=instant_of(msg, "end_time"),
    )


def time_block_message(block: TimeBlock) -> pb.TimeBlock:
    out = pb.TimeBlock(schedules=block.schedules, location=block.location)
    _set_day(out, "date", block.date)
    _set_clock(out, "start", block.start)
    _set_clock(out, "end", block.end)
    set_instant(out, "start_time", block.start_time)
    set_instant(out, "end_time", block.end_time)
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
        start_time=instant_of(msg, "start_time"),
        end_time=instant_of(msg, "end_time"),
        photographer=msg.photographer,
        assistant=msg.assistant,
        camera_room=msg.camera_room,
        camera_room_text=msg.camera_room_text,
        session_number=msg.session_number,
        status=msg.status,
        status_due_date=_day(msg, "status_due_date"),
        booked_by=msg.booked_by,
        booked_on=instant_of(msg, "booked_on"),
        file_number=msg.file_number,
        reminder_minutes=msg.reminder_minutes if msg.HasField("reminder_minutes") else None,
        reminder_emit_time=instant_of(msg, "reminder_emit_time"),
        confirmed=msg.confirmed,
        no_show=msg.no_show,
        redo=msg.redo,
        on_hold=msg.on_hold,
        cancelled=msg.cancelled,
        participants=list(msg.participants),
        use_advanced_calendar=msg.use_advanced_calendar,
        booked_online=msg.booked_online,
        create_time=instant_of(msg, "create_time"),
        update_time=instant_of(msg, "update_time"),
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
    set_instant(msg, "start_time", entry.start_time)
    set_instant(msg, "end_time", entry.end_time)
    _set_day(msg, "status_due_date", entry.status_due_date)
    set_instant(msg, "booked_on", entry.booked_on)
    if entry.reminder_minutes is not None:
        msg.reminder_minutes = entry.reminder_minutes
    set_instant(msg, "reminder_emit_time", entry.reminder_emit_time)
    set_instant(msg, "create_time", entry.create_time)
    set_instant(msg, "update_time", entry.update_time)
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
        start_time=instant_of(msg, "start_time"),
        end_time=instant_of(msg, "end_time"),
        confirmed=msg.confirmed,
        cancelled=msg.cancelled,
        reminder_minutes=msg.reminder_minutes if msg.HasField("reminder_minutes") else None,
        booked_by=msg.booked_by,
        create_time=instant_of(msg, "create_time"),
        update_time=instant_of(msg, "update_time"),
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
    set_instant(msg, "start_time", entry.start_time)
    set_instant(msg, "end_time", entry.end_time)
    if entry.reminder_minutes is not None:
        msg.reminder_minutes = entry.reminder_minutes
    set_instant(msg, "create_time", entry.create_time)
    set_instant(msg, "update_time", entry.update_time)
    return msg


# --- the entries' event snapshots ---


def session_snapshot(shown: SessionShown) -> ev.SessionSnapshot:
    """What the session events carry: the session, its type's name, prices and invoicing, its
    status's name; with a location (the booked event), the studio's name and address."""
    entry, booking_type, status, location = shown.session, shown.type, shown.status, shown.location
    snap = ev.SessionSnapshot(
        session=entry.name,
        session_number=entry.session_number,
        client=entry.client,
        session_type=entry.session_type,
        session_type_display_name=booking_type.display_name if booking_type is not None else "",
        description=entry.description,
        location=entry.location,
        time_zone=entry.time_zone,
        price_list_items=list(booking_type.price_list_items) if booking_type is not None else [],
        auto_create_invoice=bool(booking_type.auto_create_invoice) if booking_type is not None else False,
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
    set_instant(snap, "start_time", entry.start_time)
    set_instant(snap, "end_time", entry.end_time)
    return snap


def appointment_snapshot(entry: Appointment, booking_type: BookingType | None) -> ev.AppointmentSnapshot:
    """What the appointment events carry: the appointment, its type's name, prices and invoicing."""
    snap = ev.AppointmentSnapshot(
        appointment=entry.name,
        appointment_type=entry.appointment_type,
        appointment_type_display_name=booking_type.display_name if booking_type is not None else "",
        client=entry.client,
        session=entry.session,
        description=entry.description,
        location=entry.location,
        time_zone=entry.time_zone,
        schedules=list(entry.schedules),
        price_list_items=list(booking_type.price_list_items) if booking_type is not None else [],
        auto_create_invoice=bool(booking_type.auto_create_invoice) if booking_type is not None else False,
    )
    set_instant(snap, "start_time", entry.start_time)
    set_instant(snap, "end_time", entry.end_time)
    return snap


def _previous(event: Any, previous: tuple[datetime | None, datetime | None] | None) -> None:
    assert previous is not None
    set_instant(event, "previous_start_time", previous[0])
    set_instant(event, "previous_end_time", previous[1])


def session_event(event: SessionEvent) -> tuple[EventType[Any], Any]:
    """A session's event: its subject and its message."""
    snap = session_snapshot(event.shown)
    change = event.change
    if change == "booked":
        return events.SESSION_BOOKED, ev.SessionBookedEvent(session=snap)
    if change == "status_changed":
        return events.SESSION_STATUS_CHANGED, ev.SessionStatusChangedEvent(
            session=snap, previous_status=event.previous_status
        )
    if change == "rescheduled":
        rescheduled = ev.SessionRescheduledEvent(session=snap)
        _previous(rescheduled, event.previous)
        return events.SESSION_RESCHEDULED, rescheduled
    if change == "updated":
        updated = ev.SessionUpdatedEvent(
            session=snap, changed_paths=list(event.changed_paths), on_hold=event.shown.session.on_hold
        )
        return events.SESSION_UPDATED, updated
    if change == "cancelled":
        return events.SESSION_CANCELLED, ev.SessionCancelledEvent(session=snap)
    if change == "reminder_due":
        minutes = event.shown.session.reminder_minutes or 0
        return events.SESSION_REMINDER_DUE, ev.SessionReminderDueEvent(session=snap, reminder_minutes=minutes)
    raise ValueError(f"no session event {change!r}")


def appointment_event(event: AppointmentEvent) -> tuple[EventType[Any], Any]:
    """An appointment's event: its subject and its message."""
    snap = appointment_snapshot(event.appointment, event.type)
    change = event.change
    if change == "booked":
        return events.APPOINTMENT_BOOKED, ev.AppointmentBookedEvent(appointment=snap)
    if change == "updated":
        updated = ev.AppointmentUpdatedEvent(appointment=snap, changed_paths=list(event.changed_paths))
        return events.APPOINTMENT_UPDATED, updated
    if change == "rescheduled":
        rescheduled = ev.AppointmentRescheduledEvent(appointment=snap)
        _previous(rescheduled, event.previous)
        return events.APPOINTMENT_RESCHEDULED, rescheduled
    if change == "cancelled":
        return events.APPOINTMENT_CANCELLED, ev.AppointmentCancelledEvent(appointment=snap)
    raise ValueError(f"no appointment event {change!r}")


def announce_entry(uow: UnitOfWork, company_id: str, event: EntryEvent) -> None:
    """Emit an entry's event in `uow` (the use cases' `entries.Announce`)."""
    subject, message = session_event(event) if isinstance(event, SessionEvent) else appointment_event(event)
    uow.emit(subject, company_id, message)


# --- a booking step run once -------------------------------------------------------------------


async def run_booking(
    db: Database,
    company_id: str,
    response_type: type[R],
    work: Callable[[UnitOfWork, Attempt], Awaitable[R]],
    *,
    scope: str = "",
    request: Message | None = None,
    request_id: str = "",
) -> R:
    """Run a booking step in a unit of work: once per request_id when a request gives one
    (AIP-155, a twin racing it gets its result), and a database refusal of the blocks the step
    planned (see `Attempt`) answered like the conflict check."""
    if request is not None:
        v = Violations()
        validate_request_id(request_id, v)
        v.raise_if_any()
    attempt = Attempt()
    return await run_idempotent(
        db,
        company_id=company_id,
        scope=scope,
        request=request if request is not None else response_type(),
        request_id=request_id if request is not None else "",
        response_type=response_type,
        work=lambda uow: work(uow, attempt),
        source=SOURCE,
        refusal=conflict_refusal(db, company_id, attempt),
    )


def entry_once(
    db: Database,
    company_id: str,
    response_type: type[R],
    as_message: Callable[[E], R],
    request: Any = None,
    *,
    scope: str = "",
) -> Once[E, R]:
    """A staff use case's `Once`: its work run once per the `request`'s request_id (when one is
    given; the scope: the request's method, e.g. `CancelSession`, unless `scope` names it), the
    entry's message (`as_message`) the answer a retry gets."""

    async def run(work: Work[E]) -> R:
        async def answer(uow: UnitOfWork, attempt: Attempt) -> R:
            return as_message(await work(uow, attempt))

        if request is None:
            return await run_booking(db, company_id, response_type, answer)
        name = scope or type(request).__name__.removesuffix("Request")
        return await run_booking(
            db, company_id, response_type, answer, scope=name, request=request, request_id=request.request_id
        )

    return run
