"""Sessions and appointments booked by staff, one import away: the use cases live in
`sessions` and `appointments` (their requests read at the API edge, api/session_convert.py and
api/appointment_convert.py), the steps every booking path shares in `entries`, planning in
`planning`.

Bulk scheduling (`bulk_jobs`, `bulk_runner`) still books with the API's messages: a
CreateSession request, a Session message to plan. `create_session` and `plan_session` here
read them at the API edge for it, importing the edge when called (the edge imports the use
cases), until bulk scheduling hands over domain sessions itself."""

from __future__ import annotations

from typing import Any

from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import planning
from shutterbook_scheduling.application.appointments import (
    cancel_appointment,
    create_appointment,
    get_appointment,
    list_appointments,
    reschedule_appointment,
    update_appointment,
)
from shutterbook_scheduling.application.common import SOURCE
from shutterbook_scheduling.application.conflicts import Conflict, ScheduleConflict, find_conflicts
from shutterbook_scheduling.application.entries import next_session_number
from shutterbook_scheduling.application.planning import (
    APPOINTMENT,
    SESSION,
    Plan,
    entry_name,
    plan_appointment,
)
from shutterbook_scheduling.application.session_list import list_sessions
from shutterbook_scheduling.application.sessions import (
    cancel_session,
    get_session,
    hold_session,
    reschedule_session,
    update_session,
)
from shutterbook_scheduling.domain.entries import PlannedBlock, Session


async def create_session(db: Database, company_id: str, request: Any) -> Any:
    """Book a session from a CreateSession request (bulk scheduling's items): the edge's
    `session_convert.create_session`, its answer the Session message."""
    from shutterbook_scheduling.api import session_convert

    return await session_convert.create_session(db, company_id, request)


async def plan_session(
    uow: UnitOfWork, company_id: str, session: Any, v: Violations, *, creating: bool, participants: bool
) -> Plan | None:
    """`planning.plan_session` of a domain session, or of a Session message (bulk scheduling's
    template check) read at the edge first."""
    from shutterbook_scheduling.api import entry_convert

    entry = session if isinstance(session, Session) else entry_convert.session(session)
    return await planning.plan_session(uow, company_id, entry, v, creating=creating, participants=participants)


__all__ = [
    "APPOINTMENT",
    "SESSION",
    "SOURCE",
    "Conflict",
    "Plan",
    "PlannedBlock",
    "ScheduleConflict",
    "cancel_appointment",
    "cancel_session",
    "create_appointment",
    "create_session",
    "entry_name",
    "find_conflicts",
    "get_appointment",
    "get_session",
    "hold_session",
    "list_appointments",
    "list_sessions",
    "next_session_number",
    "plan_appointment",
    "plan_session",
    "reschedule_appointment",
    "reschedule_session",
    "update_appointment",
    "update_session",
]
