"""Public API: book an open slot (the saga), and the manage link's view, reschedule, cancel."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import HeaderParameter

from shutterbook.clients.v1 import clients_pb2
from shutterbook_gateway.api import schemas
from shutterbook_gateway.api.catalog import base_url
from shutterbook_gateway.api.deps import IdempotencyKey, provide_db, provide_partner, provide_upstreams, request_id_for
from shutterbook_gateway.api.problems import WRITE_PROBLEMS
from shutterbook_gateway.application import booking_saga, catalog
from shutterbook_gateway.application.admission import AdmissionGate
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.application.booking_saga import BookingRequest, Participant
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound

BookingToken = Annotated[
    str, HeaderParameter(name="X-Booking-Token", min_length=1, max_length=200, description="The manage token.")
]
RELATIONSHIP = {
    "spouse": clients_pb2.FAMILY_RELATIONSHIP_SPOUSE,
    "partner": clients_pb2.FAMILY_RELATIONSHIP_PARTNER,
    "child": clients_pb2.FAMILY_RELATIONSHIP_CHILD,
    "parent": clients_pb2.FAMILY_RELATIONSHIP_PARENT,
    "sibling": clients_pb2.FAMILY_RELATIONSHIP_SIBLING,
    "other": clients_pb2.FAMILY_RELATIONSHIP_UNSPECIFIED,
}


def _request(data: schemas.BookingCreate) -> BookingRequest:
    return BookingRequest(
        slot_id=data.slot_id.lower(),
        given_name=data.client.given_name.strip(),
        family_name=data.client.family_name.strip(),
        email=data.client.email.strip(),
        phone=data.client.phone,
        participants=[
            Participant(p.given_name.strip(), p.family_name.strip(), RELATIONSHIP[p.relationship])
            for p in data.participants
        ],
        notes=data.notes,
        promo_code=data.promo_code.strip(),
        payment_token=data.payment_token,
    )


async def _view(up: Upstreams, partner: Partner, row: OnlineBookingRow) -> schemas.Booking:
    details = await booking_saga.booking_details(up, partner, row)
    loc = await catalog.location(up, partner, details.location)
    try:
        btype = await catalog.online_type(up, partner, row.kind, row.type_id)
        type_name = btype.online.online_description or btype.display_name
        address = await catalog.address_text(up, partner, btype, loc)
    except NotFound:  # the type was taken offline since: the booking still shows
        type_name, address = "", catalog.address_text_of(loc)
    return schemas.booking(row, details, type_name, loc, address)


class BookingsController(Controller):
    path = "/v1/bookings"
    tags = ["bookings"]
    dependencies = {
        "partner": Provide(provide_partner),
        "upstreams": Provide(provide_upstreams, sync_to_thread=False),
        "db": Provide(provide_db, sync_to_thread=False),
    }

    @post(
        "/",
        operation_id="createBooking",
        responses=WRITE_PROBLEMS,
        summary="Book an open slot: hold, pay as the type asks, confirm",
        description=(
            "409 SLOT_NOT_OPEN when the slot was taken; 402 PAYMENT_DECLINED; 503 when a service did not "
            "answer (nothing stays booked, any charge is refunded automatically). The manage token is in "
            "this response only."
        ),
    )
    async def create_booking(
        self,
        request: Request[Any, Any, State],
        data: schemas.BookingCreate,
        partner: Partner,
        upstreams: Upstreams,
        db: Database,
        idempotency_key: IdempotencyKey = "",
    ) -> schemas.BookingCreated:
        gate: AdmissionGate = request.app.state.admission
        async with gate.admitted():
            booked = await booking_saga.book(
                db, upstreams, partner, _request(data), request_id_for(partner, idempotency_key)
            )
        view = await _view(upstreams, partner, booked.row)
        url = f"{base_url(request)}/book/manage/{booked.row.id}#token={booked.manage_token}"
        return schemas.BookingCreated(**msgspec.structs.asdict(view), manage_token=booked.manage_token, manage_url=url)

    @get(
        "/{booking_id:str}",
        operation_id="getBooking",
        responses=WRITE_PROBLEMS,
        summary="A booking, through its manage token",
    )
    async def get_booking(
        self, booking_id: str, token: BookingToken, partner: Partner, upstreams: Upstreams, db: Database
    ) -> schemas.Booking:
        row = await booking_saga.find(db, partner, booking_id, token)
        return await _view(upstreams, partner, row)

    @post(
        "/{booking_id:str}/cancel",
        operation_id="cancelBooking",
        responses=WRITE_PROBLEMS,
        summary="Cancel a booking",
        status_code=200,
    )
    async def cancel_booking(
        self,
        booking_id: str,
        token: BookingToken,
        partner: Partner,
        upstreams: Upstreams,
        db: Database,
        data: schemas.CancelRequest | None = None,
        idempotency_key: IdempotencyKey = "",
    ) -> schemas.Booking:
        row = await booking_saga.find(db, partner, booking_id, token)
        await booking_saga.cancel(db, upstreams, partner, row, request_id_for(partner, idempotency_key))
        return await _view(upstreams, partner, row)

    @post(
        "/{booking_id:str}/reschedule",
        operation_id="rescheduleBooking",
        responses=WRITE_PROBLEMS,
        summary="Move a booking to another open slot of its type",
        status_code=200,
    )
    async def reschedule_booking(
        self,
        booking_id: str,
        token: BookingToken,
        data: schemas.Reschedule,
        partner: Partner,
        upstreams: Upstreams,
        db: Database,
        idempotency_key: IdempotencyKey = "",
    ) -> schemas.Booking:
        row = await booking_saga.find(db, partner, booking_id, token)
        await booking_saga.reschedule(
            db, upstreams, partner, row, data.slot_id.lower(), request_id_for(partner, idempotency_key)
        )
        return await _view(upstreams, partner, row)
