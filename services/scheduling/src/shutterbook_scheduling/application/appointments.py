"""Staff use cases of appointments: book, read, list, update, reschedule, cancel."""

from __future__ import annotations

from collections.abc import Callable

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import entries
from shutterbook_scheduling.application.common import apply_mask, optional_references, require_mask
from shutterbook_scheduling.application.planning import Plan, take_new_times
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.application.slot_state import release_booking
from shutterbook_scheduling.storage import lists, records


async def create_appointment(db: Database, company_id: str, request: pb.CreateAppointmentRequest) -> pb.Appointment:
    created: pb.Appointment = await entries.create_entry(
        db, company_id, request, request.appointment, "CreateAppointment"
    )
    return created


async def get_appointment(db: Database, company_id: str, name: str) -> pb.Appointment:
    async with UnitOfWork(db, readonly=True) as uow:
        return records.appointment_message(await entries.load_appointment(uow, company_id, name))


async def list_appointments(
    db: Database, company_id: str, request: pb.ListAppointmentsRequest
) -> pb.ListAppointmentsResponse:
    refs = (("client", "clients", "client_id"), ("session", "sessions", "session_id"))
    equal = optional_references(request, (*refs, ("location", "locations", "location_id")))
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.appointments_page(
            uow.session, company_id, equal, request.page_size, request.page_token, scope=caller_scope()
        )
    return pb.ListAppointmentsResponse(
        appointments=[records.appointment_message(r) for r in page.items], next_page_token=page.next_page_token
    )


APPOINTMENT_UPDATABLE = {"description", "confirmed", "reminder_minutes", "schedules"}


async def _change_appointment(
    db: Database,
    company_id: str,
    name: str,
    change: Callable[[pb.Appointment], tuple[bool, bool]],
    emit: Callable[[UnitOfWork, pb.Appointment, pb.Appointment, Plan], None],
    *,
    action: str,
    allow_conflicts: bool,
    release_slot: bool = False,
) -> pb.Appointment:
    """`release_slot`: the change takes the appointment off an online slot it was booked in
    (the slot is free again, the slots its booking removed come back)."""

    async def work(uow: UnitOfWork, attempt: entries.Attempt) -> pb.Appointment:
        row = await entries.load_appointment(uow, company_id, name, lock=True)
        before = records.appointment_message(row)
        msg = pb.Appointment()
        msg.CopyFrom(before)
        replan, changed = change(msg)
        if not changed:
            return before
        stored = entries.EntryChange(action, occupies=not msg.cancelled, allow_conflicts=allow_conflicts, blocks=replan)
        plan = await entries.replan_appointment(uow, company_id, row, msg, stored, attempt=attempt)
        if release_slot:
            await release_booking(uow, company_id, row.id, msg.name)
        emit(uow, before, msg, plan)
        return msg

    return await entries.run_booking(db, company_id, pb.Appointment, work)


async def update_appointment(db: Database, company_id: str, request: pb.UpdateAppointmentRequest) -> pb.Appointment:
    require_mask(request.update_mask)
    paths: list[str] = []

    def change(msg: pb.Appointment) -> tuple[bool, bool]:
        paths.extend(
            apply_mask(
                msg, request.appointment, request.update_mask, field="appointment", writable=APPOINTMENT_UPDATABLE
            )
        )
        return "schedules" in paths, True

    def emit(uow: UnitOfWork, before: pb.Appointment, after: pb.Appointment, plan: Plan) -> None:
        uow.emit(
            events.APPOINTMENT_UPDATED,
            company_id,
            ev.AppointmentUpdatedEvent(
                appointment=entries.appointment_snapshot(after, plan.type_msg), changed_paths=paths
            ),
        )

    return await _change_appointment(
        db,
        company_id,
        request.appointment.name,
        change,
        emit,
        action="updated",
        allow_conflicts=request.allow_conflicts,
    )


async def reschedule_appointment(
    db: Database, company_id: str, request: pb.RescheduleAppointmentRequest
) -> pb.Appointment:
    def change(msg: pb.Appointment) -> tuple[bool, bool]:
        if msg.cancelled:
            raise FailedPrecondition(f"{msg.name} is cancelled", reason="APPOINTMENT_CANCELLED")
        take_new_times(msg, request, "appointment_date")
        return True, True

    def emit(uow: UnitOfWork, before: pb.Appointment, after: pb.Appointment, plan: Plan) -> None:
        event = ev.AppointmentRescheduledEvent(appointment=entries.appointment_snapshot(after, plan.type_msg))
        entries.emit_rescheduled(uow, company_id, events.APPOINTMENT_RESCHEDULED, event, before)

    return await _change_appointment(
        db,
        company_id,
        request.name,
        change,
        emit,
        action="rescheduled",
        allow_conflicts=request.allow_conflicts,
        release_slot=True,
    )


async def cancel_appointment(db: Database, company_id: str, request: pb.CancelAppointmentRequest) -> pb.Appointment:
    def change(msg: pb.Appointment) -> tuple[bool, bool]:
        if msg.cancelled:
            return False, False
        msg.cancelled = True
        return True, True

    def emit(uow: UnitOfWork, before: pb.Appointment, after: pb.Appointment, plan: Plan) -> None:
        uow.emit(
            events.APPOINTMENT_CANCELLED,
            company_id,
            ev.AppointmentCancelledEvent(appointment=entries.appointment_snapshot(after, plan.type_msg)),
        )

    return await _change_appointment(
        db, company_id, request.name, change, emit, action="cancelled", allow_conflicts=True, release_slot=True
    )
