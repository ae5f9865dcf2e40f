"""The picture day aggregate at the API edge: domain objects (domain/picture_days.py) to response
messages (a day with its window and progress, families, slots in the location's zone, bookings,
what an access code shows), a booking request run once per its `request_id` (`booking_once`, the
idempotency record keeps the answer's message) and the bookings' events (`announce_booking`,
passed down to the use cases as their `picture_day_events.Announce`). One converter module for the aggregate.

A day's own settings travel as the message it was created with (`PictureDay.created`, written
by application/picture_days.create_picture_day); its window and progress are set on it here."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.events import EventType
from shutterbook_kit.pagination import Page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application.bulk_jobs import local_slot
from shutterbook_scheduling.application.common import to_date, ts
from shutterbook_scheduling.application.entries import Attempt, run_booking
from shutterbook_scheduling.application.picture_day_bookings import Once, Work
from shutterbook_scheduling.application.picture_day_events import BookingEvent, Change
from shutterbook_scheduling.application.picture_day_refs import (
    COLLECTION,
    booking_name,
    child_key,
    day_name,
    slot_name,
)
from shutterbook_scheduling.domain.picture_days import (
    Booking,
    DayState,
    Family,
    FamilyAccess,
    PictureDay,
    Slot,
    Window,
)

WINDOWS = {
    Window.NOT_OPEN: pdpb.PICTURE_DAY_WINDOW_NOT_OPEN,
    Window.OPEN: pdpb.PICTURE_DAY_WINDOW_OPEN,
    Window.CLOSED: pdpb.PICTURE_DAY_WINDOW_CLOSED,
}


def created_message(day: PictureDay) -> pdpb.PictureDay:
    return pdpb.PictureDay.FromString(day.created)


def day_message(state: DayState) -> pdpb.PictureDay:
    msg = created_message(state.day)
    msg.window = WINDOWS[state.window]
    msg.progress.CopyFrom(
        pdpb.PictureDayProgress(
            **dataclasses.asdict(state.progress),
            families_not_booked=state.progress.families_not_booked,
            slots_free=state.slots_free,
            slots_total=state.slots_total,
        )
    )
    return msg


def days_response(page: Page[DayState]) -> pdpb.ListPictureDaysResponse:
    return pdpb.ListPictureDaysResponse(
        picture_days=[day_message(s) for s in page.items], next_page_token=page.next_page_token
    )


def family_name(family: Family) -> str:
    return f"{COLLECTION}/{family.day_id}/families/{family.client_id}"


def family_message(family: Family) -> pdpb.PictureDayFamily:
    msg = pdpb.PictureDayFamily(
        name=family_name(family),
        client=f"clients/{family.client_id}",
        display_name=family.display_name,
        booked=family.booked,
        has_access_code=family.has_access_code,
        email=family.email,
    )
    for child in family.children:
        msg.children.append(
            pdpb.PictureDayChild(
                child=child_key(child.client_id, child.member_id),
                display_name=child.display_name,
                booking=booking_name(family.day_id, child.booking_id) if child.booking_id else "",
            )
        )
    return msg


def families_response(page: Page[Family]) -> pdpb.ListPictureDayFamiliesResponse:
    return pdpb.ListPictureDayFamiliesResponse(
        families=[family_message(f) for f in page.items], next_page_token=page.next_page_token
    )


def slot_message(slot: Slot, zone: ZoneInfo) -> pdpb.PictureDaySlot:
    day, start, end = local_slot(slot.start_at, slot.end_at, zone)
    return pdpb.PictureDaySlot(
        name=slot_name(slot.day_id, slot.id),
        start_time=ts(slot.start_at),
        end_time=ts(slot.end_at),
        local_date=to_date(day),
        local_start=pb.TimeOfDay(hours=start.hour, minutes=start.minute),
        local_end=pb.TimeOfDay(hours=end.hour, minutes=end.minute),
        free=slot.free,
    )


def slots_response(day: PictureDay, page: Page[Slot]) -> pdpb.ListPictureDaySlotsResponse:
    zone = ZoneInfo(day.time_zone)
    return pdpb.ListPictureDaySlotsResponse(
        slots=[slot_message(s, zone) for s in page.items], next_page_token=page.next_page_token
    )


def booking_message(booking: Booking, slot: Slot) -> pdpb.PictureDayBooking:
    return pdpb.PictureDayBooking(
        name=booking_name(booking.day_id, booking.id),
        client=f"clients/{booking.client_id}",
        slot=slot_name(booking.day_id, booking.slot_id),
        children=booking.children,
        session=f"sessions/{booking.session_id}",
        start_time=ts(slot.start_at),
        end_time=ts(slot.end_at),
        cancelled=booking.cancelled,
        create_time=ts(booking.created_at),
    )


BookingRequest = (
    pdpb.CreatePictureDayBookingRequest
    | pdpb.ReschedulePictureDayBookingRequest
    | pdpb.CancelPictureDayBookingRequest
    | pdpb.BookPictureDayByCodeRequest
    | pdpb.ReschedulePictureDayBookingByCodeRequest
    | pdpb.CancelPictureDayBookingByCodeRequest
)


def booking_once(db: Database, company_id: str, request: BookingRequest) -> Once[pdpb.PictureDayBooking]:
    """A booking use case's `Once`: its work run once per the request's `request_id` (the
    scope: the request's method, e.g. `BookPictureDayByCode`), the booking's message the
    answer a retry gets."""

    async def run(work: Work) -> pdpb.PictureDayBooking:
        async def as_message(uow: UnitOfWork, attempt: Attempt) -> pdpb.PictureDayBooking:
            return booking_message(*await work(uow, attempt))

        scope = type(request).__name__.removesuffix("Request")
        return await run_booking(
            db,
            company_id,
            pdpb.PictureDayBooking,
            as_message,
            scope=scope,
            request=request,
            request_id=request.request_id,
        )

    return run


def access_codes_response(issued: Sequence[tuple[Family, str]]) -> pdpb.IssuePictureDayAccessCodesResponse:
    """Each family with its new code (shown this once)."""
    return pdpb.IssuePictureDayAccessCodesResponse(
        access_codes=[
            pdpb.PictureDayAccessCode(
                family=family_name(f),
                client=f"clients/{f.client_id}",
                display_name=f.display_name,
                email=f.email,
                access_code=code,
            )
            for f, code in issued
        ]
    )


def access_message(access: FamilyAccess) -> pdpb.PictureDayAccess:
    """What an access code shows: the day's public part, the family, its bookings, the slots
    it may take."""
    day = access.day
    created = created_message(day)
    zone = ZoneInfo(day.time_zone)
    return pdpb.PictureDayAccess(
        picture_day=pdpb.PictureDay(
            name=day_name(day.id),
            display_name=created.display_name,
            siblings_per_slot=day.siblings_per_slot,
            open_time=created.open_time,
            close_time=created.close_time,
            window=WINDOWS[access.window],
            time_zone=day.time_zone,
        ),
        family=family_message(access.family),
        bookings=[booking_message(b, s) for b, s in access.bookings],
        free_slots=[slot_message(s, zone) for s in access.slots],
        location=created.template.location,
    )


def booking_snapshot(event: BookingEvent[ev.SessionSnapshot]) -> ev.PictureDayBookingSnapshot:
    return ev.PictureDayBookingSnapshot(
        booking=booking_name(event.day.id, event.booking.id),
        picture_day_display_name=created_message(event.day).display_name,
        client=f"clients/{event.booking.client_id}",
        children_display_names=event.children_display_names,
        session=event.session,
    )


def booking_event(
    event: BookingEvent[ev.SessionSnapshot],
) -> tuple[
    EventType[Any],
    ev.PictureDayBookingBookedEvent | ev.PictureDayBookingRescheduledEvent | ev.PictureDayBookingCancelledEvent,
]:
    """A booking's event: its subject and its message."""
    snap = booking_snapshot(event)
    if event.change is Change.BOOKED:
        return events.PICTURE_DAY_BOOKING_BOOKED, ev.PictureDayBookingBookedEvent(
            booking=snap, assigned_at_close=event.assigned_at_close
        )
    if event.change is Change.RESCHEDULED:
        assert event.previous is not None
        start, end = event.previous
        return events.PICTURE_DAY_BOOKING_RESCHEDULED, ev.PictureDayBookingRescheduledEvent(
            booking=snap, previous_start_time=ts(start), previous_end_time=ts(end)
        )
    return events.PICTURE_DAY_BOOKING_CANCELLED, ev.PictureDayBookingCancelledEvent(booking=snap)


def announce_booking(uow: UnitOfWork, company_id: str, event: BookingEvent[ev.SessionSnapshot]) -> None:
    """Emit a booking's event in `uow` (the use cases' `picture_day_events.Announce`)."""
    subject, message = booking_event(event)
    uow.emit(subject, company_id, message)
