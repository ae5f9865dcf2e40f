"""The close of a picture day (issue 21): once self-booking has closed, a day whose close
action is ASSIGN_REMAINING gives the families that have not booked the remaining slots, in name
order (`domain.picture_days.assign_remaining`); either way the day is then marked closed.

Exactly once, with any number of replicas: a day is closed under a lease (a conditional UPDATE
on `lease_until`, as the standing time-slot patterns' worker takes a pattern); each family's
assignment is booked in its own transaction through the same conditional updates as a family's
own booking (a slot taken only while free, a child only while not booked), so a replica taking
over after a lease ran out recomputes from what is booked and can never book a child twice.
The sessions are booked as a JOB caller named after who created the day.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import DomainError
from shutterbook_kit.schema import utcnow
from shutterbook_kit.tenancy import CallContext
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.bulk_runner import job_caller
from shutterbook_scheduling.application.common import SOURCE
from shutterbook_scheduling.application.entries import Attempt
from shutterbook_scheduling.application.picture_day_bookings import book
from shutterbook_scheduling.application.picture_day_events import Announce
from shutterbook_scheduling.application.picture_day_refs import child_key
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository

log = logging.getLogger(__name__)


async def due_day_ids(db: Database, now: datetime) -> list[str]:
    """Days past their close, not yet closed, whose lease is free."""
    async with UnitOfWork(db, readonly=True) as uow:
        return await PictureDayRepository(uow).due_day_ids(now)


async def _take_lease(db: Database, day_id: str, owner: str, lease: timedelta) -> rules.PictureDay | None:
    now = utcnow()
    async with UnitOfWork(db, source=SOURCE) as uow:
        day = await PictureDayRepository(uow).take_lease(day_id, owner, now + lease, now)
        if day is None:
            return None
        await uow.commit()
        return day


async def _remaining(db: Database, day: rules.PictureDay) -> list[rules.Assignment]:
    async with UnitOfWork(db, readonly=True) as uow:
        repo = PictureDayRepository(uow)
        children = await repo.unbooked_children(day.id)
        free = [s.id for s in await repo.slots(day.id, only_free=True)]
    unbooked: dict[str, list[str]] = defaultdict(list)
    for client_id, member_id in children:
        unbooked[client_id].append(child_key(client_id, member_id))
    return rules.assign_remaining(list(unbooked.items()), free, day.siblings_per_slot)


async def close_day(db: Database, day_id: str, *, owner: str, lease_seconds: float, announce: Announce) -> int | None:
    """Close a due day under a lease: the bookings made for the remaining families (None when
    another replica holds the day, or it is not due), each announced by `announce`."""
    day = await _take_lease(db, day_id, owner, timedelta(seconds=lease_seconds))
    if day is None:
        return None
    made = 0
    if day.close_action is rules.CloseAction.ASSIGN_REMAINING:
        tenancy.set_current(CallContext.of(job_caller(day.company_id, day.id, day.created_by)))
        try:
            for assignment in await _remaining(db, day):
                made += await _assign(db, day, assignment, announce)
        finally:
            tenancy.set_current(None)
    async with UnitOfWork(db, source=SOURCE) as uow:
        if await PictureDayRepository(uow).mark_closed(day.id, owner, utcnow()):
            uow.audit(day.company_id, f"pictureDays/{day.id}", "closed")
        await uow.commit()
    return made


async def _assign(db: Database, day: rules.PictureDay, assignment: rules.Assignment, announce: Announce) -> int:
    """One family's slot, in its own transaction; 0 when the slot or a child was taken meanwhile
    (a booking made at the very close) or the session cannot be booked (a conflict)."""
    try:
        async with UnitOfWork(db, source=SOURCE) as uow:
            slot = await PictureDayRepository(uow).slot_by_id(assignment.slot_id)
            if slot is None:
                return 0
            await book(
                uow,
                Attempt(),
                announce,
                day.company_id,
                day,
                assignment.client_id,
                slot,
                assignment.children,
                assigned_at_close=True,
            )
            await uow.commit()
            return 1
    except (DomainError, IntegrityError) as exc:
        # the family stays unbooked (the studio sees it among those not booked); say why
        log.warning(
            "picture day close: a family was not assigned",
            extra={"picture_day": day.id, "client": assignment.client_id, "error": repr(exc)},
        )
        return 0
