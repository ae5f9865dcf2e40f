"""Appointments' requests at the API edge: each staff request read into the use case's plain
input (application/appointments.py), the update's mask merged here (`merge`), the create run
once per its request_id (`entry_convert.entry_once`), and the answer's message made of the
domain appointment; the events passed down (`announce_entry`, and `SLOT_EVENTS` for an online
booking's slot given back)."""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_scheduling.api import entry_convert
from shutterbook_scheduling.api.entry_convert import announce_entry, appointment_message, entry_once
from shutterbook_scheduling.api.proto_values import apply_mask, optional_references, require_mask
from shutterbook_scheduling.api.slot_events import SLOT_EVENTS
from shutterbook_scheduling.application import appointments
from shutterbook_scheduling.application.appointments import APPOINTMENT_UPDATABLE, Merge
from shutterbook_scheduling.domain.entries import Appointment

# Fields of an Appointment only the service sets: a create request's are ignored.
APPOINTMENT_OUTPUT_ONLY = ("name", "start_time", "end_time", "cancelled", "booked_by", "create_time", "update_time")


def new_appointment(given: pb.Appointment) -> Appointment:
    """A create request's appointment without its output-only fields."""
    entry = pb.Appointment()
    entry.CopyFrom(given)
    for name in APPOINTMENT_OUTPUT_ONLY:
        entry.ClearField(name)  # type: ignore[arg-type]
    return entry_convert.appointment(entry)


async def create_appointment(db: Database, company_id: str, request: pb.CreateAppointmentRequest) -> pb.Appointment:
    once = entry_once(db, company_id, pb.Appointment, appointment_message, request)
    appointment = new_appointment(request.appointment)
    return await appointments.create_appointment(company_id, appointment, request.allow_conflicts, announce_entry, once)


async def get_appointment(db: Database, company_id: str, name: str) -> pb.Appointment:
    return appointment_message(await appointments.get_appointment(db, company_id, name))


async def list_appointments(
    db: Database, company_id: str, request: pb.ListAppointmentsRequest
) -> pb.ListAppointmentsResponse:
    refs = (("client", "clients", "client_id"), ("session", "sessions", "session_id"))
    equal = optional_references(request, (*refs, ("location", "locations", "location_id")))
    page = await appointments.list_appointments(db, company_id, equal, request.page_size, request.page_token)
    return pb.ListAppointmentsResponse(
        appointments=[appointment_message(a) for a in page.items], next_page_token=page.next_page_token
    )


def merge(request: pb.UpdateAppointmentRequest) -> Merge:
    """The update's fields on the appointment as stored, as its mask says (INVALID_ARGUMENT for
    a path it may not name), and the paths applied."""

    def merged(stored: Appointment) -> tuple[Appointment, list[str]]:
        msg = appointment_message(stored)
        paths = apply_mask(
            msg, request.appointment, request.update_mask, field="appointment", writable=APPOINTMENT_UPDATABLE
        )
        return entry_convert.appointment(msg), paths

    return merged


async def update_appointment(db: Database, company_id: str, request: pb.UpdateAppointmentRequest) -> pb.Appointment:
    require_mask(request.update_mask)
    once = entry_once(db, company_id, pb.Appointment, appointment_message)
    name, allow = request.appointment.name, request.allow_conflicts
    return await appointments.update_appointment(company_id, name, merge(request), allow, announce_entry, once)


async def reschedule_appointment(
    db: Database, company_id: str, request: pb.RescheduleAppointmentRequest
) -> pb.Appointment:
    once = entry_once(db, company_id, pb.Appointment, appointment_message)
    times = entry_convert.new_times(request, "appointment_date")
    allow = request.allow_conflicts
    return await appointments.reschedule_appointment(
        company_id, request.name, times, allow, announce_entry, SLOT_EVENTS, once
    )


async def cancel_appointment(db: Database, company_id: str, request: pb.CancelAppointmentRequest) -> pb.Appointment:
    once = entry_once(db, company_id, pb.Appointment, appointment_message)
    return await appointments.cancel_appointment(company_id, request.name, announce_entry, SLOT_EVENTS, once)
