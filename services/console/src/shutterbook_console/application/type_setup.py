"""Session and appointment type setup (reference page 05): the types, one type, what its tabs
offer (statuses, locations, billing's price list), saving a tab, and the type's booking page
URL. Scheduling owns the types and checks the caller's `setup.write`; billing the price list."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from google.protobuf import field_mask_pb2

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.domain.type_form import KINDS, TypeForm
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.identity import Caller

LIST_PAGE = 50
CHOICES = 1000


@dataclass(frozen=True)
class PriceItem:
    name: str
    display_name: str
    sku: str
    price: str


@dataclass(frozen=True)
class PromotionChoice:
    code: str
    display_name: str
    discount: str  # "10 % off", "5.00 USD off"


@dataclass(frozen=True)
class TabChoices:
    statuses: list[tuple[str, str]]
    locations: list[tuple[str, str]]
    price_items: list[PriceItem]
    currency: str  # the price list's, the default for amounts typed on the Online Booking tab
    promotions: list[PromotionChoice] = field(default_factory=list)  # billing's, that apply to the type


def _discount(p: bpb.Promotion) -> str:
    if p.WhichOneof("discount") == "percent_off_bps":
        whole, part = divmod(p.percent_off_bps, 100)
        return f"{whole}{f'.{part:02d}'.rstrip('0') if part else ''} % off"
    minor = p.amount_off.amount_minor
    return f"{minor // 100:,}.{minor % 100:02d} {p.amount_off.currency_code} off"


def _price(item: bpb.PriceListItem) -> str:
    minor = item.unit_price.amount_minor
    return f"{minor // 100:,}.{minor % 100:02d} {item.unit_price.currency_code}"


async def list_types(up: Upstreams, caller: Caller, kind: str, page_token: str) -> tuple[list[Any], str]:
    """One page of session types (`sessionTypes`) or appointment types (`appointmentTypes`)."""
    s = up.scheduling
    if kind == "sessionTypes":
        found = await up.call(
            s.ListSessionTypes, pb.ListSessionTypesRequest(page_size=LIST_PAGE, page_token=page_token), caller
        )
        return list(found.session_types), found.next_page_token
    listed = await up.call(
        s.ListAppointmentTypes, pb.ListAppointmentTypesRequest(page_size=LIST_PAGE, page_token=page_token), caller
    )
    return list(listed.appointment_types), listed.next_page_token


async def get_type(up: Upstreams, caller: Caller, kind: str, type_id: str) -> pb.SessionType | pb.AppointmentType:
    name = f"{kind}/{type_id}"
    if kind == "sessionTypes":
        return await up.call(up.scheduling.GetSessionType, pb.GetSessionTypeRequest(name=name), caller)
    return await up.call(up.scheduling.GetAppointmentType, pb.GetAppointmentTypeRequest(name=name), caller)


async def tab_choices(up: Upstreams, caller: Caller, type_name: str = "") -> TabChoices:
    """What the tabs offer; `type_name`: the promotions are those billing applies to that
    session type (an appointment type: every promotion)."""
    s = up.scheduling
    promotions = bpb.ListPromotionsRequest(page_size=CHOICES)
    if type_name.startswith("sessionTypes/"):
        promotions.eligible_session_type = type_name
    statuses, locations, items, promos = await asyncio.gather(
        up.call(s.ListSessionStatuses, pb.ListSessionStatusesRequest(page_size=CHOICES), caller),
        up.call(s.ListLocations, pb.ListLocationsRequest(page_size=CHOICES), caller),
        up.call(up.billing.ListPriceListItems, bpb.ListPriceListItemsRequest(page_size=CHOICES), caller),
        up.call(up.billing.ListPromotions, promotions, caller),
    )
    price_items = [PriceItem(i.name, i.display_name, i.sku, _price(i)) for i in items.price_list_items]
    currencies = [i.unit_price.currency_code for i in items.price_list_items if i.unit_price.currency_code]
    return TabChoices(
        [(x.name, x.display_name) for x in statuses.session_statuses],
        [(x.name, x.display_name) for x in locations.locations],
        price_items,
        currencies[0] if currencies else "USD",
        [PromotionChoice(p.code, p.display_name, _discount(p)) for p in promos.promotions],
    )


async def save_tab(up: Upstreams, caller: Caller, form: TypeForm) -> pb.SessionType | pb.AppointmentType:
    """The tab's fields written (only those: the update_mask); scheduling's refusal raises."""
    mask = field_mask_pb2.FieldMask(paths=form.mask)
    if isinstance(form.message, pb.SessionType):
        request = pb.UpdateSessionTypeRequest(session_type=form.message, update_mask=mask)
        return await up.call(up.scheduling.UpdateSessionType, request, caller)
    update = pb.UpdateAppointmentTypeRequest(appointment_type=form.message, update_mask=mask)
    return await up.call(up.scheduling.UpdateAppointmentType, update, caller)


def booking_url(page_url: str, page_key: str, kind: str, type_id: str) -> str:
    """The gateway's booking page for one type ("Copy Online Booking URL"): type choice skipped;
    empty when the console is not told where the booking page is."""
    if not page_url:
        return ""
    path = next(slug for slug, collection in KINDS.items() if collection == kind)
    url = f"{page_url}/book/{path}/{quote(type_id, safe='')}"
    return f"{url}?key={quote(page_key, safe='')}" if page_key else url
