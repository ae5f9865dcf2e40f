"""Events the gateway publishes about online bookings (`gateway.booking.confirmed`,
`.rescheduled`, `.cancelled`), through its outbox and the kit's relay, for notifications:
only the gateway knows a booking's manage link (it keeps the token's hash alone), so the
event carries it, with what the client's confirmation shows.

The saga writes each event in the same commit as the booking record's change (`Pending`,
handed to `recovery.save`): a booking confirmed, moved or cancelled here always has its
event in the outbox, a crash between the two cannot lose it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from shutterbook.gateway.v1 import events_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway import events
from shutterbook_gateway.application import catalog
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.errors import NotFound
from shutterbook_kit.events import EventType
from shutterbook_kit.uow import UnitOfWork, outbox_values

# (booking id, manage token) -> the manage link the client's email carries
ManageLink = Callable[[str, str], str]

SOURCE = "gateway"


@dataclass(frozen=True)
class BookingFacts:
    booking_id: str
    kind: str  # session | appointment
    client: str  # clients/{id}
    type_id: str
    type_name: str
    start: datetime
    end: datetime
    location_id: str
    location_name: str
    location_address: str
    time_zone: str
    manage_url: str
    given_name: str = ""
    family_name: str = ""
    email: str = ""  # empty: notifications takes the client's primary email


@dataclass(frozen=True)
class BookingParts:
    """What a booking's view and its events show: the session (or appointment) as scheduling
    has it, its location, and the type's name, address and online settings (cancellation
    policy). A type taken offline since leaves the name empty and the location's address."""

    details: pb.Session | pb.Appointment
    location: pb.Location
    type_name: str
    address: str
    online: pb.OnlineBookingSettings


async def booking_details(up: Upstreams, partner: Partner, row: OnlineBookingRow) -> pb.Session | pb.Appointment:
    if row.kind == "session":
        session: pb.Session = await up.scheduling.GetSession(
            pb.GetSessionRequest(name=f"sessions/{row.id}"), metadata=partner.metadata(), timeout=up.deadlines.call
        )
        return session
    appointment: pb.Appointment = await up.scheduling.GetAppointment(
        pb.GetAppointmentRequest(name=f"appointments/{row.id}"), metadata=partner.metadata(), timeout=up.deadlines.call
    )
    return appointment


async def read_parts(
    up: Upstreams, partner: Partner, row: OnlineBookingRow, details: pb.Session | pb.Appointment | None = None
) -> BookingParts:
    """The booking's parts: `details` as scheduling just answered them (read from it when not
    given), the location and the type from the reference cache."""
    if details is None:
        details = await booking_details(up, partner, row)
    loc = await catalog.location(up, partner, details.location)
    try:
        btype = await catalog.online_type(up, partner, row.kind, row.type_id)
    except NotFound:  # the type was taken offline since: the booking still shows
        return BookingParts(details, loc, "", catalog.address_text_of(loc), pb.OnlineBookingSettings())
    address = await catalog.address_text(up, partner, btype, loc)
    return BookingParts(details, loc, btype.online.online_description or btype.display_name, address, btype.online)


def moved_to(parts: BookingParts, slot: opb.TimeSlot) -> BookingParts:
    """The parts of a booking once moved to `slot` (at its location, of its type): the same,
    with the slot's times, as scheduling books them."""
    details = copy.deepcopy(parts.details)
    details.start_time.CopyFrom(slot.start_time)
    details.end_time.CopyFrom(slot.end_time)
    details.time_zone = slot.time_zone or details.time_zone
    return replace(parts, details=details)


@dataclass(frozen=True)
class Pending:
    """`gateway.booking.<change>` to write in the commit of the booking record's change."""

    change: str  # confirmed | rescheduled | cancelled
    company_id: str
    facts: BookingFacts

    def write(self, uow: UnitOfWork) -> None:
        uow.emit(*self._typed())

    def outbox_row(self) -> dict[str, Any]:
        """The event's outbox row, for a one-statement write (`recovery.save_confirmed`)."""
        event_type, company_id, event = self._typed()
        return outbox_values(event_type, company_id, event, SOURCE)

    def _typed(self) -> tuple[EventType[Any], str, Message]:
        booking = snapshot(self.facts)
        if self.change == "confirmed":
            return events.BOOKING_CONFIRMED, self.company_id, events_pb2.OnlineBookingConfirmedEvent(booking=booking)
        if self.change == "rescheduled":
            return (
                events.BOOKING_RESCHEDULED,
                self.company_id,
                events_pb2.OnlineBookingRescheduledEvent(booking=booking),
            )
        return events.BOOKING_CANCELLED, self.company_id, events_pb2.OnlineBookingCancelledEvent(booking=booking)


def pending(
    change: str, row: OnlineBookingRow, parts: BookingParts, manage_url: str, names: tuple[str, str, str] = ("", "", "")
) -> Pending:
    """The event of a change, from the booking record and what scheduling says of it now;
    `names`: the client's given name, family name and email as the booking form gave them
    (empty: notifications takes the client's own)."""
    d = parts.details
    facts = BookingFacts(
        booking_id=row.id,
        kind=row.kind,
        client=row.client,
        type_id=row.type_id,
        type_name=parts.type_name,
        start=datetime.fromtimestamp(d.start_time.seconds, UTC),
        end=datetime.fromtimestamp(d.end_time.seconds, UTC),
        location_id=parts.location.name.split("/", 1)[-1],
        location_name=parts.location.display_name,
        location_address=parts.address,
        time_zone=d.time_zone or parts.location.time_zone,
        manage_url=manage_url,
        given_name=names[0],
        family_name=names[1],
        email=names[2],
    )
    return Pending(change, row.company_id, facts)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


def snapshot(f: BookingFacts) -> events_pb2.OnlineBookingSnapshot:
    collection = "sessions" if f.kind == "session" else "appointments"
    types = "sessionTypes" if f.kind == "session" else "appointmentTypes"
    return events_pb2.OnlineBookingSnapshot(
        booking_id=f.booking_id,
        kind=f.kind,
        booking=f"{collection}/{f.booking_id}",
        client=f.client,
        client_given_name=f.given_name,
        client_family_name=f.family_name,
        client_email=f.email,
        type=f"{types}/{f.type_id}",
        type_display_name=f.type_name,
        start_time=_ts(f.start),
        end_time=_ts(f.end),
        location=f"locations/{f.location_id}",
        location_display_name=f.location_name,
        location_address=f.location_address,
        time_zone=f.time_zone,
        manage_url=f.manage_url,
    )
