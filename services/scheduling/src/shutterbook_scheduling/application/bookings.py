"""Sessions and appointments booked by staff, one import away: the use cases live in
`sessions` and `appointments`, the steps every booking path shares in `entries`, planning in
`planning`."""

from __future__ import annotations

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
from shutterbook_scheduling.application.entries import (
    appointment_snapshot,
    next_session_number,
    session_snapshot,
)
from shutterbook_scheduling.application.planning import (
    APPOINTMENT,
    SESSION,
    Plan,
    PlannedBlock,
    entry_name,
    plan_appointment,
    plan_session,
)
from shutterbook_scheduling.application.session_list import list_sessions
from shutterbook_scheduling.application.sessions import (
    cancel_session,
    create_session,
    get_session,
    hold_session,
    reschedule_session,
    update_session,
)

__all__ = [
    "APPOINTMENT",
    "SESSION",
    "SOURCE",
    "Conflict",
    "Plan",
    "PlannedBlock",
    "ScheduleConflict",
    "appointment_snapshot",
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
    "session_snapshot",
    "update_appointment",
    "update_session",
]
