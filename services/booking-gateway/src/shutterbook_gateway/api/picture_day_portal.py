"""The picture day portal's JSON API (issue 21): a family, with the access code from its
letter, sees the day's open times and books, moves and cancels its children's times.

    GET  /v1/picture-day                               the day, the family, its bookings, the slots
    POST /v1/picture-day/bookings                      {"slot_id", "children": [...]}
    POST /v1/picture-day/bookings/{id}/reschedule      {"slot_id"}
    POST /v1/picture-day/bookings/{id}/cancel

The code travels in the `X-Access-Code` header (never in a URL the server sees: the page keeps
it in the fragment), with the studio's publishable key in `X-Api-Key` (which names the
company and is rate limited per key and address like every API call). Scheduling answers
every code that is not a live code of that company alike, NOT_FOUND; each such answer takes
a token from the address's bucket of failures (`auth_failures_per_minute`, the budget of
requests without a valid API key), and an address with none left gets 429 before any code
is looked at, so codes cannot be guessed at speed. A code leads only to its own family's
booking of its own picture day: there is no way to name another.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

import grpc
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK

from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook_gateway.api.callers import client_address
from shutterbook_gateway.api.deps import API_KEY_SECURITY, PathId, provide_partner, provide_upstreams
from shutterbook_gateway.api.problems import READ_PROBLEMS, WRITE_PROBLEMS, problem
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.domain.token_bucket import TokenBuckets
from shutterbook_gateway.settings import GatewaySettings
from shutterbook_gateway.upstreams import Upstreams, rpc_error_info, rpc_reason

AnyRequest = Request[Any, Any, State]
AccessCode = Annotated[
    str, HeaderParameter(name="X-Access-Code", min_length=1, max_length=64, description="The family's access code.")
]
WINDOWS = {
    pdpb.PICTURE_DAY_WINDOW_NOT_OPEN: "not_open",
    pdpb.PICTURE_DAY_WINDOW_OPEN: "open",
    pdpb.PICTURE_DAY_WINDOW_CLOSED: "closed",
}


class CodeGuard:
    """Failed codes per client address (token buckets)."""

    def __init__(self, per_minute: int) -> None:
        self.failures = TokenBuckets(per_minute)


def _guard(request: AnyRequest) -> tuple[CodeGuard, str]:
    state = request.app.state
    guard: CodeGuard | None = getattr(state, "code_guard", None)
    settings: GatewaySettings = state.gateway_settings
    if guard is None:
        guard = CodeGuard(settings.auth_failures_per_minute)
        state.code_guard = guard
    return guard, client_address(request.scope, settings.trusted_proxies)


async def _as_family(request: AnyRequest, call: Any) -> Any:
    """Run a call naming a code: refused while the address has no failures left; a code that
    leads nowhere costs the address a token."""
    guard, address = _guard(request)
    wait = guard.failures.wait(address, time.monotonic())
    if wait:
        seconds = guard.failures.retry_after_seconds(wait)
        raise problem(
            429,
            "Too Many Requests",
            code="RATE_LIMITED",
            detail="too many wrong access codes from this address; wait and try again",
            headers={"Retry-After": str(seconds)},
        )
    try:
        return await call
    except grpc.aio.AioRpcError as err:
        if rpc_reason(err) in ("ACCESS_CODE_NOT_FOUND", "INVALID_ARGUMENT"):
            guard.failures.take(address, time.monotonic())
            raise problem(
                404, "Not Found", code="ACCESS_CODE_NOT_FOUND", detail="this access code does not open a picture day"
            ) from None
        raise


# --- bodies ----------------------------------------------------------------------------------------


class Child(msgspec.Struct):
    id: str
    name: str
    booking_id: str


class Slot(msgspec.Struct):
    id: str
    date: str
    start: str
    end: str
    start_time: str
    mine: bool


class Booking(msgspec.Struct):
    id: str
    slot_id: str
    children: list[str]
    date: str
    start: str
    end: str
    cancelled: bool


class PictureDay(msgspec.Struct):
    title: str
    window: str
    opens_at: str
    closes_at: str
    time_zone: str
    siblings_per_slot: int


class Access(msgspec.Struct):
    picture_day: PictureDay
    family: str
    children: list[Child]
    bookings: list[Booking]
    slots: list[Slot]


SlotId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ChildId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class NewBooking(msgspec.Struct, forbid_unknown_fields=True):
    slot_id: SlotId  # a slot's `id` from GET /v1/picture-day
    children: Annotated[list[ChildId], msgspec.Meta(min_length=1, max_length=20)]  # children's `id`


class Move(msgspec.Struct, forbid_unknown_fields=True):
    slot_id: SlotId


# scheduling's field names in its refusals -> the portal's own (its bodies and path)
_FIELDS = {"slot": "slot_id", "booking": "booking_id", "children": "children"}


def _portal_field(field: str) -> str:
    head, bracket, rest = field.partition("[")
    return f"{_FIELDS.get(head, head)}{bracket}{rest}"


async def _change(call: Any, *, slot_checked: bool = False) -> pdpb.PictureDayBooking:
    """A booking change through scheduling: a refusal of its input is a 422 naming the
    portal's fields (`slot_id`, `children[1]`), never scheduling's resource names.
    `slot_checked`: the code's day and family and the booking are known to exist, so a
    NOT_FOUND can only be the slot named (an id that is no time of this day)."""
    try:
        result: pdpb.PictureDayBooking = await call
    except grpc.aio.AioRpcError as err:
        if slot_checked and err.code() == grpc.StatusCode.NOT_FOUND:
            raise problem(
                422,
                "Unprocessable Content",
                code="SLOT_NOT_FOUND",
                detail="the request has invalid fields",
                errors=[{"field": "slot_id", "detail": "is not a time of this picture day"}],
            ) from None
        if err.code() != grpc.StatusCode.INVALID_ARGUMENT:
            raise
        reason, errors, _ = rpc_error_info(err)
        fields = [{"field": _portal_field(e["field"]), "detail": e["detail"]} for e in errors]
        for e in fields:
            if e["field"] == "slot_id":  # scheduling's words name its slot resources
                e["detail"] = "is not a time of this picture day"
        raise problem(
            422,
            "Unprocessable Content",
            code=reason,
            detail="the request has invalid fields" if fields else "the request is not valid",
            errors=fields,
        ) from None
    return result


def _last(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _clock(value: Any) -> str:
    return f"{value.hours:02d}:{value.minutes:02d}"


def _day(value: Any) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _when(ts: Any) -> str:
    return str(ts.ToDatetime().isoformat()) + "Z"


def _access(found: pdpb.PictureDayAccess) -> Access:
    slots = {s.name: s for s in found.free_slots}
    own = {b.slot for b in found.bookings}
    bookings = []
    for b in found.bookings:
        slot = slots.get(b.slot)
        bookings.append(
            Booking(
                id=_last(b.name),
                slot_id=_last(b.slot),
                children=list(b.children),
                date=_day(slot.local_date) if slot else "",
                start=_clock(slot.local_start) if slot else "",
                end=_clock(slot.local_end) if slot else "",
                cancelled=b.cancelled,
            )
        )
    day = found.picture_day
    return Access(
        picture_day=PictureDay(
            title=day.display_name,
            window=WINDOWS.get(day.window, "closed"),
            opens_at=_when(day.open_time),
            closes_at=_when(day.close_time),
            time_zone=day.time_zone,
            siblings_per_slot=day.siblings_per_slot,
        ),
        family=found.family.display_name,
        children=[Child(id=c.child, name=c.display_name, booking_id=_last(c.booking)) for c in found.family.children],
        bookings=bookings,
        slots=[
            Slot(
                id=_last(s.name),
                date=_day(s.local_date),
                start=_clock(s.local_start),
                end=_clock(s.local_end),
                start_time=_when(s.start_time),
                mine=s.name in own,
            )
            for s in found.free_slots
        ],
    )


def _own(found: pdpb.PictureDayAccess, booking_id: str) -> None:
    if not any(_last(b.name) == booking_id for b in found.bookings):
        raise problem(404, "Not Found", code="BOOKING_NOT_FOUND", detail="this family has no such booking")


def _booking(b: pdpb.PictureDayBooking) -> dict[str, Any]:
    return {"id": _last(b.name), "slot_id": _last(b.slot), "children": list(b.children), "cancelled": b.cancelled}


class PictureDayPortalController(Controller):
    opt = {"publishable": True}  # a booking page's publishable key may call these (api/publishable.py)
    security = API_KEY_SECURITY
    path = "/v1/picture-day"
    tags = ["picture day"]
    dependencies = {
        "partner": Provide(provide_partner),
        "upstreams": Provide(provide_upstreams, sync_to_thread=False),
    }

    async def _lookup(
        self, request: AnyRequest, partner: Partner, upstreams: Upstreams, code: str
    ) -> pdpb.PictureDayAccess:
        found: pdpb.PictureDayAccess = await _as_family(
            request,
            upstreams.picture_days.GetPictureDayAccess(
                pdpb.GetPictureDayAccessRequest(access_code=code), metadata=partner.metadata()
            ),
        )
        return found

    @get("", operation_id="getPictureDayAccess", responses=READ_PROBLEMS, summary="What an access code opens")
    async def get_access(
        self,
        request: AnyRequest,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        access_code: AccessCode,
    ) -> Access:
        return _access(await self._lookup(request, partner, upstreams, access_code))

    @post(
        "/bookings",
        operation_id="bookPictureDay",
        responses=WRITE_PROBLEMS,
        summary="Book a time for some of the family's children",
        status_code=201,
    )
    async def book(
        self,
        request: AnyRequest,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        access_code: AccessCode,
        data: JSONBody[NewBooking],
    ) -> dict[str, Any]:
        found = await self._lookup(request, partner, upstreams, access_code)
        made = await _change(
            upstreams.picture_days.BookPictureDayByCode(
                pdpb.BookPictureDayByCodeRequest(
                    access_code=access_code,
                    slot=f"{found.picture_day.name}/slots/{data.slot_id}",
                    children=data.children,
                    request_id=str(uuid.uuid4()),
                ),
                metadata=partner.metadata(),
            ),
            slot_checked=True,
        )
        return _booking(made)

    @post(
        "/bookings/{booking_id:str}/reschedule",
        operation_id="reschedulePictureDayBooking",
        responses=WRITE_PROBLEMS,
        summary="Move a booking to another free time",
        status_code=HTTP_200_OK,
    )
    async def reschedule(
        self,
        request: AnyRequest,
        booking_id: PathId,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        access_code: AccessCode,
        data: JSONBody[Move],
    ) -> dict[str, Any]:
        found = await self._lookup(request, partner, upstreams, access_code)
        _own(found, booking_id)
        moved = await _change(
            upstreams.picture_days.ReschedulePictureDayBookingByCode(
                pdpb.ReschedulePictureDayBookingByCodeRequest(
                    access_code=access_code,
                    booking=f"{found.picture_day.name}/bookings/{booking_id}",
                    slot=f"{found.picture_day.name}/slots/{data.slot_id}",
                    request_id=str(uuid.uuid4()),
                ),
                metadata=partner.metadata(),
            ),
            slot_checked=True,
        )
        return _booking(moved)

    @post(
        "/bookings/{booking_id:str}/cancel",
        operation_id="cancelPictureDayBooking",
        responses=WRITE_PROBLEMS,
        summary="Cancel a booking",
        status_code=HTTP_200_OK,
    )
    async def cancel(
        self,
        request: AnyRequest,
        booking_id: PathId,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        access_code: AccessCode,
    ) -> dict[str, Any]:
        found = await self._lookup(request, partner, upstreams, access_code)
        cancelled = await _change(
            upstreams.picture_days.CancelPictureDayBookingByCode(
                pdpb.CancelPictureDayBookingByCodeRequest(
                    access_code=access_code,
                    booking=f"{found.picture_day.name}/bookings/{booking_id}",
                    request_id=str(uuid.uuid4()),
                ),
                metadata=partner.metadata(),
            )
        )
        return _booking(cancelled)
