"""Public API: book an open slot (the saga), and the manage link's view, reschedule, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter, JSONBody

from shutterbook.clients.v1 import clients_pb2
from shutterbook_gateway.api import schemas
from shutterbook_gateway.api.catalog import base_url
from shutterbook_gateway.api.deps import (
    API_KEY_SECURITY,
    IdempotencyKey,
    PathId,
    provide_db,
    provide_partner,
    provide_upstreams,
    request_id_for,
)
from shutterbook_gateway.api.idempotency import claimed_key
from shutterbook_gateway.api.problems import READ_PROBLEMS, WRITE_PROBLEMS
from shutterbook_gateway.application import booking_manage, booking_saga
from shutterbook_gateway.application import idempotency_keys as keys
from shutterbook_gateway.application.admission import AdmissionGate
from shutterbook_gateway.application.api_keys import Partner
from shutterbook_gateway.application.booking_events import BookingParts, read_parts
from shutterbook_gateway.application.booking_saga import Booked, BookingRequest, Participant
from shutterbook_gateway.application.open_slot_model import OpenSlotModel
from shutterbook_gateway.settings import GatewaySettings
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.calendar_file import CalendarEntry, booking_ics
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow

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


def _manage_url(request: Request[Any, Any, State], booking_id: str, token: str) -> str:
    return f"{base_url(request)}/book/manage/{booking_id}#token={token}"


def _view(row: OnlineBookingRow, parts: BookingParts) -> schemas.Booking:
    policy = schemas.cancellation_policy(parts.online)
    return schemas.booking(row, parts.details, parts.type_name, parts.location, parts.address, policy)


def _created(request: Request[Any, Any, State], booked: Booked) -> schemas.BookingCreated:
    view = _view(booked.row, booked.parts)
    url = _manage_url(request, booked.row.id, booked.manage_token)
    return schemas.BookingCreated(**msgspec.structs.asdict(view), manage_token=booked.manage_token, manage_url=url)


def _slot_changed(request: Request[Any, Any, State], partner: Partner, *slot_ids: str) -> None:
    model: OpenSlotModel = request.app.state.open_slot_model
    for slot_id in slot_ids:
        model.invalidate_slot(partner.company_id, f"timeSlots/{slot_id}")


class BookingsController(Controller):
    opt = {"publishable": True}  # publishable keys may call these (api/publishable.py)
    security = API_KEY_SECURITY
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
            "409 SLOT_NOT_OPEN when the slot was taken; 402 PAYMENT_DECLINED; 503 BOOKING_NOT_COMPLETED when "
            "a service did not answer (nothing stays booked, any charge is refunded automatically). Retrying "
            "with the same Idempotency-Key answers the request's outcome: 201 with the booking (and a new "
            "manage token) if it was confirmed after all, 409 BOOKING_FAILED if nothing was booked, or 503 "
            "BOOKING_NOT_COMPLETED again while it is still being settled. The manage token is in this "
            "response only (and its replays)."
        ),
    )
    async def create_booking(
        self,
        request: Request[Any, Any, State],
        data: JSONBody[schemas.BookingCreate],
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        db: NamedDependency[Database],
        idempotency_key: IdempotencyKey = None,
    ) -> schemas.BookingCreated:
        gate: AdmissionGate = request.app.state.admission
        settings: GatewaySettings = request.app.state.gateway_settings
        claimed = claimed_key(request.scope)

        def keep_answer(booked: Booked) -> keys.Keeping:
            """The answer kept for the Idempotency-Key in the CONFIRMED commit (the key's own
            commit after the response would be one more); the middleware finds it kept. Rendered
            here, before that commit opens: the commit only writes its bytes."""
            assert claimed is not None
            return keys.Keeping(
                claimed, keys.Answer(201, MediaType.JSON, msgspec.json.encode(_created(request, booked)))
            )

        try:
            async with gate.admitted():
                booked = await booking_saga.book(
                    db,
                    upstreams,
                    partner,
                    _request(data),
                    request_id_for(partner, idempotency_key),
                    lease=settings.saga_lease,
                    manage_link=lambda booking_id, token: _manage_url(request, booking_id, token),
                    in_confirmed_commit=None if claimed is None else keep_answer,
                    slots=request.app.state.open_slot_model,
                    # no earlier booking can have its request id: without a key it is fresh,
                    # and a key claimed first had nothing run under it (idempotency_keys.py)
                    first_run=claimed.first if claimed is not None else not idempotency_key,
                )
        finally:
            # booked here, or taken in the read model's lag (409): either way this process reads
            # the slot's day afresh, without waiting for the event (read your own writes)
            _slot_changed(request, partner, data.slot_id)
        return _created(request, booked)

    @get(
        "/{booking_id:str}",
        operation_id="getBooking",
        responses=WRITE_PROBLEMS,
        summary="A booking, through its manage token",
    )
    async def get_booking(
        self,
        booking_id: PathId,
        token: BookingToken,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        db: NamedDependency[Database],
    ) -> schemas.Booking:
        row = await booking_manage.find(db, partner, booking_id, token)
        return _view(row, await read_parts(upstreams, partner, row))

    @get(
        "/{booking_id:str}/calendar.ics",
        operation_id="getBookingCalendarFile",
        responses=READ_PROBLEMS,
        summary="The booking as an iCalendar (.ics) file for the customer's calendar",
        media_type="text/calendar",
    )
    async def get_booking_ics(
        self,
        booking_id: PathId,
        token: BookingToken,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        db: NamedDependency[Database],
    ) -> Response[bytes]:
        row = await booking_manage.find(db, partner, booking_id, token)
        view = _view(row, await read_parts(upstreams, partner, row))
        entry = CalendarEntry(
            booking_id=view.id,
            summary=view.type.name or "Booking",
            start=datetime.fromisoformat(view.start_time),
            end=datetime.fromisoformat(view.end_time),
            time_zone=view.time_zone,
            location=view.location.address_text,
            description=f"Booked online at {view.location.name}. "
            "To reschedule or cancel, use the link in your confirmation email.",
            cancelled=view.status == "cancelled",
            stamp=utcnow(),
        )
        return Response(
            booking_ics(entry),
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="booking.ics"', "Cache-Control": "no-store"},
        )

    @post(
        "/{booking_id:str}/cancel",
        operation_id="cancelBooking",
        responses=WRITE_PROBLEMS,
        summary="Cancel a booking",
        status_code=200,
    )
    async def cancel_booking(
        self,
        request: Request[Any, Any, State],
        booking_id: PathId,
        token: BookingToken,
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        db: NamedDependency[Database],
        data: JSONBody[schemas.CancelRequest | None] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> schemas.Booking:
        row = await booking_manage.find(db, partner, booking_id, token)
        try:
            parts = await booking_manage.cancel(db, upstreams, partner, row, request_id_for(partner, idempotency_key))
        finally:
            _slot_changed(request, partner, row.slot_id)
        return _view(row, parts)

    @post(
        "/{booking_id:str}/reschedule",
        operation_id="rescheduleBooking",
        responses=WRITE_PROBLEMS,
        summary="Move a booking to another open slot of its type",
        status_code=200,
    )
    async def reschedule_booking(
        self,
        request: Request[Any, Any, State],
        booking_id: PathId,
        token: BookingToken,
        data: JSONBody[schemas.Reschedule],
        partner: NamedDependency[Partner],
        upstreams: NamedDependency[Upstreams],
        db: NamedDependency[Database],
        idempotency_key: IdempotencyKey = None,
    ) -> schemas.Booking:
        row = await booking_manage.find(db, partner, booking_id, token)
        before = row.slot_id
        try:
            parts = await booking_manage.reschedule(
                db,
                upstreams,
                partner,
                row,
                data.slot_id.lower(),
                request_id_for(partner, idempotency_key),
                _manage_url(request, row.id, token),
            )
        finally:
            _slot_changed(request, partner, before, data.slot_id.lower())
        return _view(row, parts)
