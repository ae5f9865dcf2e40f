"""Letting go of a picture day booking (issue 21): its slot and its children are free again and
the booking is marked cancelled. Shared by the family's own cancel (`picture_day_bookings`) and a
staff CancelSession of the booking's session (`sessions`), so a slot never stays taken by a
cancelled session. Imports only storage, so the sessions module can use it."""

from __future__ import annotations

from shutterbook_kit.errors import FailedPrecondition
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.picture_days import Booking, PictureDay
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository


async def release(uow: UnitOfWork, booking: Booking) -> Booking:
    """Free the booking's slot and children: the booking, cancelled."""
    return await PictureDayRepository(uow).release(booking)


async def release_session(uow: UnitOfWork, company_id: str, session_id: str) -> list[tuple[PictureDay, Booking]]:
    """The picture day booking of a session being cancelled by staff, if any, let go; returned
    with its day (the caller tells the family, as when they cancel it themselves)."""
    repo = PictureDayRepository(uow)
    row = await repo.locked_booking_of_session(company_id, session_id)
    if row is None:
        return []
    released = await repo.release(row)
    return [(await repo.day_of_booking(released), released)]


async def refuse_if_booked_on_a_picture_day(uow: UnitOfWork, company_id: str, session_id: str) -> None:
    """A session a family booked on a picture day keeps the day's slot: staff move it on the
    picture day (the slot, its children and the portal follow), not on the calendar."""
    row = await PictureDayRepository(uow).locked_booking_of_session(company_id, session_id)
    if row is not None:
        raise FailedPrecondition(
            f"sessions/{session_id} was booked on pictureDays/{row.day_id}: move it on the picture day",
            reason="PICTURE_DAY_SESSION",
        )
