"""Studio setup, price list and promotions, kept by billing (which checks `billing.setup` and
every field): price list items listed a page at a time, created and changed (UpdatePriceListItem
with a mask); promotions listed and created (billing has no update of a promotion). The studio's
currency is the company profile's; a promotion's dates are read in the zone of the studio's
first location (UTC without one)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from google.protobuf import field_mask_pb2

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_console.application.studio import PROFILE
from shutterbook_console.upstreams import Upstreams
from shutterbook_kit.identity import Caller

PAGE = 50
ALL = 1000
FALLBACK_CURRENCY = "USD"
ITEM_PATHS = ["display_name", "sku", "unit_price", "tax_rate_bps"]


@dataclass(frozen=True)
class Studio:
    currency: str
    zone: str
    session_types: dict[str, str]  # sessionTypes/{id} -> display name


async def studio(up: Upstreams, caller: Caller) -> Studio:
    s = up.scheduling
    profile, locations, types = await asyncio.gather(
        up.call(s.GetCompanyProfile, pb.GetCompanyProfileRequest(name=PROFILE), caller),
        up.call(s.ListLocations, pb.ListLocationsRequest(page_size=1), caller),
        up.call(s.ListSessionTypes, pb.ListSessionTypesRequest(page_size=ALL), caller),
    )
    zone = locations.locations[0].time_zone if locations.locations else "UTC"
    ordered = sorted(types.session_types, key=lambda t: t.display_name.casefold())
    return Studio(profile.currency_code or FALLBACK_CURRENCY, zone or "UTC", {t.name: t.display_name for t in ordered})


async def items(up: Upstreams, caller: Caller, page_token: str) -> bpb.ListPriceListItemsResponse:
    request = bpb.ListPriceListItemsRequest(page_size=PAGE, page_token=page_token)
    return await up.call(up.billing.ListPriceListItems, request, caller)


async def get_item(up: Upstreams, caller: Caller, item_id: str) -> bpb.PriceListItem:
    request = bpb.GetPriceListItemRequest(name=f"priceListItems/{item_id}")
    return await up.call(up.billing.GetPriceListItem, request, caller)


async def create_item(up: Upstreams, caller: Caller, item: bpb.PriceListItem, request_id: str) -> bpb.PriceListItem:
    request = bpb.CreatePriceListItemRequest(price_list_item=item, request_id=request_id)
    return await up.call(up.billing.CreatePriceListItem, request, caller)


async def update_item(up: Upstreams, caller: Caller, item: bpb.PriceListItem) -> bpb.PriceListItem:
    mask = field_mask_pb2.FieldMask(paths=ITEM_PATHS)
    request = bpb.UpdatePriceListItemRequest(price_list_item=item, update_mask=mask)
    return await up.call(up.billing.UpdatePriceListItem, request, caller)


async def promotions(up: Upstreams, caller: Caller, page_token: str) -> bpb.ListPromotionsResponse:
    request = bpb.ListPromotionsRequest(page_size=PAGE, page_token=page_token)
    return await up.call(up.billing.ListPromotions, request, caller)


async def create_promotion(up: Upstreams, caller: Caller, promotion: bpb.Promotion, request_id: str) -> bpb.Promotion:
    request = bpb.CreatePromotionRequest(promotion=promotion, request_id=request_id)
    return await up.call(up.billing.CreatePromotion, request, caller)
