"""Staff use cases of appointments: book, read, list, update, reschedule, cancel."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, Violations
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application.common import apply_mask, optional_references
from shutterbook_scheduling.application.entries import (
    Attempt,
    appointment_snapshot,
    book_appointment,
    change_appointment_entry,
    load_appointment,
    run_booking,
)
from shutterbook_scheduling.application.planning import Plan, planned_appointment
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.application.slot_state import release_booking
from shutterbook_scheduling.storage import lists, records


async def create_appointment(db: Database, company_id: str, request: pb.CreateAppointmentRequest) -> pb.Appointment:
    async def work(uow: UnitOfWork, attempt: Attempt) -> pb.Appointment:
        msg = pb.Appointment()
        msg.CopyFrom(request.appointment)
        for output_only in ("name", "start_time", "end_time", "cancelled", "booked_by", "create_time"):
            msg.ClearField(output_only)
        msg.ClearField("update_time")
        plan = await planned_appointment(uow, company_id, msg, creating=True)
        appointment_id = str(uuid.uuid4())
        attempt.planned(plan, appointment_id)
        await book_appointment(
            uow, company_id, msg, plan, appointment_id=appointment_id, allow_conflicts=request.allow_conflicts
        )
        return msg

    return await run_booking(
        db, company_id, pb.Appointment, work, scope="CreateAppointment", request=request, request_id=request.request_id
    )


async def get_appointment(db: Database, company_id: str, name: str) -> pb.Appointment:
    async with UnitOfWork(db, readonly=True) as uow:
        return records.appointment_message(await load_appointment(uow, company_id, name))


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

    async def work(uow: UnitOfWork, attempt: Attempt) -> pb.Appointment:
        row = await load_appointment(uow, company_id, name, lock=True)
        before = records.appointment_message(row)
        msg = pb.Appointment()
        msg.CopyFrom(before)
        replan, changed = change(msg)
        if not changed:
            return before
        plan = await planned_appointment(uow, company_id, msg, creating=False)
        attempt.planned(plan, row.id)
        await change_appointment_entry(
            uow,
            company_id,
            row,
            msg,
            plan,
            blocks=replan,
            occupies=not msg.cancelled,
            allow_conflicts=allow_conflicts,
            action=action,
        )
        if release_slot:
            await release_booking(uow, company_id, row.id, msg.name)
        emit(uow, before, msg, plan)
        return msg

    return await run_booking(db, company_id, pb.Appointment, work)


async def update_appointment(db: Database, company_id: str, request: pb.UpdateAppointmentRequest) -> pb.Appointment:
    v = Violations()
    if not request.update_mask.paths:
        v.add("update_mask", "name the fields to change")
    v.raise_if_any()
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
            ev.AppointmentUpdatedEvent(appointment=appointment_snapshot(after, plan.type_msg), changed_paths=paths),
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
        msg.appointment_date.CopyFrom(request.appointment_date)
        msg.start.CopyFrom(request.start)
        if request.HasField("end"):
            msg.end.CopyFrom(request.end)
        else:
            msg.ClearField("end")
        return True, True

    def emit(uow: UnitOfWork, before: pb.Appointment, after: pb.Appointment, plan: Plan) -> None:
        event = ev.AppointmentRescheduledEvent(appointment=appointment_snapshot(after, plan.type_msg))
        event.previous_start_time.CopyFrom(before.start_time)
        event.previous_end_time.CopyFrom(before.end_time)
        uow.emit(events.APPOINTMENT_RESCHEDULED, company_id, event)

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
            ev.AppointmentCancelledEvent(appointment=appointment_snapshot(after, plan.type_msg)),
        )

    return await _change_appointment(
        db, company_id, request.name, change, emit, action="cancelled", allow_conflicts=True, release_slot=True
    )
