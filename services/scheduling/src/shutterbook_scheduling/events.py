"""Every event scheduling publishes (on the SCHEDULING stream) and every event it consumes:
subject and payload type, once.

Events another service consumes are declared in `shutterbook_kit.shared_events` (both sides
read them from there) and re-exported here; the rest are scheduling's alone.
"""

from __future__ import annotations

from typing import Any

from shutterbook.scheduling.v1 import bulk_pb2
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook_kit import shared_events
from shutterbook_kit.events import EventType

# published, and consumed elsewhere
SESSION_BOOKED = shared_events.SESSION_BOOKED
SESSION_RESCHEDULED = shared_events.SESSION_RESCHEDULED
SESSION_CANCELLED = shared_events.SESSION_CANCELLED
SESSION_UPDATED = shared_events.SESSION_UPDATED
SESSION_STATUS_CHANGED = shared_events.SESSION_STATUS_CHANGED
SESSION_REMINDER_DUE = shared_events.SESSION_REMINDER_DUE
APPOINTMENT_BOOKED = shared_events.APPOINTMENT_BOOKED
APPOINTMENT_RESCHEDULED = shared_events.APPOINTMENT_RESCHEDULED
APPOINTMENT_CANCELLED = shared_events.APPOINTMENT_CANCELLED
APPOINTMENT_UPDATED = shared_events.APPOINTMENT_UPDATED
SLOT_HELD = shared_events.SLOT_HELD
SLOT_RELEASED = shared_events.SLOT_RELEASED
SLOT_BOOKED = shared_events.SLOT_BOOKED
SLOT_REMOVED = shared_events.SLOT_REMOVED
SLOT_RESTORED = shared_events.SLOT_RESTORED
TIME_SLOT_CREATED = shared_events.TIME_SLOT_CREATED
TIME_SLOT_UPDATED = shared_events.TIME_SLOT_UPDATED
TIME_SLOT_DELETED = shared_events.TIME_SLOT_DELETED
TIME_SLOTS_GENERATED = shared_events.TIME_SLOTS_GENERATED
LOCATION_CHANGED = shared_events.LOCATION_CHANGED
SCHEDULE_CHANGED = shared_events.SCHEDULE_CHANGED
SESSION_TYPE_CHANGED = shared_events.SESSION_TYPE_CHANGED
APPOINTMENT_TYPE_CHANGED = shared_events.APPOINTMENT_TYPE_CHANGED
PICTURE_DAY_BOOKING_BOOKED = shared_events.PICTURE_DAY_BOOKING_BOOKED
PICTURE_DAY_BOOKING_RESCHEDULED = shared_events.PICTURE_DAY_BOOKING_RESCHEDULED
PICTURE_DAY_BOOKING_CANCELLED = shared_events.PICTURE_DAY_BOOKING_CANCELLED
COMPANY_CHANGED = shared_events.COMPANY_CHANGED

# published, scheduling's alone
BULK_JOB_COMPLETED = EventType("scheduling.bulk_job.completed", bulk_pb2.BulkJobCompletedEvent)
# a session status created, updated or deleted: heard by every replica's reference cache
# (application/reference_cache.py), which keeps statuses for the online booking paths
SESSION_STATUS_SETUP_CHANGED = EventType(
    "scheduling.session_status.changed", scheduling_events.ConfigurationChangedEvent
)
# what the reference cache hears: the configuration events and the statuses'
REFERENCE_EVENTS: tuple[EventType[Any], ...] = (*shared_events.CONFIGURATION_EVENTS, SESSION_STATUS_SETUP_CHANGED)

# consumed (clients' changes, for the known-clients directory)
CLIENT_CREATED = shared_events.CLIENT_CREATED
CLIENT_UPDATED = shared_events.CLIENT_UPDATED
CLIENT_DELETED = shared_events.CLIENT_DELETED
CLIENT_MERGED = shared_events.CLIENT_MERGED

# every event scheduling publishes (what a process hears to keep its read model of open slots current)
PUBLISHED: tuple[EventType[Any], ...] = tuple(
    value
    for value in list(globals().values())
    if isinstance(value, EventType) and value.subject.startswith("scheduling.")
)
