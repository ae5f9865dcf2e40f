"""Online booking of appointments (slots of appointment types): book, cancel online, reschedule
online. An appointment has no status: its online booking is recorded by the slot (and the
hold) naming it. The booking itself is the one booking path's (`entries`); see `holds`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    Violations,
)
from shutterbook_kit.resource_names import parse_reference
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import setup
from shutterbook_scheduling.application.common import to_date
from shutterbook_scheduling.application.entries import (
    appointment_snapshot,
    book_appointment,
    change_appointment_entry,
    load_appointment,
)
from shutterbook_scheduling.application.holds import (
    require_request_id,
    run_online,
    type_of,
)
from shutterbook_scheduling.application.planning import Plan, planned_appointment
from shutterbook_scheduling.application.slot_booking import (
    check_move_request,
    move_to_slot,
    run_online_booking,
    settle_in_slot,
    slot_to_move_to,
)
from shutterbook_scheduling.application.slot_state import (
    is_appointment_slot,
    release_booking,
    schedules_of,
)
from shutterbook_scheduling.domain import times
from shutterbook_scheduling.settings import HoldSettings
from shutterbook_scheduling.storage import records
from shutterbook_scheduling.storage.models import AppointmentRow
from shutterbook_scheduling.storage.online_models import (
    SlotHoldRow,
    TimeSlotRow,
)


def _appointment_at(msg: pb.Appointment, slot: TimeSlotRow, location: pb.Location, schedule_ids: list[str]) -> None:
    """Put the slot's local date, times and schedules on the appointment."""
    tz = times.zone(location.time_zone)
    local_start, local_end = slot.start_at.astimezone(tz), slot.end_at.astimezone(tz)
    msg.appointment_date.CopyFrom(to_date(local_start.date()))
    msg.start.CopyFrom(pb.TimeOfDay(hours=local_start.hour, minutes=local_start.minute))
    msg.end.CopyFrom(pb.TimeOfDay(hours=local_end.hour, minutes=local_end.minute))
    msg.location = location.name
    msg.schedules[:] = [f"schedules/{s}" for s in schedule_ids]


async def _plan_appointment_in_slot(
    uow: UnitOfWork, company_id: str, msg: pb.Appointment, slot: TimeSlotRow, *, creating: bool
) -> Plan:
    location: pb.Location | None = await setup.load_message(uow, setup.LOCATIONS, company_id, slot.location_id)
    if location is None:
        raise FailedPrecondition(f"timeSlots/{slot.id} has no location any more", reason="SLOT_NOT_OPEN")
    _appointment_at(msg, slot, location, sorted((await schedules_of(uow, [slot.id]))[slot.id]))
    try:
        plan = await planned_appointment(uow, company_id, msg, creating=creating)
    except InvalidArgument as err:
        err.violations = [FieldViolation(v.field.removeprefix("appointment."), v.description) for v in err.violations]
        raise err from None
    if plan.start != slot.start_at or plan.end != slot.end_at:
        raise FailedPrecondition(f"timeSlots/{slot.id} cannot be expressed in local time", reason="SLOT_NOT_OPEN")
    return plan


async def _book_appointment(
    uow: UnitOfWork,
    company_id: str,
    slot: TimeSlotRow,
    hold: SlotHoldRow,
    client_id: str,
    request: opb.BookAppointmentOnlineRequest,
    now: datetime,
) -> pb.Appointment:
    """Create the appointment of an appointment-type slot for the client. An appointment has no
    status: its online booking is recorded by the slot (and the hold) naming it."""
    type_msg = await type_of(uow, company_id, slot)
    msg = pb.Appointment(
        appointment_type=f"appointmentTypes/{slot.type_id}",
        client=f"clients/{client_id}",
        description=request.description,
        confirmed=True,  # booked online is confirmed, as for sessions
    )
    plan = await _plan_appointment_in_slot(uow, company_id, msg, slot, creating=True)
    appointment_id = request.appointment_id or str(uuid.uuid4())
    await book_appointment(uow, company_id, msg, plan, appointment_id=appointment_id, allow_conflicts=False)
    await settle_in_slot(uow, company_id, slot, hold, msg.name, type_msg)
    return msg


async def book_appointment_online(
    db: Database, company_id: str, request: opb.BookAppointmentOnlineRequest, holds: HoldSettings
) -> pb.Appointment:
    async def book(
        uow: UnitOfWork, slot: TimeSlotRow, hold: SlotHoldRow, client_id: str, now: datetime
    ) -> pb.Appointment:
        return await _book_appointment(uow, company_id, slot, hold, client_id, request, now)

    return await run_online_booking(
        db,
        company_id,
        "BookAppointmentOnline",
        request,
        (request.appointment_id, "appointment_id"),
        pb.Appointment,
        book,
        holds,
        appointment=True,
    )


async def _online_appointment(uow: UnitOfWork, company_id: str, name: str) -> tuple[AppointmentRow, pb.Appointment]:
    """The appointment, locked; booked online when a hold of a slot became it."""
    try:
        row = await load_appointment(uow, company_id, name, lock=True)
    except InvalidArgument as err:
        err.violations = [FieldViolation("appointment", v.description) for v in err.violations]
        raise
    booked = await uow.session.scalar(
        select(SlotHoldRow.id).where(
            SlotHoldRow.company_id == company_id,
            SlotHoldRow.session_id == row.id,
            SlotHoldRow.state == opb.SLOT_HOLD_STATE_BOOKED,
        )
    )
    if booked is None:
        raise FailedPrecondition(f"{name} was not booked online", reason="NOT_BOOKED_ONLINE")
    return row, records.appointment_message(row)


async def cancel_online_appointment(
    db: Database, company_id: str, request: opb.CancelOnlineAppointmentRequest
) -> pb.Appointment:
    v = Violations()
    require_request_id(request.request_id, v)
    parse_reference(request.appointment, "appointments", field="appointment", violations=v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> pb.Appointment:
        row, msg = await _online_appointment(uow, company_id, request.appointment)
        if msg.cancelled:
            return msg
        msg.cancelled = True
        plan = await planned_appointment(uow, company_id, msg, creating=False)
        await change_appointment_entry(
            uow,
            company_id,
            row,
            msg,
            plan,
            blocks=True,
            occupies=False,
            allow_conflicts=True,
            action="cancelled_online",
        )
        await release_booking(uow, company_id, row.id, msg.name)
        await release_booking(uow, company_id, row.id, msg.name)
        uow.emit(
            events.APPOINTMENT_CANCELLED,
            company_id,
            ev.AppointmentCancelledEvent(appointment=appointment_snapshot(msg, plan.type_msg)),
        )
        return msg

    return await run_online(
        db,
        company_id,
        "CancelOnlineAppointment",
        request,
        request.request_id,
        pb.Appointment,
        work,
        lambda: request.appointment,
    )


async def reschedule_online_appointment(
    db: Database, company_id: str, request: opb.RescheduleOnlineAppointmentRequest, holds: HoldSettings
) -> pb.Appointment:
    check_move_request(request.request_id, request.appointment, "appointments", "appointment", request.time_slot)

    async def work(uow: UnitOfWork) -> pb.Appointment:
        now = utcnow()
        row, msg = await _online_appointment(uow, company_id, request.appointment)
        if msg.cancelled:
            raise FailedPrecondition(f"{request.appointment} is cancelled", reason="APPOINTMENT_CANCELLED")
        before = pb.Appointment()
        before.CopyFrom(msg)
        slot = await slot_to_move_to(uow, company_id, request.time_slot, row.id)
        if slot is None:
            return msg
        if not is_appointment_slot(slot) or slot.type_id != row.type_id:
            bad = Violations()
            bad.add("time_slot", f"{request.time_slot} sells another type")
            bad.raise_if_any()
        # As for sessions: free the old slot first, the appointment's own blocks do not make the
        # new slot busy, and the hold serializes with concurrent holders.
        hold = await move_to_slot(uow, company_id, row.id, row.client_id, slot, now, msg.name, holds)
        plan = await _plan_appointment_in_slot(uow, company_id, msg, slot, creating=False)
        await change_appointment_entry(
            uow,
            company_id,
            row,
            msg,
            plan,
            blocks=True,
            occupies=True,
            allow_conflicts=False,
            action="rescheduled_online",
        )
        await settle_in_slot(uow, company_id, slot, hold, msg.name, plan.type_msg)
        event = ev.AppointmentRescheduledEvent(appointment=appointment_snapshot(msg, plan.type_msg))
        event.previous_start_time.CopyFrom(before.start_time)
        event.previous_end_time.CopyFrom(before.end_time)
        uow.emit(events.APPOINTMENT_RESCHEDULED, company_id, event)
        return msg

    return await run_online(
        db,
        company_id,
        "RescheduleOnlineAppointment",
        request,
        request.request_id,
        pb.Appointment,
        work,
        lambda: request.time_slot,
    )
