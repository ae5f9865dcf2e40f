"""Events announcing changes to what open slots are made of (time slots, locations, schedules,
session and appointment types), written to the outbox in the change's own transaction. The
gateway's open-slot read model and its caches of types and locations refresh on them
(README, "Open slots: the read model, caches and staleness")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shutterbook.scheduling.v1 import events_pb2 as sev
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit.events import EventType
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events

CREATED = sev.CONFIGURATION_CHANGE_CREATED
UPDATED = sev.CONFIGURATION_CHANGE_UPDATED
DELETED = sev.CONFIGURATION_CHANGE_DELETED


def configuration_changed(
    uow: UnitOfWork, event: EventType[Any] | None, company_id: str, name: str, change: sev.ConfigurationChange.ValueType
) -> None:
    """A location, schedule or type was created, updated or deleted (`event` None: a resource
    nothing outside scheduling keeps, such as a status)."""
    if event is not None:
        uow.emit(event, company_id, sev.ConfigurationChangedEvent(name=name, change=change))


def time_slot_changed(
    uow: UnitOfWork,
    event: EventType[opb.TimeSlotChangedEvent],
    company_id: str,
    slot: opb.TimeSlot,
    paths: Sequence[str] = (),
) -> None:
    uow.emit(event, company_id, opb.TimeSlotChangedEvent(time_slot=slot, changed_paths=list(paths)))


def time_slots_generated(uow: UnitOfWork, company_id: str, slots: Sequence[opb.TimeSlot]) -> None:
    """Many slots of one template at once, announced by their span (nothing when none)."""
    if not slots:
        return
    first = min(slots, key=lambda s: (s.start_time.seconds, s.start_time.nanos))
    last = max(slots, key=lambda s: (s.end_time.seconds, s.end_time.nanos))
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
