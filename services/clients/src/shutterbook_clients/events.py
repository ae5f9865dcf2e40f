"""Every event the clients service publishes (on the CLIENTS stream), and the scheduling events
it consumes: subject and payload.

The `clients.client.*` events are consumed by scheduling and billing, so they are declared
in `shutterbook_kit.shared_events` and re-exported here.
"""

from __future__ import annotations

from shutterbook.clients.v1 import events_pb2
from shutterbook_kit import shared_events
from shutterbook_kit.events import EventType

ORGANIZATION_CREATED = EventType("clients.organization.created", events_pb2.OrganizationChangedEvent)
ORGANIZATION_UPDATED = EventType("clients.organization.updated", events_pb2.OrganizationChangedEvent)
ORGANIZATION_DELETED = EventType("clients.organization.deleted", events_pb2.OrganizationChangedEvent)
MEMBERSHIP_CHANGED = EventType("clients.membership.changed", events_pb2.MembershipChangedEvent)

GROUP_CREATED = EventType("clients.group.created", events_pb2.ClientGroupChangedEvent)
GROUP_UPDATED = EventType("clients.group.updated", events_pb2.ClientGroupChangedEvent)
GROUP_DELETED = EventType("clients.group.deleted", events_pb2.ClientGroupChangedEvent)
GROUP_MEMBERSHIP_CHANGED = EventType("clients.group_membership.changed", events_pb2.ClientGroupMembershipChangedEvent)

SAVED_FILTER_CREATED = EventType("clients.saved_filter.created", events_pb2.SavedFilterChangedEvent)
SAVED_FILTER_UPDATED = EventType("clients.saved_filter.updated", events_pb2.SavedFilterChangedEvent)
SAVED_FILTER_DELETED = EventType("clients.saved_filter.deleted", events_pb2.SavedFilterChangedEvent)

# consumed by scheduling and billing too, so declared in shutterbook_kit.shared_events
CLIENT_CREATED = shared_events.CLIENT_CREATED
CLIENT_UPDATED = shared_events.CLIENT_UPDATED
CLIENT_DELETED = shared_events.CLIENT_DELETED
CLIENT_MERGED = shared_events.CLIENT_MERGED

# consumed from scheduling (application/last_sessions.py): a client's last session
SESSION_BOOKED = shared_events.SESSION_BOOKED
SESSION_RESCHEDULED = shared_events.SESSION_RESCHEDULED
SESSION_CANCELLED = shared_events.SESSION_CANCELLED
