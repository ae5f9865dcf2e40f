"""The events of a family's picture day booking (issue 21), written in the booking's own
transaction: `scheduling.picture_day_booking.booked`, `.rescheduled` and `.cancelled`, which
notifications turns into the family's confirmation, reschedule and cancellation emails (with
the calendar file). The session's own `scheduling.session.*` events go out as for any
session; these add what the family's email shows: the children and the picture day."""

from __future__ import annotations

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application.picture_day_refs import booking_name
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository


async def _snapshot(
    uow: UnitOfWork, day: rules.PictureDay, row: rules.Booking, session: ev.SessionSnapshot
) -> ev.PictureDayBookingSnapshot:
    member_ids = {rules.member_id(k) for k in row.children}
    family = (await PictureDayRepository(uow).children_of(day.id, [row.client_id]))[row.client_id]
    children = [c for c in family if c.member_id in member_ids]
    return ev.PictureDayBookingSnapshot(
        booking=booking_name(day.id, row.id),
        picture_day_display_name=pdpb.PictureDay.FromString(day.created).display_name,
        client=f"clients/{row.client_id}",
        children_display_names=[c.display_name for c in children],
        session=session,
    )


async def booked(
    uow: UnitOfWork,
    company_id: str,
    day: rules.PictureDay,
    row: rules.Booking,
    session: ev.SessionSnapshot,
    *,
    assigned_at_close: bool,
) -> None:
    snap = await _snapshot(uow, day, row, session)
    event = ev.PictureDayBookingBookedEvent(booking=snap, assigned_at_close=assigned_at_close)
    uow.emit(events.PICTURE_DAY_BOOKING_BOOKED, company_id, event)


async def rescheduled(
    uow: UnitOfWork,
    company_id: str,
    day: rules.PictureDay,
    row: rules.Booking,
    moved: ev.SessionRescheduledEvent,
) -> None:
    snap = await _snapshot(uow, day, row, moved.session)
    event = ev.PictureDayBookingRescheduledEvent(booking=snap)
    event.previous_start_time.CopyFrom(moved.previous_start_time)
    event.previous_end_time.CopyFrom(moved.previous_end_time)
    uow.emit(events.PICTURE_DAY_BOOKING_RESCHEDULED, company_id, event)


async def cancelled(
    uow: UnitOfWork, company_id: str, day: rules.PictureDay, row: rules.Booking, session: ev.SessionSnapshot
) -> None:
    snap = await _snapshot(uow, day, row, session)
    uow.emit(events.PICTURE_DAY_BOOKING_CANCELLED, company_id, ev.PictureDayBookingCancelledEvent(booking=snap))
