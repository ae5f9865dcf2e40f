"""What a partner may offer: its company's locations (within the key's locations), the types
available online, and their open slots, read from scheduling with deadlines."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import grpc

from shutterbook.billing.v1 import billing_pb2
from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.application.open_slot_model import OpenSlot, OpenSlotModel
from shutterbook_gateway.domain.booking import PaymentPlan, local_date, location_dates_for, payment_plan
from shutterbook_gateway.domain.pricing import PriceItem
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.errors import NotFound
from shutterbook_kit.resource_names import name_ids

TypeMessage = pb.SessionType | pb.AppointmentType
KINDS = ("session", "appointment")


def in_scope(partner: Partner, location_name: str) -> bool:
    """Whether the key may act at this location (`locations/{id}`); unscoped keys: everywhere."""
    if not partner.location_ids:
        return True
    ids = name_ids(location_name, "locations")  # from a URL too: any text
    return ids is not None and ids[0] in partner.location_ids


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


def _scope(partner: Partner) -> tuple[bool, tuple[str, ...]]:
    """Whom scheduling answers within the company: a kind of key, its locations (the cache's key)."""
    return partner.publishable, partner.location_ids


async def locations(up: Upstreams, partner: Partner) -> list[pb.Location]:
    """The company's locations the key may use, in scheduling's order."""
    found: list[pb.Location] = await up.reference.get(
        partner.company_id, ("locations", *_scope(partner)), lambda: _list_locations(up, partner)
    )
    return found


async def studio(up: Upstreams, partner: Partner) -> pb.CompanyProfile:
    """The company's profile (name, address, brand colour, logo's etag), cached like the
    locations and forgotten on `scheduling.company.changed`."""

    async def load() -> pb.CompanyProfile:
        profile: pb.CompanyProfile = await up.scheduling.GetCompanyProfile(
            pb.GetCompanyProfileRequest(name="companyProfile"), metadata=partner.metadata(), timeout=up.deadlines.read
        )
        return profile

    found: pb.CompanyProfile = await up.reference.get(partner.company_id, ("studio",), load)
    return found


async def _list_locations(up: Upstreams, partner: Partner) -> list[pb.Location]:
    found: list[pb.Location] = []
    token = ""
    for _ in range(20):  # at most 20,000 locations: bounded, far above any studio chain
        reply = await up.scheduling.ListLocations(
            pb.ListLocationsRequest(page_size=1000, page_token=token),
            metadata=partner.metadata(),
            timeout=up.deadlines.read,
        )
        found += [loc for loc in reply.locations if in_scope(partner, loc.name)]
        token = reply.next_page_token
        if not token:
            break
    return found


async def location(up: Upstreams, partner: Partner, name: str) -> pb.Location:
    if not in_scope(partner, name):
        raise not_found("location")

    async def load() -> pb.Location:
        msg: pb.Location = await _not_found_as(
            up.scheduling.GetLocation(
                pb.GetLocationRequest(name=name), metadata=partner.metadata(), timeout=up.deadlines.read
            ),
            "location",
        )
        return msg

    found: pb.Location = await up.reference.get(partner.company_id, ("location", name, *_scope(partner)), load)
    return found


async def online_types(up: Upstreams, partner: Partner, kind: str) -> list[TypeMessage]:
    """The session (or appointment) types available for online booking."""
    found: list[TypeMessage] = []
    token = ""
    for _ in range(20):
        if kind == "session":
            s_reply = await up.scheduling.ListSessionTypes(
                pb.ListSessionTypesRequest(page_size=1000, page_token=token),
                metadata=partner.metadata(),
                timeout=up.deadlines.read,
            )
            found += [t for t in s_reply.session_types if t.online.available_online]
            token = s_reply.next_page_token
        else:
            a_reply = await up.scheduling.ListAppointmentTypes(
                pb.ListAppointmentTypesRequest(page_size=1000, page_token=token),
                metadata=partner.metadata(),
                timeout=up.deadlines.read,
            )
            found += [t for t in a_reply.appointment_types if t.online.available_online]
            token = a_reply.next_page_token
        if not token:
            break
    return found


async def online_type(up: Upstreams, partner: Partner, kind: str, type_id: str) -> TypeMessage:
    """One type available online; any other is NOT_FOUND to the partner."""
    msg: TypeMessage = await up.reference.get(
        partner.company_id, ("type", kind, type_id, *_scope(partner)), lambda: _get_type(up, partner, kind, type_id)
    )
    if not msg.online.available_online:
        raise not_found(f"{kind} type")
    return msg


async def _get_type(up: Upstreams, partner: Partner, kind: str, type_id: str) -> TypeMessage:
    what = f"{kind} type"
    msg: TypeMessage
    if kind == "session":
        msg = await _not_found_as(
            up.scheduling.GetSessionType(
                pb.GetSessionTypeRequest(name=f"sessionTypes/{type_id}"),
                metadata=partner.metadata(),
                timeout=up.deadlines.read,
            ),
            what,
        )
    else:
        msg = await _not_found_as(
            up.scheduling.GetAppointmentType(
                pb.GetAppointmentTypeRequest(name=f"appointmentTypes/{type_id}"),
                metadata=partner.metadata(),
                timeout=up.deadlines.read,
            ),
            what,
        )
    return msg


async def time_slot(up: Upstreams, partner: Partner, slot_id: str) -> opb.TimeSlot:
    msg: opb.TimeSlot = await _not_found_as(
        up.online.GetTimeSlot(
            opb.GetTimeSlotRequest(name=f"timeSlots/{slot_id}"), metadata=partner.metadata(), timeout=up.deadlines.read
        ),
        "time slot",
    )
    if not in_scope(partner, msg.location):
        raise not_found("time slot")
    return msg


def known_time_slot(model: OpenSlotModel, partner: Partner, slot_id: str) -> opb.TimeSlot | None:
    """The slot as the company's open-slot read model last read it (None: not there, ask
    `time_slot`); NOT_FOUND outside the key's locations, as `time_slot` answers. The model is
    the company's, shared by its keys: the scope is checked here, per key."""
    msg = model.known(partner.company_id, f"timeSlots/{slot_id}")
    if msg is not None and not in_scope(partner, msg.location):
        raise not_found("time slot")
    return msg


@dataclass(frozen=True)
class Offer:
    """A slot to book and what it sells: its kind, its type (id and message, online) and the
    type's payment plan."""

    slot: opb.TimeSlot
    kind: str
    type_id: str
    btype: TypeMessage
    plan: PaymentPlan


async def _offer_of(up: Upstreams, partner: Partner, slot: opb.TimeSlot) -> Offer:
    kind = "session" if slot.session_type else "appointment"
    type_id = (slot.session_type or slot.appointment_type).split("/", 1)[1]
    btype = await online_type(up, partner, kind, type_id)  # cached
    plan = payment_plan(btype.online, has_invoice=kind == "session" and btype.auto_create_invoice)
    return Offer(slot, kind, type_id, btype, plan)


async def offer(up: Upstreams, partner: Partner, slot_id: str, model: OpenSlotModel | None) -> Offer:
    """The slot a booking asks for and what it sells: from the open-slot read model when it
    has read the slot (`OpenSlotModel.known`: no GetTimeSlot call), else read from scheduling
    (GetTimeSlot); outside the key's locations NOT_FOUND either way.

    Only a known slot's kind, type and location are taken from the model (a slot taken, moved
    or unpublished since is still known; a deleted one is forgotten when its event arrives, a
    moment after; one whose event this process missed stays known, and its booking is refused
    by BookOnline: 409 SLOT_NOT_OPEN where GetTimeSlot would have said 404). That is safe because:
    - nothing is decided on it: BookOnline decides in scheduling, against its database, whether
      the slot is open and books it at its times as stored; a slot gone meanwhile is refused
      there (409 SLOT_NOT_OPEN, as a slot taken between GetTimeSlot and BookOnline always was),
      and the answer and the confirmation event are built from the booking BookOnline returns;
    - what the gateway records and decides from the slot - its kind, its type (whose online
      settings give the payment plan) and its location (the record's `location_id`, the scope
      check) - never changes under a slot's id: UpdateTimeSlot may change its schedules,
      publication, notice, advance and times only (scheduling's domain/time_slots.py,
      `UPDATABLE`), and slot ids are fresh UUIDs, never reused;
    - a booking that takes payment uses the slot's times too, before its confirmation (the
      session snapshot its invoice is made from): it reads the slot from scheduling as before
      (its billing calls cost far more than that read).
    """
    listed = known_time_slot(model, partner, slot_id) if model is not None else None
    found = await _offer_of(up, partner, listed or await time_slot(up, partner, slot_id))
    if listed is not None and found.plan.required:
        found = await _offer_of(up, partner, await time_slot(up, partner, slot_id))
    return found


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


async def _read_open(
    up: Upstreams, partner: Partner, q: SlotQuery, location_name: str, first: date, last: date
) -> list[opb.TimeSlot]:
    """Scheduling's open slots of the type at a location on location-local days first..last."""
    request = opb.ListOpenSlotsRequest(
        location=location_name, start_date=_pdate(first), end_date=_pdate(last), page_size=0
    )
    if q.kind == "session":
        request.session_type = f"sessionTypes/{q.type_id}"
    else:
        request.appointment_type = f"appointmentTypes/{q.type_id}"
    # page_size 0: every open slot of the bounded range in one reply. `no-cache`: scheduling
    # computes it rather than answer from its own model; with several scheduling replicas, the
    # one asked may not have heard yet the event that made this model read the day again.
    metadata = (*partner.metadata(), ("cache-control", "no-cache"))
    reply = await up.online.ListOpenSlots(request, metadata=metadata, timeout=up.deadlines.read)
    return list(reply.time_slots)


async def open_slots(up: Upstreams, partner: Partner, q: SlotQuery, model: OpenSlotModel) -> list[OpenSlot]:
    """Every open slot of the type on the client's dates first..last, soonest first, from the
    read model (which reads what it lacks from scheduling)."""
    await online_type(up, partner, q.kind, q.type_id)
    if q.location_id:
        names = [(await location(up, partner, f"locations/{q.location_id}")).name]
    else:
        names = [loc.name for loc in await locations(up, partner)]
    first, last = location_dates_for(q.first, q.last)

    async def at(name: str) -> list[tuple[date, list[OpenSlot]]]:
        async def fetch(day_first: date, day_last: date) -> list[opb.TimeSlot]:
            return await _read_open(up, partner, q, name, day_first, day_last)

        return await model.open_slots(partner.company_id, q.kind, q.type_id, name, first, last, fetch)

    if len(names) == 1:  # the usual query (one location): no tasks to gather
        found = [await at(names[0])]
    else:
        found = await asyncio.gather(*(at(n) for n in names))
    slots: list[OpenSlot] = []
    for days in found:
        for day, day_slots in days:
            if q.tz is None:  # each slot's own location zone: the day it is filed under
                if q.first <= day <= q.last:
                    slots += day_slots
            else:
                slots += [s for s in day_slots if q.first <= _client_date(s, q.tz) <= q.last]
    if len(names) > 1:  # each location's days come soonest first already
        slots.sort(key=lambda s: (s.start, s.message.name))
    return slots


def _client_date(slot: OpenSlot, tz: ZoneInfo) -> date:
    return local_date(slot.message.start_time.ToDatetime().replace(tzinfo=ZoneInfo("UTC")), tz)


async def address_text(up: Upstreams, partner: Partner, btype: TypeMessage, fallback: pb.Location | None) -> str:
    """The address the client sees for a type (page 05, "Location Address"): the type's free
    text, else its chosen location's address, else the booked location's."""
    online = btype.online
    if online.location_text:
        return online.location_text
    loc = fallback
    if online.location:
        with contextlib.suppress(NotFound):  # gone, or outside the key's locations: the fallback
            loc = await location(up, partner, online.location)  # cached: a booking's answer needs it
    return address_text_of(loc)


def address_text_of(loc: pb.Location | None) -> str:
    if loc is None:
        return ""
    return ", ".join(p for p in [loc.display_name, postal_text(loc)] if p)


def postal_text(loc: pb.Location) -> str:
    """The location's address on one line, without its name."""
    a = loc.address
    tail = " ".join(p for p in (a.administrative_area, a.postal_code) if p)
    return ", ".join(p for p in [*a.address_lines, a.locality, tail] if p)


@dataclass(frozen=True)
class Prices:
    """The price list items a booking's session fee invoice will hold (none: no invoice)."""

    items: list[PriceItem]
    currency_code: str


async def invoice_prices(up: Upstreams, partner: Partner, kind: str, btype: TypeMessage) -> Prices | None:
    """Billing's prices of the type's items, when its bookings get an invoice (session types with
    "Auto-Create Invoice"); None otherwise or when an item is gone (then no quote is shown)."""
    if kind != "session" or not btype.auto_create_invoice or not btype.price_list_items:
        return None
    try:
        found = await asyncio.gather(
            *(
                up.billing.GetPriceListItem(
                    billing_pb2.GetPriceListItemRequest(name=name),
                    metadata=partner.metadata(),
                    timeout=up.deadlines.read,
                )
                for name in btype.price_list_items
            )
        )
    except grpc.aio.AioRpcError as err:
        if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            return None
        raise
    currencies = {item.unit_price.currency_code for item in found}
    if len(currencies) != 1:
        return None
    return Prices([PriceItem(i.unit_price.amount_minor, i.tax_rate_bps) for i in found], currencies.pop())
