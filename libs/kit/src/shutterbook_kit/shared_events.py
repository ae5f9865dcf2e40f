"""The events one service publishes and another consumes, declared once for both sides.

The producer's `events.py` re-exports these next to its own; the consumers subscribe to
them from here. Moving an event here is how a second service starts consuming it.
"""

from __future__ import annotations

from shutterbook.clients.v1 import events_pb2 as clients_events
from shutterbook.gateway.v1 import events_pb2 as gateway_events
from shutterbook.scheduling.v1 import events_pb2 as scheduling_events
from shutterbook.scheduling.v1 import online_pb2, scheduling_pb2
from shutterbook_kit.events import EventType

# clients -> scheduling and billing (their client directories)
CLIENT_CREATED = EventType("clients.client.created", clients_events.ClientCreatedEvent)
CLIENT_UPDATED = EventType("clients.client.updated", clients_events.ClientUpdatedEvent)
CLIENT_DELETED = EventType("clients.client.deleted", clients_events.ClientDeletedEvent)
CLIENT_MERGED = EventType("clients.client.merged", clients_events.ClientMergedEvent)

# scheduling -> billing (the session fee invoice)
SESSION_BOOKED = EventType("scheduling.session.booked", scheduling_events.SessionBookedEvent)

# scheduling -> the gateway's open-slot read model (every change that can open or close a slot)
SESSION_RESCHEDULED = EventType("scheduling.session.rescheduled", scheduling_events.SessionRescheduledEvent)
SESSION_CANCELLED = EventType("scheduling.session.cancelled", scheduling_events.SessionCancelledEvent)
SESSION_UPDATED = EventType("scheduling.session.updated", scheduling_events.SessionUpdatedEvent)
SESSION_STATUS_CHANGED = EventType("scheduling.session.status_changed", scheduling_events.SessionStatusChangedEvent)
APPOINTMENT_BOOKED = EventType("scheduling.appointment.booked", scheduling_events.AppointmentBookedEvent)
APPOINTMENT_RESCHEDULED = EventType("scheduling.appointment.rescheduled", scheduling_events.AppointmentRescheduledEvent)
APPOINTMENT_CANCELLED = EventType("scheduling.appointment.cancelled", scheduling_events.AppointmentCancelledEvent)
APPOINTMENT_UPDATED = EventType("scheduling.appointment.updated", scheduling_events.AppointmentUpdatedEvent)
SLOT_HELD = EventType("scheduling.slot.held", online_pb2.SlotHeldEvent)
SLOT_RELEASED = EventType("scheduling.slot.released", online_pb2.SlotReleasedEvent)
SLOT_BOOKED = EventType("scheduling.slot.booked", online_pb2.SlotBookedEvent)
SLOT_REMOVED = EventType("scheduling.slot.removed", online_pb2.SlotRemovedEvent)
SLOT_RESTORED = EventType("scheduling.slot.restored", online_pb2.SlotRestoredEvent)

# scheduling -> notifications (reminders, form letters)
SESSION_REMINDER_DUE = EventType("scheduling.session.reminder_due", scheduling_events.SessionReminderDueEvent)

# scheduling -> notifications (a picture day family's confirmation, reschedule and cancellation)
PICTURE_DAY_BOOKING_BOOKED = EventType(
    "scheduling.picture_day_booking.booked", scheduling_events.PictureDayBookingBookedEvent
)
PICTURE_DAY_BOOKING_RESCHEDULED = EventType(
    "scheduling.picture_day_booking.rescheduled", scheduling_events.PictureDayBookingRescheduledEvent
)
PICTURE_DAY_BOOKING_CANCELLED = EventType(
    "scheduling.picture_day_booking.cancelled", scheduling_events.PictureDayBookingCancelledEvent
)

# gateway -> notifications (the customer's confirmation, reschedule and cancellation emails)
BOOKING_CONFIRMED = EventType("gateway.booking.confirmed", gateway_events.OnlineBookingConfirmedEvent)
BOOKING_RESCHEDULED = EventType("gateway.booking.rescheduled", gateway_events.OnlineBookingRescheduledEvent)
BOOKING_CANCELLED = EventType("gateway.booking.cancelled", gateway_events.OnlineBookingCancelledEvent)

# scheduling -> the gateway's open-slot read model and its caches of types and locations
TIME_SLOT_CREATED = EventType("scheduling.time_slot.created", online_pb2.TimeSlotChangedEvent)
TIME_SLOT_UPDATED = EventType("scheduling.time_slot.updated", online_pb2.TimeSlotChangedEvent)
TIME_SLOT_DELETED = EventType("scheduling.time_slot.deleted", online_pb2.TimeSlotChangedEvent)
TIME_SLOTS_GENERATED = EventType("scheduling.time_slots.generated", online_pb2.TimeSlotsGeneratedEvent)
LOCATION_CHANGED = EventType("scheduling.location.changed", scheduling_events.ConfigurationChangedEvent)
SCHEDULE_CHANGED = EventType("scheduling.schedule.changed", scheduling_events.ConfigurationChangedEvent)
SESSION_TYPE_CHANGED = EventType("scheduling.session_type.changed", scheduling_events.ConfigurationChangedEvent)
APPOINTMENT_TYPE_CHANGED = EventType("scheduling.appointment_type.changed", scheduling_events.ConfigurationChangedEvent)
CONFIGURATION_EVENTS = (LOCATION_CHANGED, SCHEDULE_CHANGED, SESSION_TYPE_CHANGED, APPOINTMENT_TYPE_CHANGED)

# scheduling -> billing (its copy of the studio's profile, printed on documents) and the gateway
# (the booking page's studio name, logo and colour)
COMPANY_CHANGED = EventType("scheduling.company.changed", scheduling_pb2.CompanyProfileChangedEvent)
