"""Staff use cases of appointments: book, read, list, update, reschedule, cancel.

Appointments are domain objects (domain/entries.py); the API edge (api/appointment_convert.py)
reads the requests, runs each change once (`Once`), merges an update's mask (`Merge`) and
builds the events (`announce`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime

from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition
from shutterbook_kit.pagination import Page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import entries
from shutterbook_scheduling.application.entries import A, Announce, Once, create_appointment
from shutterbook_scheduling.application.planning import Plan
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.application.slot_state import SlotAnnounce, SlotEvents, release_booking
from shutterbook_scheduling.domain.entries import Appointment, AppointmentEvent, Clock, Day, take_new_times
from shutterbook_scheduling.storage import entry_records, lists

# Merges an update's masked fields into the appointment as stored (the edge's: it checks the
# mask); returns the merged appointment and the paths applied.
Merge = Callable[[Appointment], tuple[Appointment, list[str]]]

__all__ = ["create_appointment"]


async def get_appointment(db: Database, company_id: str, name: str) -> Appointment:
    async with UnitOfWork(db, readonly=True) as uow:
        return entries.appointment_from_row(await entries.load_appointment(uow, company_id, name))


async def list_appointments(
    db: Database, company_id: str, equal: list[tuple[str, str]], page_size: int, page_token: str
) -> Page[Appointment]:
    """A page of the company's appointments in the caller's locations, filtered by `equal`
    ((column, id) pairs: client, session, location)."""
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.appointments_page(
            uow.session, company_id, equal, page_size, page_token, scope=caller_scope()
        )
    return Page([entry_records.appointment_of(r) for r in page.items], page.next_page_token)


APPOINTMENT_UPDATABLE = {"description", "confirmed", "reminder_minutes", "schedules"}


async def _change_appointment(
    company_id: str,
    name: str,
    change: Callable[[Appointment], tuple[Appointment, bool, bool]],
    emit: Callable[[UnitOfWork, Appointment, Appointment, Plan], None],
    once: Once[Appointment, A],
    *,
    action: str,
    allow_conflicts: bool,
    release_slot: SlotAnnounce | None = None,
) -> A:
    """`release_slot`: the change takes the appointment off an online slot it was booked in
    (the slot is free again, the slots its booking removed come back, announced by it: the
    edge's `SlotEvents.restored`)."""

    async def work(uow: UnitOfWork, attempt: entries.Attempt) -> Appointment:
        row = await entries.load_appointment(uow, company_id, name, lock=True)
        before = entries.appointment_from_row(row)
        appointment, replan, changed = change(copy.deepcopy(before))
        if not changed:
            return before
        occupies = not appointment.cancelled
        stored = entries.EntryChange(action, occupies=occupies, allow_conflicts=allow_conflicts, blocks=replan)
        plan = await entries.replan_appointment(uow, company_id, row, appointment, stored, attempt=attempt)
        if release_slot is not None:
            await release_booking(uow, company_id, row.id, appointment.name, release_slot)
        emit(uow, before, appointment, plan)
        return appointment

    return await once(work)


def _event(
    change: str,
    after: Appointment,
    plan: Plan,
    *,
    previous: tuple[datetime | None, datetime | None] | None = None,
    changed_paths: tuple[str, ...] = (),
) -> AppointmentEvent:
    return AppointmentEvent(change, copy.deepcopy(after), plan.booking_type, previous, changed_paths)


async def update_appointment(
    company_id: str, name: str, merge: Merge, allow_conflicts: bool, announce: Announce, once: Once[Appointment, A]
) -> A:
    paths: list[str] = []

    def change(appointment: Appointment) -> tuple[Appointment, bool, bool]:
        appointment, applied = merge(appointment)
        paths.extend(applied)
        return appointment, "schedules" in paths, True

    def emit(uow: UnitOfWork, before: Appointment, after: Appointment, plan: Plan) -> None:
        announce(uow, company_id, _event("updated", after, plan, changed_paths=tuple(paths)))

    return await _change_appointment(
        company_id, name, change, emit, once, action="updated", allow_conflicts=allow_conflicts
    )


async def cancel_appointment(
    company_id: str, name: str, announce: Announce, slots: SlotEvents, once: Once[Appointment, A]
) -> A:
    """The appointment cancelled; an online booking's slot given back (`slots`: the edge's slot
    events)."""

    def change(appointment: Appointment) -> tuple[Appointment, bool, bool]:
        if appointment.cancelled:
            return appointment, False, False
        appointment.cancelled = True
        return appointment, True, True

    def emit(uow: UnitOfWork, before: Appointment, after: Appointment, plan: Plan) -> None:
        announce(uow, company_id, _event("cancelled", after, plan))

    return await _change_appointment(
        company_id, name, change, emit, once, action="cancelled", allow_conflicts=True, release_slot=slots.restored
    )


async def reschedule_appointment(
    company_id: str,
    name: str,
    times: tuple[Day | None, Clock | None, Clock | None],
    allow_conflicts: bool,
    announce: Announce,
    slots: SlotEvents,
    once: Once[Appointment, A],
) -> A:
    """The appointment moved to the date and times given (`times`: date, start, end; no end:
    the type's duration); an online booking's slot given back (`slots`: the edge's slot
    events)."""

    def change(appointment: Appointment) -> tuple[Appointment, bool, bool]:
        if appointment.cancelled:
            raise FailedPrecondition(f"{appointment.name} is cancelled", reason="APPOINTMENT_CANCELLED")
        take_new_times(appointment, *times)
        return appointment, True, True

    def emit(uow: UnitOfWork, before: Appointment, after: Appointment, plan: Plan) -> None:
        announce(uow, company_id, _event("rescheduled", after, plan, previous=entries.previous_times(before)))

    return await _change_appointment(
        company_id,
        name,
        change,
        emit,
        once,
        action="rescheduled",
        allow_conflicts=allow_conflicts,
        release_slot=slots.restored,
    )
