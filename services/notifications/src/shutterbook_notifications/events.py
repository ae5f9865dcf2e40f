"""Every event notifications consumes (it publishes none): subject and payload type, declared
once by their producers in `shutterbook_kit.shared_events` and re-exported here."""

from __future__ import annotations

from shutterbook_kit import shared_events

# clients: the directory of names, emails and preferences the letters are sent to
CLIENT_CREATED = shared_events.CLIENT_CREATED
CLIENT_UPDATED = shared_events.CLIENT_UPDATED
CLIENT_DELETED = shared_events.CLIENT_DELETED
CLIENT_MERGED = shared_events.CLIENT_MERGED

# scheduling: the staff-booked sessions' letters and reminders
SESSION_BOOKED = shared_events.SESSION_BOOKED
SESSION_STATUS_CHANGED = shared_events.SESSION_STATUS_CHANGED
SESSION_RESCHEDULED = shared_events.SESSION_RESCHEDULED
SESSION_CANCELLED = shared_events.SESSION_CANCELLED
SESSION_UPDATED = shared_events.SESSION_UPDATED
SESSION_REMINDER_DUE = shared_events.SESSION_REMINDER_DUE

# scheduling: a picture day family's own booking (issue 21), with its calendar file
PICTURE_DAY_BOOKING_BOOKED = shared_events.PICTURE_DAY_BOOKING_BOOKED
PICTURE_DAY_BOOKING_RESCHEDULED = shared_events.PICTURE_DAY_BOOKING_RESCHEDULED
PICTURE_DAY_BOOKING_CANCELLED = shared_events.PICTURE_DAY_BOOKING_CANCELLED

# gateway: the online bookings' letters (the event carries the manage link)
BOOKING_CONFIRMED = shared_events.BOOKING_CONFIRMED
BOOKING_RESCHEDULED = shared_events.BOOKING_RESCHEDULED
BOOKING_CANCELLED = shared_events.BOOKING_CANCELLED
