"""Public API: the partner's locations, the types available online, and their open slots."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, cast

import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import FromQuery, Parameter

from shutterbook_gateway.api import schemas
from shutterbook_gateway.api.deps import (
    API_KEY_SECURITY,
    PathId,
    provide_partner,
    provide_upstreams,
)
from shutterbook_gateway.api.images import logo_url
from shutterbook_gateway.api.problems import READ_PROBLEMS
from shutterbook_gateway.application import catalog
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.application.open_slot_model import OpenSlotModel
from shutterbook_gateway.domain.booking import MAX_SLOT_ADVANCE_DAYS, MAX_SLOT_RANGE_DAYS, zone
from shutterbook_gateway.settings import GatewaySettings
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.errors import Violations
from shutterbook_kit.pagination import check_page, page_size_of, sequence_page
from shutterbook_kit.schema import utcnow

AnyRequest = Request[Any, Any, State]
PageSize = Annotated[int, Parameter(ge=0, le=1000, description="At most this many (0: 100).")]
PageToken = Annotated[str, Parameter(max_length=2000, description="next_page_token of the previous page.")]


def base_url(request: AnyRequest) -> str:
    """The gateway's configured public address (SHUTTERBOOK_GATEWAY_PUBLIC_BASE_URL): links a
    caller hands to its customers are never built from the request's Host header."""
    settings: GatewaySettings = request.app.state.gateway_settings
    return settings.public_base_url


class CatalogController(Controller):
    opt = {"publishable": True}  # publishable keys may call these (api/publishable.py)
    security = API_KEY_SECURITY
    path = "/v1"
    tags = ["catalog"]
    dependencies = {
        "partner": Provide(provide_partner),
        "upstreams": Provide(provide_upstreams, sync_to_thread=False),
    }

    @get(
        "/locations",
        operation_id="listLocations",
        responses=READ_PROBLEMS,
        summary="The studio's locations (within the key's scope)",
    )
    async def list_locations(
        self,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> schemas.LocationList:
        found = await catalog.locations(upstreams, partner)
        page = sequence_page(found, page_size, page_token, {"r": "locations"})
        return schemas.LocationList(
            locations=[schemas.location(loc) for loc in page.items], next_page_token=page.next_page_token
        )

    @get(
        "/studio",
        operation_id="getStudio",
        responses=READ_PROBLEMS,
        summary="The studio: name, address, contact, brand colour and logo (for a booking page's header)",
    )
    async def get_studio(
        self, request: AnyRequest, partner: NamedDependency[Partner], upstreams: NamedDependency[Upstreams]
    ) -> schemas.Studio:
        profile = await catalog.studio(upstreams, partner)
        logo = logo_url(base_url(request), partner.company_id, profile.logo_etag) if profile.logo_etag else ""
        return schemas.studio(profile, logo)

    @get("/locations/{location_id:str}", operation_id="getLocation", responses=READ_PROBLEMS, summary="One location")
    async def get_location(
        self, location_id: PathId, partner: NamedDependency[Partner], upstreams: NamedDependency[Upstreams]
    ) -> schemas.Location:
        return schemas.location(await catalog.location(upstreams, partner, f"locations/{location_id}"))

    @get(
        "/session-types",
        operation_id="listSessionTypes",
        responses=READ_PROBLEMS,
        summary="Session types available online",
    )
    async def list_session_types(
        self,
        request: AnyRequest,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> schemas.TypeList:
        return await _types(request, partner, upstreams, "session", page_size, page_token)

    @get(
        "/appointment-types",
        operation_id="listAppointmentTypes",
        responses=READ_PROBLEMS,
        summary="Appointment types available online",
    )
    async def list_appointment_types(
        self,
        request: AnyRequest,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> schemas.TypeList:
        return await _types(request, partner, upstreams, "appointment", page_size, page_token)

    @get(
        "/session-types/{type_id:str}",
        operation_id="getSessionType",
        responses=READ_PROBLEMS,
        summary="One session type available online",
    )
    async def get_session_type(
        self,
        request: AnyRequest,
        type_id: PathId,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
    ) -> schemas.BookableType:
        return await _type(request, partner, upstreams, "session", type_id)

    @get(
        "/appointment-types/{type_id:str}",
        operation_id="getAppointmentType",
        responses=READ_PROBLEMS,
        summary="One appointment type available online",
    )
    async def get_appointment_type(
        self,
        request: AnyRequest,
        type_id: PathId,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
    ) -> schemas.BookableType:
        return await _type(request, partner, upstreams, "appointment", type_id)

    @get(
        "/session-types/{type_id:str}/open-slots",
        operation_id="listSessionTypeOpenSlots",
        responses=READ_PROBLEMS,
        summary="Open slots of a session type, shown in the client's time zone",
    )
    async def session_slots(
        self,
        type_id: PathId,
        request: AnyRequest,
        partner: NamedDependency[Partner],
        start_date: FromQuery[date],
        end_date: FromQuery[date],
        time_zone: Annotated[str, Parameter(max_length=64, description="The client's IANA zone.")] = "",
        location: Annotated[str, Parameter(max_length=64, description="Only this location's slots.")] = "",
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response[schemas.SlotList]:
        q = _slot_query("session", type_id, start_date, end_date, time_zone, location)
        # upstreams and the model from the state, not as dependencies: the partner is then the
        # only one, which Litestar resolves without a task group (a third of this route's cost)
        state = request.app.state
        return await _slots(state.upstreams, partner, state.open_slot_model, q, time_zone, page_size, page_token)

    @get(
        "/appointment-types/{type_id:str}/open-slots",
        operation_id="listAppointmentTypeOpenSlots",
        responses=READ_PROBLEMS,
        summary="Open slots of an appointment type, shown in the client's time zone",
    )
    async def appointment_slots(
        self,
        type_id: PathId,
        request: AnyRequest,
        partner: NamedDependency[Partner],
        start_date: FromQuery[date],
        end_date: FromQuery[date],
        time_zone: Annotated[str, Parameter(max_length=64, description="The client's IANA zone.")] = "",
        location: Annotated[str, Parameter(max_length=64, description="Only this location's slots.")] = "",
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response[schemas.SlotList]:
        q = _slot_query("appointment", type_id, start_date, end_date, time_zone, location)
        # upstreams and the model from the state, not as dependencies: the partner is then the
        # only one, which Litestar resolves without a task group (a third of this route's cost)
        state = request.app.state
        return await _slots(state.upstreams, partner, state.open_slot_model, q, time_zone, page_size, page_token)


async def _types(
    request: AnyRequest, partner: Partner, upstreams: Upstreams, kind: str, page_size: int, page_token: str
) -> schemas.TypeList:
    found = await catalog.online_types(upstreams, partner, kind)
    page = sequence_page(found, page_size, page_token, {"r": kind})
    url = base_url(request)
    return schemas.TypeList(
        types=[
            schemas.bookable_type(
                t,
                kind,
                url,
                await catalog.address_text(upstreams, partner, t, None),
                await catalog.invoice_prices(upstreams, partner, kind, t),
                company_id=partner.company_id,
            )
            for t in page.items
        ],
        next_page_token=page.next_page_token,
    )


async def _type(
    request: AnyRequest, partner: Partner, upstreams: Upstreams, kind: str, type_id: str
) -> schemas.BookableType:
    found = await catalog.online_type(upstreams, partner, kind, type_id)
    address = await catalog.address_text(upstreams, partner, found, None)
    prices = await catalog.invoice_prices(upstreams, partner, kind, found)
    return schemas.bookable_type(found, kind, base_url(request), address, prices, company_id=partner.company_id)


def _slot_query(kind: str, type_id: str, first: date, last: date, tz_name: str, location: str) -> catalog.SlotQuery:
    v = Violations()
    tz = zone(tz_name) if tz_name else None
    if tz_name and tz is None:
        v.add("time_zone", "is not an IANA time zone name, e.g. America/Chicago")
    if last < first:
        v.add("end_date", "must not be before start_date")
    elif (last - first).days + 1 > MAX_SLOT_RANGE_DAYS:
        v.add("end_date", f"the range is at most {MAX_SLOT_RANGE_DAYS} days")
    today = utcnow().date()
    if first < today - timedelta(days=1):
        v.add("start_date", "must not be in the past")
    elif (first - today).days > MAX_SLOT_ADVANCE_DAYS:
        v.add("start_date", f"must be at most {MAX_SLOT_ADVANCE_DAYS} days ahead")
    v.raise_if_any("the slot query has invalid parameters")
    return catalog.SlotQuery(kind, type_id, first, last, tz, location)


async def _slots(
    up: Upstreams,
    partner: Partner,
    model: OpenSlotModel,
    q: catalog.SlotQuery,
    tz_name: str,
    page_size: int,
    page_token: str,
) -> Response[schemas.SlotList]:
    query: dict[str, object] = {
        "k": q.kind,
        "t": q.type_id,
        "f": q.first,
        "l": q.last,
        "z": tz_name,
        "loc": q.location_id,
    }
    check_page(page_size, page_token, query=query)  # a bad token fails before any upstream call
    found = await catalog.open_slots(up, partner, q, model)
    if q.tz is None and not page_token and len(found) <= page_size_of(page_size):
        encoded, token = [s.encoded for s in found], ""  # the whole answer: no token to make
    elif q.tz is None:
        page = sequence_page(found, page_size, page_token, query)
        encoded, token = [s.encoded for s in page.items], page.next_page_token
    else:  # the client's zone: local times made for this answer
        page = sequence_page(found, page_size, page_token, query)
        return Response(
            schemas.SlotList(
                time_zone=tz_name,
                slots=[schemas.slot(s.message, q.tz) for s in page.items],
                next_page_token=page.next_page_token,
            )
        )
    # in each slot's own zone: the slots' JSON as encoded when the model read them (the same
    # bytes schemas.SlotList would give)
    body = b"".join((b'{"time_zone":"","slots":[', b",".join(encoded), b'],"next_page_token":', json_text(token), b"}"))
    return cast("Response[schemas.SlotList]", Response(body, media_type=MediaType.JSON))


def json_text(text: str) -> bytes:
    return msgspec.json.encode(text)
