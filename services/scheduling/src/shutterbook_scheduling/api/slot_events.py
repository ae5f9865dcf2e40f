"""Online time slots' events at the API edge: built here from domain slots (domain/time_slots.py)
as protobuf messages and passed down to the use cases as `slot_state.SlotEvents` (`SLOT_EVENTS`),
which they call in the change's unit of work: a slot created, updated or deleted
(`scheduling.time_slot.*`), many generated at once, and a slot booked, removed by a booking
overlapping it, or restored when that booking went."""

from __future__ import annotations

from collections.abc import Sequence

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.api.slot_messages import time_slot_message
from shutterbook_scheduling.application.slot_state import SlotEvents
from shutterbook_scheduling.domain.time_slots import TimeSlot, slot_span


def booking_ref(booking: str) -> dict[str, str]:
    """The event field naming a booking: `session` or `appointment`."""
    return {"appointment": booking} if booking.startswith("appointments/") else {"session": booking}


def created(uow: UnitOfWork, company_id: str, slot: TimeSlot) -> None:
    uow.emit(events.TIME_SLOT_CREATED, company_id, opb.TimeSlotChangedEvent(time_slot=time_slot_message(slot)))


def updated(uow: UnitOfWork, company_id: str, slot: TimeSlot, paths: Sequence[str]) -> None:
    message = opb.TimeSlotChangedEvent(time_slot=time_slot_message(slot), changed_paths=list(paths))
    uow.emit(events.TIME_SLOT_UPDATED, company_id, message)


def deleted(uow: UnitOfWork, company_id: str, slot: TimeSlot) -> None:
    uow.emit(events.TIME_SLOT_DELETED, company_id, opb.TimeSlotChangedEvent(time_slot=time_slot_message(slot)))


def generated(uow: UnitOfWork, company_id: str, slots: Sequence[TimeSlot]) -> None:
    """Many slots of one template at once, announced by their span (nothing when none)."""
    span = slot_span(list(slots))
    if span is None:
        return
    first, last = (time_slot_message(s) for s in span)
    uow.emit(
        events.TIME_SLOTS_GENERATED,
        company_id,
        opb.TimeSlotsGeneratedEvent(
            location=first.location,
            session_type=first.session_type,
            appointment_type=first.appointment_type,
            start_time=first.start_time,
            end_time=last.end_time,
            slot_count=len(slots),
        ),
    )


def booked(uow: UnitOfWork, company_id: str, slot: TimeSlot, booking: str) -> None:
    message = opb.SlotBookedEvent(time_slot=time_slot_message(slot), **booking_ref(booking))
    uow.emit(events.SLOT_BOOKED, company_id, message)


def removed(uow: UnitOfWork, company_id: str, slot: TimeSlot, booking: str) -> None:
    message = opb.SlotRemovedEvent(time_slot=time_slot_message(slot), **booking_ref(booking))
    uow.emit(events.SLOT_REMOVED, company_id, message)


def restored(uow: UnitOfWork, company_id: str, slot: TimeSlot, booking: str) -> None:
    message = opb.SlotRestoredEvent(time_slot=time_slot_message(slot), **booking_ref(booking))
    uow.emit(events.SLOT_RESTORED, company_id, message)


SLOT_EVENTS = SlotEvents(
    created=created,
    updated=updated,
    deleted=deleted,
    generated=generated,
    booked=booked,
    removed=removed,
    restored=restored,
)
