"""The events of a family's picture day booking (issue 21), written in the booking's own
transaction: `scheduling.picture_day_booking.booked`, `.rescheduled` and `.cancelled`, which
notifications turns into the family's confirmation, reschedule and cancellation emails (with
the calendar file). The session's own `scheduling.session.*` events go out as for any
session; these add what the family's email shows: the children and the picture day.

The use cases gather what the event says as a `BookingEvent` (plain Python); the event's
message is the API edge's: it passes `announce` down (`picture_day_convert.announce_booking`)
and the steps call it in their unit of work, as the company's use cases do. The session's
shown as the session's own events show it (`entries.shown`), passed through untouched. The
same `announce` emits the session's own events on a picture day's steps (an `EntryEvent`)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.domain.entries import EntryEvent
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository

S = TypeVar("S")


class Change(enum.Enum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class BookingEvent(Generic[S]):
    """A booking booked, rescheduled or cancelled: the day, the booking, its children's names
    (in the family's order), the session's snapshot; a reschedule's times before the move."""

    change: Change
    day: rules.PictureDay
    booking: rules.Booking
    children_display_names: tuple[str, ...]
    session: S
    assigned_at_close: bool = False
    previous: tuple[datetime, datetime] | None = None  # (start, end)


# Emits the booking's event, or its session's own (built at the edge), for the company, in the
# unit of work given.
Announce = Callable[[UnitOfWork, str, "BookingEvent[Any] | EntryEvent"], None]


async def _children(uow: UnitOfWork, day: rules.PictureDay, row: rules.Booking) -> tuple[str, ...]:
    member_ids = {rules.member_id(k) for k in row.children}
    family = (await PictureDayRepository(uow).children_of(day.id, [row.client_id]))[row.client_id]
    return tuple(c.display_name for c in family if c.member_id in member_ids)


async def booked(
    uow: UnitOfWork,
    announce: Announce,
    company_id: str,
    day: rules.PictureDay,
    row: rules.Booking,
    session: S,
    *,
    assigned_at_close: bool,
) -> None:
    names = await _children(uow, day, row)
    announce(uow, company_id, BookingEvent(Change.BOOKED, day, row, names, session, assigned_at_close))


async def rescheduled(
    uow: UnitOfWork,
    announce: Announce,
    company_id: str,
    day: rules.PictureDay,
    row: rules.Booking,
    session: S,
    previous: tuple[datetime, datetime],
) -> None:
    names = await _children(uow, day, row)
    event = BookingEvent(Change.RESCHEDULED, day, row, names, session, previous=previous)
    announce(uow, company_id, event)


async def cancelled(
    uow: UnitOfWork, announce: Announce, company_id: str, day: rules.PictureDay, row: rules.Booking, session: S
) -> None:
    names = await _children(uow, day, row)
    announce(uow, company_id, BookingEvent(Change.CANCELLED, day, row, names, session))
