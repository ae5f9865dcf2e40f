"""Online booking of appointments (slots of appointment types): book, cancel online, reschedule
online. An appointment has no status: its online booking is recorded by the slot (and the
hold) naming it. The booking itself is the one booking path's (`entries`), planned in its slot
as sessions are (`slot_booking.plan_in_slot`); see `holds`. The requests are read, run once and
answered at the API edge (api/online_entry_convert.py), which builds the events too.
"""

from __future__ import annotations

import copy

from shutterbook_kit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
)
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import slot_booking
from shutterbook_scheduling.application.entries import (
    Announce,
    EntryChange,
    appointment_from_row,
    book_appointment,
    change_appointment_entry,
    load_appointment,
    replan_appointment,
)
from shutterbook_scheduling.application.planning import AppointmentPlan, planned_appointment
from shutterbook_scheduling.application.slot_booking import InSlot
from shutterbook_scheduling.domain.entries import Appointment, AppointmentEvent
from shutterbook_scheduling.domain.setup import BookingType
from shutterbook_scheduling.storage.hold_repository import HoldRepository
from shutterbook_scheduling.storage.models import AppointmentRow
from shutterbook_scheduling.storage.online_models import (
    TimeSlotRow,
)


async def _plan_appointment_in_slot(
    uow: UnitOfWork, company_id: str, appointment: Appointment, slot: TimeSlotRow, *, creating: bool
) -> AppointmentPlan:
    """Put the slot's local date, times and schedules on the appointment and plan it there."""
    at = await slot_booking.slot_times(uow, company_id, slot)
    appointment.appointment_date, appointment.start, appointment.end = at.day, at.start, at.end
    appointment.location = at.location.name
    appointment.schedules = [f"schedules/{s}" for s in sorted(at.schedule_ids)]
    return await slot_booking.plan_in_slot(
        slot, planned_appointment(uow, company_id, appointment, creating=creating), "appointment"
    )


async def _book_appointment(uow: UnitOfWork, at: InSlot, announce: Announce) -> Appointment:
    """Book the appointment of an appointment-type slot for the client. An appointment has no
    status: its online booking is recorded by the slot (and the hold) naming it."""
    appointment = Appointment(
        appointment_type=f"appointmentTypes/{at.slot.type_id}",
        client=f"clients/{at.client_id}",
        description=at.request.description,
        confirmed=True,  # booked online is confirmed, as for sessions
    )
    plan = await _plan_appointment_in_slot(uow, at.company_id, appointment, at.slot, creating=True)
    await book_appointment(
        uow, at.company_id, appointment, plan, announce, appointment_id=at.entry_id, allow_conflicts=False
    )
    return appointment


async def _online_appointment(uow: UnitOfWork, company_id: str, name: str) -> tuple[AppointmentRow, Appointment]:
    """The appointment, locked; booked online when a hold of a slot became it."""
    try:
        row = await load_appointment(uow, company_id, name, lock=True)
    except InvalidArgument as err:
        err.violations = [FieldViolation("appointment", v.description) for v in err.violations]
        raise
    booked = await HoldRepository(uow).booked_through(company_id, row.id)
    if booked is None:
        raise FailedPrecondition(f"{name} was not booked online", reason="NOT_BOOKED_ONLINE")
    return row, appointment_from_row(row)


CANCELLED_ONLINE = EntryChange("cancelled_online", occupies=False, allow_conflicts=True)
RESCHEDULED_ONLINE = EntryChange("rescheduled_online", occupies=True, allow_conflicts=False)


async def _cancelled(uow: UnitOfWork, row: AppointmentRow, appointment: Appointment) -> AppointmentEvent:
    appointment.cancelled = True
    plan = await replan_appointment(uow, row.company_id, row, appointment, CANCELLED_ONLINE)
    return AppointmentEvent("cancelled", copy.deepcopy(appointment), plan.booking_type)


async def _moved(
    uow: UnitOfWork, row: AppointmentRow, appointment: Appointment, slot: TimeSlotRow
) -> tuple[BookingType, AppointmentEvent]:
    plan = await _plan_appointment_in_slot(uow, row.company_id, appointment, slot, creating=False)
    await change_appointment_entry(uow, row.company_id, row, appointment, plan, RESCHEDULED_ONLINE)
    return plan.booking_type, AppointmentEvent("rescheduled", copy.deepcopy(appointment), plan.booking_type)


APPOINTMENTS = slot_booking.OnlineKind("appointment", _online_appointment, _book_appointment, _cancelled, _moved)
