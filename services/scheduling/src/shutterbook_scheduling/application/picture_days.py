"""Use cases of picture days (issue 21): create one, read it with its live progress, list the
days, their families (optionally only those not yet booked) and their slots.

A picture day is made once from the bulk wizard's parts (`bulk_jobs`): its families are read
from the clients service through the same selection (a group, a saved filter, an organization
and year); those scheduling does not know yet are left out and counted. Each family's member
children are fixed then (`domain.picture_days.member_children`). Slots are the rows expanded in
the location's zone, in time order. Bookings are in `picture_day_bookings`.

The reads take plain arguments and return domain objects (domain/picture_days.py), read through
the aggregate's repository (storage/picture_day_repository.py); messages are the API edge's
(api/picture_day_convert.py). Creating takes the request as the edge read and checked it (the
day's settings, its time-slot rows, the families the clients service listed) and the edge's
steps for what stays a message: the template's check, the day as created, the run once per
request_id.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from shutterbook_kit import tenancy
from shutterbook_kit.audit import Snapshot
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, NotFound, Violations
from shutterbook_kit.pagination import Page, check_page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import bulk_jobs
from shutterbook_scheduling.application.picture_day_refs import COLLECTION, day_name
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.domain import bulk_rows
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository

T = TypeVar("T")


# --- reading a day ---------------------------------------------------------------------------------


async def load_day(uow: UnitOfWork, company_id: str, day_id: str, name: str, *, lock: bool = False) -> rules.PictureDay:
    day = await PictureDayRepository(uow).day(company_id, day_id, lock=lock)
    if day is None or not caller_sees(day.location_id):
        raise NotFound(f"{name} not found")
    return day


async def load_day_by_name(uow: UnitOfWork, company_id: str, name: str, field: str = "name") -> rules.PictureDay:
    return await load_day(uow, company_id, parse_name(name, COLLECTION, field=field), name)


async def day_state(uow: UnitOfWork, day: rules.PictureDay, now: datetime) -> rules.DayState:
    """The day with its window at `now` and its live progress."""
    repo = PictureDayRepository(uow)
    return rules.day_state(day, now, await repo.family_counts(day.id), await repo.slot_counts(day.id))


async def get_picture_day(db: Database, company_id: str, name: str) -> rules.DayState:
    async with UnitOfWork(db, readonly=True) as uow:
        day = await load_day_by_name(uow, company_id, name)
        return await day_state(uow, day, utcnow())


async def list_picture_days(db: Database, company_id: str, page_size: int, page_token: str) -> Page[rules.DayState]:
    """The company's days the caller sees, newest first."""
    now = utcnow()
    async with UnitOfWork(db, readonly=True) as uow:
        page = await PictureDayRepository(uow).days_page(company_id, page_size, page_token)
        days = [await day_state(uow, day, now) for day in page.items if caller_sees(day.location_id)]
    return Page(days, page.next_page_token)


# --- families and slots ----------------------------------------------------------------------------


async def _in_day(
    db: Database,
    company_id: str,
    parent: str,
    page_size: int,
    page_token: str,
    pager: Callable[[PictureDayRepository, str, int, str], Awaitable[Page[T]]],
) -> tuple[rules.PictureDay, Page[T]]:
    """A page of a list within the picture day `parent` names (its page fields checked before
    the day is looked up), read by `pager` in one read-only unit of work."""
    check_page(page_size, page_token)
    async with UnitOfWork(db, readonly=True) as uow:
        day = await load_day_by_name(uow, company_id, parent, field="parent")
        return day, await pager(PictureDayRepository(uow), day.id, page_size, page_token)


async def list_families(
    db: Database, company_id: str, parent: str, page_size: int, page_token: str, *, only_not_booked: bool
) -> Page[rules.Family]:
    """The day's families by name (`only_not_booked`: those with a child still to book)."""
    pager = functools.partial(PictureDayRepository.families_page, only_not_booked=only_not_booked)
    _, page = await _in_day(db, company_id, parent, page_size, page_token, pager)
    return page


async def list_slots(
    db: Database, company_id: str, parent: str, page_size: int, page_token: str, *, only_free: bool
) -> tuple[rules.PictureDay, Page[rules.Slot]]:
    """The day (its zone names the slots' local times) and a page of its slots in time order."""
    pager = functools.partial(PictureDayRepository.slots_page, only_free=only_free)
    return await _in_day(db, company_id, parent, page_size, page_token, pager)


# --- creating a day --------------------------------------------------------------------------------

# The edge's check of the request's session template, in the unit of work given (violations
# named `template.*`).
TemplateCheck = Callable[[UnitOfWork, Violations], Awaitable[bulk_jobs.CheckedTemplate | None]]
# The day as created, from its id, its zone, when, and how many families were left out: what it
# was created with beyond its settings (kept as `PictureDay.record`) and the audit's snapshot.
Created = Callable[[str, str, datetime, int], tuple[rules.DayRecord, Snapshot]]
# Runs the create's work once per the request's request_id: the edge's answer.
DayOnce = Callable[[Callable[[UnitOfWork], Awaitable[rules.DayState]]], Awaitable[T]]


async def create_picture_day(
    company_id: str,
    settings: rules.NewDay,
    rows: list[bulk_rows.BulkRow],
    families: Sequence[rules.NewFamily],
    check_template: TemplateCheck,
    created: Created,
    once: DayOnce[T],
) -> T:
    """The day made from the request's parts (read and checked at the edge; the families listed
    from the clients service), stored with its slots and the families scheduling knows (the
    others left out and counted), as it is stored with its window and progress, once per
    request_id."""
    caller = tenancy.current().caller

    async def work(uow: UnitOfWork) -> rules.DayState:
        found = Violations()
        checked = await check_template(uow, found)
        v = Violations()
        for item in found.items:
            v.add(f"picture_day.{item.field}", item.description)
        v.raise_if_any()
        assert checked is not None
        slots = bulk_rows.slot_order(bulk_jobs.expand_rows(rows, checked.zone).slots)
        if not slots:
            raise FailedPrecondition(
                "the time-slot rows hold no slot", metadata={"field": "picture_day.time_slot_rows"}
            )
        repo = PictureDayRepository(uow)
        known = await repo.known_clients(company_id, [f.client_id for f in families])
        day_id = str(uuid.uuid4())
        now = utcnow()
        time_zone = checked.plan.location.time_zone
        skipped = len(families) - sum(1 for f in families if f.client_id in known)
        record, snapshot = created(day_id, time_zone, now, skipped)
        new = rules.PictureDay(
            id=day_id,
            company_id=company_id,
            location_id=checked.plan.location.name.removeprefix("locations/"),
            time_zone=time_zone,
            siblings_per_slot=settings.siblings_per_slot,
            open_at=settings.open_at,
            close_at=settings.close_at,
            close_action=settings.close_action,
            created_by=caller,
            created_at=now,
            record=record,
        )
        new_slots = [rules.Slot(str(uuid.uuid4()), day_id, s.start, s.end, None) for s in slots]
        new_families = [
            rules.Family(
                day_id=day_id,
                client_id=f.client_id,
                display_name=f.display_name,
                email=known[f.client_id],
                has_access_code=False,
                children=tuple(rules.FamilyChild(f.client_id, c.member_id, c.display_name, None) for c in f.children),
            )
            for f in families
            if f.client_id in known
        ]
        await repo.add_day(new, new_slots, new_families)
        uow.audit(company_id, day_name(day_id), "created", after=snapshot)
        return await day_state(uow, new, now)

    return await once(work)
