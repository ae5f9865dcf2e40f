"""Managing an online booking through its manage token: find it, cancel it, move it to another
open slot at its location (each change and its `gateway.booking.*` event in one commit)."""

from __future__ import annotations

import secrets

import grpc

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_gateway.application import cancellation, catalog
from shutterbook_gateway.application.api_keys import Partner, sha256_hex
from shutterbook_gateway.application.booking_events import BookingParts, moved_to, pending, read_parts
from shutterbook_gateway.application.recovery import save
from shutterbook_gateway.domain.booking import SagaState, step_id
from shutterbook_gateway.storage.models import OnlineBookingRow
from shutterbook_gateway.upstreams import Upstreams, rpc_reason
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, NotFound
from shutterbook_kit.resource_names import resource_id
from shutterbook_kit.uow import UnitOfWork


async def find(db: Database, partner: Partner, booking_id: str, token: str) -> OnlineBookingRow:
    """The partner's booking with this manage token; anything else is NOT_FOUND (never "wrong token")."""
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.get(OnlineBookingRow, booking_id)
    ok = (
        row is not None
        and row.company_id == partner.company_id
        and catalog.in_scope(partner, f"locations/{row.location_id}")
        and row.state in (SagaState.CONFIRMED, SagaState.CANCELLED)
        and secrets.compare_digest(row.manage_token_sha256, sha256_hex(token))
    )
    if not ok or row is None:
        raise NotFound("no such booking", reason="NOT_FOUND")
    return row


async def cancel(db: Database, up: Upstreams, partner: Partner, row: OnlineBookingRow, request_id: str) -> BookingParts:
    """Cancel online (CANCELLED and `gateway.booking.cancelled` in one commit), then refund as
    the type's cancellation policy says (application/cancellation.py). What the event shows is
    read before scheduling cancels: a read that fails leaves both sides as they were (a retry
    cancels), and nothing but the commit stands between the cancel and its record."""
    if row.state == SagaState.CANCELLED:
        await cancellation.refund_by_policy(db, up, partner, row)
        return await read_parts(up, partner, row)
    parts = await read_parts(up, partner, row)
    rid = step_id(request_id, "cancel")
    if row.kind == "session":
        await up.online.CancelOnlineBooking(
            opb.CancelOnlineBookingRequest(session=f"sessions/{row.id}", request_id=rid),
            metadata=partner.metadata(),
            timeout=up.deadlines.call,
        )
    else:
        await up.online.CancelOnlineAppointment(
            opb.CancelOnlineAppointmentRequest(appointment=f"appointments/{row.id}", request_id=rid),
            metadata=partner.metadata(),
            timeout=up.deadlines.call,
        )
    await save(db, row, state=SagaState.CANCELLED, event=pending("cancelled", row, parts, ""))
    await cancellation.refund_by_policy(db, up, partner, row)
    return parts


async def reschedule(
    db: Database, up: Upstreams, partner: Partner, row: OnlineBookingRow, slot_id: str, request_id: str, manage_url: str
) -> BookingParts:
    """Move the booking to another open slot at its location (the new slot and
    `gateway.booking.rescheduled` in one commit). As for `cancel`, what the event shows is read
    before scheduling moves the booking (its new times are the slot's)."""
    if row.state == SagaState.CANCELLED:
        raise FailedPrecondition("a cancelled booking cannot be rescheduled", reason="BOOKING_CANCELLED")
    slot = await catalog.time_slot(up, partner, slot_id)
    if resource_id(slot.location, "locations") != row.location_id:
        # online, a booking stays at its studio: moving it to another location is a staff decision
        raise FailedPrecondition(
            "the booking can only move to another time at its own location", reason="OTHER_LOCATION"
        )
    before = await read_parts(up, partner, row)
    rid = step_id(request_id, "reschedule")
    try:
        if row.kind == "session":
            await up.online.RescheduleOnlineBooking(
                opb.RescheduleOnlineBookingRequest(session=f"sessions/{row.id}", time_slot=slot.name, request_id=rid),
                metadata=partner.metadata(),
                timeout=up.deadlines.call,
            )
        else:
            await up.online.RescheduleOnlineAppointment(
                opb.RescheduleOnlineAppointmentRequest(
                    appointment=f"appointments/{row.id}", time_slot=slot.name, request_id=rid
                ),
                metadata=partner.metadata(),
                timeout=up.deadlines.call,
            )
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.FAILED_PRECONDITION and rpc_reason(err) in (
            "SLOT_NOT_OPEN",
            "SCHEDULE_CONFLICT",
        ):
            raise FailedPrecondition("the slot is no longer open", reason="SLOT_NOT_OPEN") from err
        raise
    row.slot_id, row.location_id = slot_id, resource_id(slot.location, "locations")
    parts = moved_to(before, slot)
    await save(db, row, event=pending("rescheduled", row, parts, manage_url))
    return parts
