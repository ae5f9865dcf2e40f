"""A picture day family's own booking (issue 21; scheduling's `picture_day_booking` events) ->
the family's confirmation, reschedule and cancellation emails, as for a booking made online:
the same letters, the same calendar file (its UID the booking's, so a reschedule moves the
event and a cancellation removes it), plus the children's names. The family's email is the
client's primary email in the directory (an event of a client not known yet is retried)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shutterbook_kit.uow import UnitOfWork
from shutterbook_notifications.application.online import OnlineBooking, booking_changed
from shutterbook_notifications.application.sessions import UpstreamReads
from shutterbook_notifications.domain.letters import Purpose


@dataclass(frozen=True)
class PictureDayBooking:
    company_id: str
    event_id: str
    occurred: datetime
    booking_id: str  # the picture day booking's id (the calendar file's UID)
    session_id: str
    client_id: str
    children: list[str]  # the children's names
    type_name: str
    start: datetime
    end: datetime
    location_id: str
    time_zone: str


def names(children: list[str]) -> str:
    """ "Mia", "Mia and Leo", "Mia, Leo and Ava"."""
    if len(children) < 2:
        return "".join(children)
    return f"{', '.join(children[:-1])} and {children[-1]}"


async def booking_changed_on_picture_day(
    uow: UnitOfWork, reads: UpstreamReads, b: PictureDayBooking, purpose: Purpose, company_name: str = ""
) -> None:
    place = await reads.find(b.company_id, b.location_id)
    booking = OnlineBooking(
        company_id=b.company_id,
        event_id=b.event_id,
        occurred=b.occurred,
        booking_id=b.booking_id,
        booking=f"sessions/{b.session_id}",
        client_id=b.client_id,
        given_name="",
        family_name="",
        email="",  # the client's primary email, from the directory
        type_name=b.type_name,
        start=b.start,
        end=b.end,
        location_name=place.name,
        location_address=place.address,
        time_zone=b.time_zone,
        manage_url="",  # the portal opens with the family's code, which notifications never sees
        participants=names(b.children),
    )
    await booking_changed(uow, reads, booking, purpose, company_name)
