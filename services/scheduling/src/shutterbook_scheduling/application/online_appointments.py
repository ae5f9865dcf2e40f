"""Online booking of appointments (slots of appointment types): book, cancel online, reschedule
online. An appointment has no status: its online booking is recorded by the slot (and the
hold) naming it. The booking itself is the one booking path's (`entries`), planned in its slot
as sessions are (`slot_booking.plan_in_slot`); see `holds`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
)
from shutterbook_kit.events import EventType
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import slot_booking
from shutterbook_scheduling.application.entries import (
    EntryChange,
    appointment_snapshot,
    book_appointment,
    change_appointment_entry,
    load_appointment,
    replan_appointment,
)
from shutterbook_scheduling.application.holds import Holding, type_of
from shutterbook_scheduling.application.planning import Plan, planned_appointment
from shutterbook_scheduling.storage import records
from shutterbook_scheduling.storage.hold_repository import HoldRepository
from shutterbook_scheduling.storage.models import AppointmentRow
from shutterbook_scheduling.storage.online_models import (
    SlotHoldRow,
    TimeSlotRow,
)


async def _plan_appointment_in_slot(
    uow: UnitOfWork, company_id: str, msg: pb.Appointment, slot: TimeSlotRow, *, creating: bool
) -> Plan:
    """Put the slot's local date, times and schedules on the appointment and plan it there."""
    at = await slot_booking.slot_times(uow, company_id, slot)
    msg.appointment_date.CopyFrom(at.day)
    msg.start.CopyFrom(at.start)
    msg.end.CopyFrom(at.end)
    msg.location = at.location.name
    msg.schedules[:] = [f"schedules/{s}" for s in sorted(at.schedule_ids)]
    return await slot_booking.plan_in_slot(
        slot, planned_appointment(uow, company_id, msg, creating=creating), "appointment"
    )


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
    await slot_booking.settle_in_slot(uow, company_id, slot, hold, msg.name, type_msg)
    return msg


async def book_appointment_online(
    db: Database, company_id: str, request: opb.BookAppointmentOnlineRequest, holds: Holding
) -> pb.Appointment:
    async def book(
        uow: UnitOfWork, slot: TimeSlotRow, hold: SlotHoldRow, client_id: str, now: datetime
    ) -> pb.Appointment:
        return await _book_appointment(uow, company_id, slot, hold, client_id, request, now)

    new_id = (request.appointment_id, "appointment_id")
    return await slot_booking.run_online_booking(
        db, company_id, "BookAppointmentOnline", request, new_id, pb.Appointment, book, holds, appointment=True
    )


async def _online_appointment(uow: UnitOfWork, company_id: str, name: str) -> tuple[AppointmentRow, pb.Appointment]:
    """The appointment, locked; booked online when a hold of a slot became it."""
    try:
        row = await load_appointment(uow, company_id, name, lock=True)
    except InvalidArgument as err:
        err.violations = [FieldViolation("appointment", v.description) for v in err.violations]
        raise
    booked = await HoldRepository(uow).booked_through(company_id, row.id)
    if booked is None:
        raise FailedPrecondition(f"{name} was not booked online", reason="NOT_BOOKED_ONLINE")
    return row, records.appointment_message(row)


APPOINTMENTS = slot_booking.OnlineKind("appointment", pb.Appointment, _online_appointment)


CANCELLED_ONLINE = EntryChange("cancelled_online", occupies=False, allow_conflicts=True)
RESCHEDULED_ONLINE = EntryChange("rescheduled_online", occupies=True, allow_conflicts=False)


async def _cancelled(uow: UnitOfWork, row: AppointmentRow, msg: pb.Appointment) -> tuple[EventType[Any], Any]:
    msg.cancelled = True
    plan = await replan_appointment(uow, row.company_id, row, msg, CANCELLED_ONLINE)
    return events.APPOINTMENT_CANCELLED, ev.AppointmentCancelledEvent(
        appointment=appointment_snapshot(msg, plan.type_msg)
    )


async def _moved(
    uow: UnitOfWork, row: AppointmentRow, msg: pb.Appointment, slot: TimeSlotRow
) -> tuple[Any, EventType[Any], Any]:
    plan = await _plan_appointment_in_slot(uow, row.company_id, msg, slot, creating=False)
    await change_appointment_entry(uow, row.company_id, row, msg, plan, RESCHEDULED_ONLINE)
    event = ev.AppointmentRescheduledEvent(appointment=appointment_snapshot(msg, plan.type_msg))
    return plan.type_msg, events.APPOINTMENT_RESCHEDULED, event


async def cancel_online_appointment(
    db: Database, company_id: str, request: opb.CancelOnlineAppointmentRequest
) -> pb.Appointment:
    return await slot_booking.cancel_online(
        db, company_id, APPOINTMENTS, "CancelOnlineAppointment", request, _cancelled
    )


async def reschedule_online_appointment(
    db: Database, company_id: str, request: opb.RescheduleOnlineAppointmentRequest, holds: Holding
) -> pb.Appointment:
    scope = "RescheduleOnlineAppointment"
    return await slot_booking.move_online(db, company_id, APPOINTMENTS, scope, request, holds, _moved)
