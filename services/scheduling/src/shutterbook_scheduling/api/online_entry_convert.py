"""Online bookings of sessions and appointments at the API edge: BookOnline and
BookAppointmentOnline read into `slot_booking.OnlineBooking`; each online step run once per its
request's request_id (`online_once`: the idempotency record keeps the answer's message, a
database refusal answered as SLOT_NOT_OPEN), the answer's message made of the domain entry;
the entries' events built by `entry_convert.announce_entry`, the slots' by api/slot_events.py
(`SLOT_EVENTS`, passed down, or carried by the `Holding` where a booking holds a slot)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.message import Message

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.api.entry_convert import announce_entry, appointment_message, session_message
from shutterbook_scheduling.api.hold_convert import run_online
from shutterbook_scheduling.api.known_client_convert import carried_version, without_details
from shutterbook_scheduling.api.slot_events import SLOT_EVENTS
from shutterbook_scheduling.application import online_appointments, online_bookings, slot_booking
from shutterbook_scheduling.application.holds import Holding
from shutterbook_scheduling.application.slot_booking import OnlineBooking, OnlineOnce, OnlineWork
from shutterbook_scheduling.domain.known_clients import ClientVersion

R = TypeVar("R", bound=Message)
E = TypeVar("E")


def online_once(
    db: Database, company_id: str, request: Any, response_type: type[R], as_message: Callable[[E], R]
) -> OnlineOnce[E, R]:
    """An online step's `OnlineOnce`: run once per the request's request_id (the scope: the
    request's method, e.g. `BookOnline`), the entry's message the answer a retry gets."""
    scope = type(request).__name__.removesuffix("Request")

    async def run(work: OnlineWork[E], slot_name: Callable[[], str], lock: str) -> R:
        async def answer(uow: UnitOfWork) -> R:
            return as_message(await work(uow))

        return await run_online(
            db, company_id, scope, request, request.request_id, response_type, answer, slot_name, lock=lock
        )

    return run


def _carried(request: opb.BookOnlineRequest | opb.BookAppointmentOnlineRequest) -> ClientVersion | None:
    """The client's version the request carries, checked (INVALID_ARGUMENT naming
    `client_details.*`)."""
    v = Violations()
    details = request.client_details if request.HasField("client_details") else None
    version = carried_version(request.client, details, v)
    v.raise_if_any()
    return version


async def book_online(db: Database, company_id: str, request: opb.BookOnlineRequest, holds: Holding) -> pb.Session:
    booking = OnlineBooking(
        request.hold,
        request.time_slot,
        request.client,
        request.request_id,
        request.session_id,
        "session_id",
        request.description,
        tuple(request.participants),
        _carried(request),
    )
    once = online_once(db, company_id, without_details(request), pb.Session, session_message)
    return await slot_booking.book_online(company_id, online_bookings.SESSIONS, booking, holds, announce_entry, once)


async def cancel_online_booking(db: Database, company_id: str, request: opb.CancelOnlineBookingRequest) -> pb.Session:
    once = online_once(db, company_id, request, pb.Session, session_message)
    return await slot_booking.cancel_online(
        company_id, online_bookings.SESSIONS, request.session, request.request_id, announce_entry, SLOT_EVENTS, once
    )


async def reschedule_online_booking(
    db: Database, company_id: str, request: opb.RescheduleOnlineBookingRequest, holds: Holding
) -> pb.Session:
    once = online_once(db, company_id, request, pb.Session, session_message)
    return await slot_booking.move_online(
        company_id,
        online_bookings.SESSIONS,
        request.session,
        request.time_slot,
        request.request_id,
        holds,
        announce_entry,
        once,
    )


async def book_appointment_online(
    db: Database, company_id: str, request: opb.BookAppointmentOnlineRequest, holds: Holding
) -> pb.Appointment:
    booking = OnlineBooking(
        request.hold,
        request.time_slot,
        request.client,
        request.request_id,
        request.appointment_id,
        "appointment_id",
        request.description,
        details=_carried(request),
    )
    once = online_once(db, company_id, without_details(request), pb.Appointment, appointment_message)
    return await slot_booking.book_online(
        company_id, online_appointments.APPOINTMENTS, booking, holds, announce_entry, once
    )


async def cancel_online_appointment(
    db: Database, company_id: str, request: opb.CancelOnlineAppointmentRequest
) -> pb.Appointment:
    once = online_once(db, company_id, request, pb.Appointment, appointment_message)
    return await slot_booking.cancel_online(
        company_id,
        online_appointments.APPOINTMENTS,
        request.appointment,
        request.request_id,
        announce_entry,
        SLOT_EVENTS,
        once,
    )


async def reschedule_online_appointment(
    db: Database, company_id: str, request: opb.RescheduleOnlineAppointmentRequest, holds: Holding
) -> pb.Appointment:
    once = online_once(db, company_id, request, pb.Appointment, appointment_message)
    return await slot_booking.move_online(
        company_id,
        online_appointments.APPOINTMENTS,
        request.appointment,
        request.time_slot,
        request.request_id,
        holds,
        announce_entry,
        once,
    )
