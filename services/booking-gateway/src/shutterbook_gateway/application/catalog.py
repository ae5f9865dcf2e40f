"""What a partner may offer: its company's locations (within the key's locations), the types
available online, and their open slots, read from scheduling with deadlines."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import grpc

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.domain.booking import local_date, location_dates_for
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.errors import NotFound
from shutterbook_kit.settings import env_int

READ_TIMEOUT = float(env_int("GATEWAY_READ_TIMEOUT_SECONDS", 10))
TypeMessage = pb.SessionType | pb.AppointmentType
KINDS = ("session", "appointment")


def in_scope(partner: Partner, location_name: str) -> bool:
    """Whether the key may act at this location (`locations/{id}`); unscoped keys: everywhere."""
    return not partner.location_ids or location_name.removeprefix("locations/") in partner.location_ids


def not_found(what: str) -> NotFound:
    # the same answer for "absent", "another company's" and "outside the key's locations"
    return NotFound(f"no such {what}", reason="NOT_FOUND")


async def _not_found_as(call: Any, what: str) -> Any:
    try:
        return await call
    except grpc.aio.AioRpcError as err:
        if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            raise not_found(what) from err
        raise


async def locations(up: Upstreams, partner: Partner) -> list[pb.Location]:
    """The company's locations the key may use, in scheduling's order."""
    found: list[pb.Location] = []
    token = ""
    for _ in range(20):  # at most 20,000 locations: bounded, far above any studio chain
        reply = await up.scheduling.ListLocations(
            pb.ListLocationsRequest(page_size=1000, page_token=token), metadata=partner.metadata(), timeout=READ_TIMEOUT
        )
        found += [loc for loc in reply.locations if in_scope(partner, loc.name)]
        token = reply.next_page_token
        if not token:
            break
    return found


async def location(up: Upstreams, partner: Partner, name: str) -> pb.Location:
    if not in_scope(partner, name):
        raise not_found("location")
    msg: pb.Location = await _not_found_as(
        up.scheduling.GetLocation(pb.GetLocationRequest(name=name), metadata=partner.metadata(), timeout=READ_TIMEOUT),
        "location",
    )
    return msg


async def online_types(up: Upstreams, partner: Partner, kind: str) -> list[TypeMessage]:
    """The session (or appointment) types available for online booking."""
    found: list[TypeMessage] = []
    token = ""
    for _ in range(20):
        if kind == "session":
            s_reply = await up.scheduling.ListSessionTypes(
                pb.ListSessionTypesRequest(page_size=1000, page_token=token),
                metadata=partner.metadata(),
                timeout=READ_TIMEOUT,
            )
            found += [t for t in s_reply.session_types if t.online.available_online]
            token = s_reply.next_page_token
        else:
            a_reply = await up.scheduling.ListAppointmentTypes(
                pb.ListAppointmentTypesRequest(page_size=1000, page_token=token),
                metadata=partner.metadata(),
                timeout=READ_TIMEOUT,
            )
            found += [t for t in a_reply.appointment_types if t.online.available_online]
            token = a_reply.next_page_token
        if not token:
            break
    return found


async def online_type(up: Upstreams, partner: Partner, kind: str, type_id: str) -> TypeMessage:
    """One type available online; any other is NOT_FOUND to the partner."""
    what = f"{kind} type"
    msg: TypeMessage
    if kind == "session":
        msg = await _not_found_as(
            up.scheduling.GetSessionType(
                pb.GetSessionTypeRequest(name=f"sessionTypes/{type_id}"),
                metadata=partner.metadata(),
                timeout=READ_TIMEOUT,
            ),
            what,
        )
    else:
        msg = await _not_found_as(
            up.scheduling.GetAppointmentType(
                pb.GetAppointmentTypeRequest(name=f"appointmentTypes/{type_id}"),
                metadata=partner.metadata(),
                timeout=READ_TIMEOUT,
            ),
            what,
        )
    if not msg.online.available_online:
        raise not_found(what)
    return msg


async def time_slot(up: Upstreams, partner: Partner, slot_id: str) -> opb.TimeSlot:
    msg: opb.TimeSlot = await _not_found_as(
        up.online.GetTimeSlot(
            opb.GetTimeSlotRequest(name=f"timeSlots/{slot_id}"), metadata=partner.metadata(), timeout=READ_TIMEOUT
        ),
        "time slot",
    )
    if not in_scope(partner, msg.location):
        raise not_found("time slot")
    return msg


@dataclass(frozen=True)
class SlotQuery:
    kind: str
    type_id: str
    first: date  # in `tz`
    last: date  # in `tz`, inclusive
    tz: ZoneInfo | None  # None: each slot's own location zone
    location_id: str  # "" for every location of the key


def _pdate(d: date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


async def _open_at(up: Upstreams, partner: Partner, q: SlotQuery, location_name: str) -> list[opb.TimeSlot]:
    first, last = location_dates_for(q.first, q.last)
    request = opb.ListOpenSlotsRequest(
        location=location_name, start_date=_pdate(first), end_date=_pdate(last), page_size=0
    )
    if q.kind == "session":
        request.session_type = f"sessionTypes/{q.type_id}"
    else:
        request.appointment_type = f"appointmentTypes/{q.type_id}"
    # page_size 0: every open slot of the bounded range in one reply
    reply = await up.online.ListOpenSlots(request, metadata=partner.metadata(), timeout=READ_TIMEOUT)
    return list(reply.time_slots)


async def open_slots(up: Upstreams, partner: Partner, q: SlotQuery) -> list[opb.TimeSlot]:
    """Every open slot of the type on the client's dates first..last, soonest first."""
    await online_type(up, partner, q.kind, q.type_id)
    if q.location_id:
        names = [(await location(up, partner, f"locations/{q.location_id}")).name]
    else:
        names = [loc.name for loc in await locations(up, partner)]
    found = await asyncio.gather(*(_open_at(up, partner, q, n) for n in names))
    slots = [s for batch in found for s in batch if _on_client_dates(s, q)]
    slots.sort(key=lambda s: (s.start_time.seconds, s.name))
    return slots


def _on_client_dates(slot: opb.TimeSlot, q: SlotQuery) -> bool:
    tz = q.tz or ZoneInfo(slot.time_zone)
    day = local_date(slot.start_time.ToDatetime().replace(tzinfo=ZoneInfo("UTC")), tz)
    return q.first <= day <= q.last


async def address_text(up: Upstreams, partner: Partner, btype: TypeMessage, fallback: pb.Location | None) -> str:
    """The address the client sees for a type (page 05, "Location Address"): the type's free
    text, else its chosen location's address, else the booked location's."""
    online = btype.online
    if online.location_text:
        return online.location_text
    loc = fallback
    if online.location:
        try:
            loc = await up.scheduling.GetLocation(
                pb.GetLocationRequest(name=online.location), metadata=partner.metadata(), timeout=READ_TIMEOUT
            )
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise
    return address_text_of(loc)


def address_text_of(loc: pb.Location | None) -> str:
    if loc is None:
        return ""
    a = loc.address
    tail = " ".join(p for p in (a.administrative_area, a.postal_code) if p)
    return ", ".join(p for p in [loc.display_name, *a.address_lines, a.locality, tail] if p)
