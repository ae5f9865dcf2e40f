"""Events announcing changes to what open slots are made of (time slots, locations, schedules,
session and appointment types), written to the outbox in the change's own transaction. The
gateway's open-slot read model and its caches of types and locations refresh on them
(README, "Open slots: the read model, caches and staleness")."""

from __future__ import annotations

from typing import Any

from shutterbook.scheduling.v1 import events_pb2 as sev
from shutterbook_kit.events import EventType
from shutterbook_kit.uow import UnitOfWork

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
