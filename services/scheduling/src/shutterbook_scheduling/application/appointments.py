"""Staff use cases of appointments: book, read, list, update, reschedule, cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, tuple_

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, Violations
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.resource_names import parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application import entries
from shutterbook_scheduling.application.common import apply_mask, require_mask
from shutterbook_scheduling.application.planning import Plan, take_new_times
from shutterbook_scheduling.application.scope import scoped
from shutterbook_scheduling.application.slot_state import release_booking
from shutterbook_scheduling.storage import records
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
)


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
    v = Violations()
    client_id = parse_reference(request.client, "clients", field="client", violations=v, required=False)
    session_id = parse_reference(request.session, "sessions", field="session", violations=v, required=False)
    location_id = parse_reference(request.location, "locations", field="location", violations=v, required=False)
    v.raise_if_any()
    key = {"client": client_id, "session": session_id, "location": location_id}
    page = parse_page(request.page_size, request.page_token, key)
    query = scoped(select(AppointmentRow).where(AppointmentRow.company_id == company_id), AppointmentRow.location_id)
    if client_id:
        query = query.where(AppointmentRow.client_id == client_id)
    if session_id:
        query = query.where(AppointmentRow.session_id == session_id)
    if location_id:
        query = query.where(AppointmentRow.location_id == location_id)
    if page.cursor is not None:
        after = (datetime.fromisoformat(page.cursor["t"]), page.cursor["id"])
        query = query.where(tuple_(AppointmentRow.start_at, AppointmentRow.id) > after)
    query = query.order_by(AppointmentRow.start_at, AppointmentRow.id).limit(page.size + 1)
    async with UnitOfWork(db, readonly=True) as uow:
        rows = list((await uow.session.scalars(query)).all())
    more = len(rows) > page.size
    rows = rows[: page.size]
    cursor = {"t": rows[-1].start_at.isoformat(), "id": rows[-1].id} if more else None
    return pb.ListAppointmentsResponse(
        appointments=[records.appointment_message(r) for r in rows], next_page_token=next_token(cursor, key)
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
