"""The audit trail of scheduling's records, read per record (`shutterbook_kit.audit`) by the
collections named here; a record at a location the caller is not given is NOT_FOUND, as one of
another company is (`domain/locations.py`). Entries are read as plain `audit.Entry`s; the
response message is made at the API edge (`audit.entries_response`)."""

from __future__ import annotations

from typing import Any

from shutterbook_kit import audit
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound
from shutterbook_kit.pagination import Page
from shutterbook_kit.resource_names import is_canonical_uuid
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.scope import caller_scope, caller_sees
from shutterbook_scheduling.storage.lists import location_of
from shutterbook_scheduling.storage.models import (
    AppointmentRow,
    BookingTypeRow,
    LocationRow,
    ScheduleRow,
    SessionRow,
    SessionStatusRow,
    StaffMemberRow,
)
from shutterbook_scheduling.storage.online_models import TimeSlotRow

# The records whose history this service keeps, by collection.
RECORDS: dict[str, Any] = {
    "sessions": SessionRow,
    "appointments": AppointmentRow,
    "sessionTypes": BookingTypeRow,
    "appointmentTypes": BookingTypeRow,
    "timeSlots": TimeSlotRow,
    "locations": LocationRow,
    "schedules": ScheduleRow,
    "staffMembers": StaffMemberRow,
    "sessionStatuses": SessionStatusRow,
}

# Where each located record is: the column naming its location.
LOCATED: dict[str, Any] = {
    "sessions": SessionRow.location_id,
    "appointments": AppointmentRow.location_id,
    "timeSlots": TimeSlotRow.location_id,
    "schedules": ScheduleRow.location_id,
    "locations": LocationRow.id,
}


async def list_audit_entries(
    db: Database, company_id: str, parent: str, page_size: int, page_token: str
) -> Page[audit.Entry]:
    """A page of the entries of the record `parent` (`collection/{id}`), newest first."""
    collection, _, record_id = parent.partition("/")
    column = LOCATED.get(collection)
    if column is not None and caller_scope() is not None and is_canonical_uuid(record_id):
        model = RECORDS[collection]
        async with UnitOfWork(db, readonly=True) as uow:
            location_id = await location_of(uow, model, column, company_id, record_id)
        if location_id is not None and not caller_sees(location_id):
            raise NotFound(f"{parent} not found")
    return await audit.read_entries(db, company_id, parent, page_size, page_token, RECORDS)
