"""The gateway's own events (the kit's EventType: subject and payload declared once), and
the scheduling events it listens to for its caches and open-slot read model."""

from __future__ import annotations

from shutterbook.gateway.v1 import events_pb2
from shutterbook_kit import shared_events
from shutterbook_kit.events import EventType

API_KEY_REVOKED = EventType("gateway.api_key.revoked", events_pb2.ApiKeyRevokedEvent)

# the customer's booking, as notifications reads it (declared in shared_events)
BOOKING_CONFIRMED = shared_events.BOOKING_CONFIRMED
BOOKING_RESCHEDULED = shared_events.BOOKING_RESCHEDULED
BOOKING_CANCELLED = shared_events.BOOKING_CANCELLED
