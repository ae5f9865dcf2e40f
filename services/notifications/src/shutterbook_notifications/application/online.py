"""Bookings the client made themself, their reschedules and cancellations -> the client, with
an .ics attachment (the kit's one calendar file, the UID the gateway's download uses) and
the manage link: online bookings (the gateway's events) and picture day bookings
(scheduling's, `picture_days`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from shutterbook_kit.calendar_file import CalendarEntry, booking_ics
from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.application import directory
from shutterbook_notifications.application.outgoing import Outgoing, Recipient, queue_purpose
from shutterbook_notifications.application.sessions import UpstreamReads
from shutterbook_notifications.domain.context import ClientFacts, LocationFacts, SessionFacts, letter_context
from shutterbook_notifications.domain.letters import Purpose
from shutterbook_notifications.transports.smtp import Attachment


@dataclass(frozen=True)
class OnlineBooking:
    company_id: str
    event_id: str
    occurred: datetime
    booking_id: str
    booking: str  # sessions/{id} | appointments/{id}
    client_id: str
    given_name: str
    family_name: str
    email: str
    type_name: str
    start: datetime
    end: datetime
    location_name: str
    location_address: str
    time_zone: str
    manage_url: str
    participants: str = ""  # who is photographed, when not the client (a picture day's children)


async def booking_changed(
    uow: UnitOfWork, reads: UpstreamReads, b: OnlineBooking, purpose: Purpose, company_name: str = ""
) -> None:
    cancelled = purpose is Purpose.CANCELLATION
    place = LocationFacts.of(b.location_name, b.location_address)
    where = ", ".join(p for p in (place.name, place.address) if p)
    summary = b.type_name or "Booking"
    ics = booking_ics(
        CalendarEntry(
            booking_id=b.booking_id,
            summary=f"{summary} for {b.participants}" if b.participants else summary,
            start=b.start,
            end=b.end,
            time_zone=b.time_zone,
            location=where,
            description=f"Manage your booking: {b.manage_url}" if b.manage_url and not cancelled else "",
            cancelled=cancelled,
            stamp=b.occurred,
            # later changes must carry a higher sequence for calendars to apply them
            sequence=0 if purpose is Purpose.ONLINE_BOOKING_CONFIRMATION else int(b.occurred.timestamp()) // 60,
        )
    )
    client = ClientFacts(given_name=b.given_name, family_name=b.family_name, email=b.email)
    if not b.email:  # a change made through the manage link: the client's primary email
        client = directory.facts(await directory.client(uow, b.company_id, b.client_id))
    context = letter_context(
        client,
        SessionFacts(
            start=b.start, end=b.end, time_zone=b.time_zone, type_name=b.type_name, participants=b.participants
        ),
        place,
        manage_url="" if cancelled else b.manage_url,
        company_name=company_name,
    )
    # a confirmation once per booking; each reschedule or cancellation once per event
    key = (
        f"online:{b.booking_id}:confirmed" if purpose is Purpose.ONLINE_BOOKING_CONFIRMATION else f"event:{b.event_id}"
    )
    await queue_purpose(
        uow,
        Outgoing(
            company_id=b.company_id,
            dedupe_key=key,
            recipient=Recipient(client_id=b.client_id, email=client.email),
            context=context,
            session=b.booking,
            attachments=[Attachment("booking.ics", "text/calendar", ics)],
            account=(
                partial(reads.session_account, b.company_id, b.booking.removeprefix("sessions/"))
                if b.booking.startswith("sessions/")
                else None
            ),
        ),
        purpose,
    )
