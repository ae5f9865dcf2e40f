"""Names of picture day resources and the children of a day's families (issue 21): what the
day's other modules, and the sessions module (a staff cancel of a picture day session), need
without importing the day's use cases (which import the bookings path: a cycle). Imports only
the tables and the domain's rules."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.storage.picture_day_models import PictureDayChildRow

COLLECTION = "pictureDays"


def day_name(day_id: str) -> str:
    return f"{COLLECTION}/{day_id}"


def slot_name(day_id: str, slot_id: str) -> str:
    return f"{COLLECTION}/{day_id}/slots/{slot_id}"


def booking_name(day_id: str, booking_id: str) -> str:
    return f"{COLLECTION}/{day_id}/bookings/{booking_id}"


def child_key(client_id: str, member_id: str) -> str:
    """A child as sessions name it: a family member, or the client who is the child."""
    return f"clients/{client_id}" if member_id == rules.SELF else f"clients/{client_id}/familyMembers/{member_id}"


async def children_of(uow: UnitOfWork, day_id: str, client_ids: Sequence[str]) -> dict[str, list[PictureDayChildRow]]:
    rows = (
        await uow.session.scalars(
            select(PictureDayChildRow)
            .where(PictureDayChildRow.picture_day_id == day_id, PictureDayChildRow.client_id.in_(client_ids))
            .order_by(PictureDayChildRow.client_id, PictureDayChildRow.position)
        )
    ).all()
    out: dict[str, list[PictureDayChildRow]] = {c: [] for c in client_ids}
    for row in rows:
        out[row.client_id].append(row)
    return out
