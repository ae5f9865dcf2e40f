"""Use cases of picture days (issue 21): create one, read it with its live progress, list the
days, their families (optionally only those not yet booked) and their slots.

A picture day is made once from the bulk wizard's parts (`bulk_jobs`): its families are read
from the clients service through the same selection (a group, a saved filter, an organization
and year); those scheduling does not know yet are left out and counted. Each family's member
children are fixed then (`domain.picture_days.member_children`). Slots are the rows expanded in
the location's zone, in time order. Bookings are in `picture_day_bookings`.

The reads take plain arguments and return domain objects (domain/picture_days.py), read through
the aggregate's repository (storage/picture_day_repository.py); messages are the API edge's
(api/picture_day_convert.py). Creating still reads its request message (it is run once per
request_id, its answer stored as a message), and answers through the edge's `answer`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, InvalidArgument, NotFound, Violations
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.pagination import Page, check_page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import bulk_jobs
from shutterbook_scheduling.application.common import from_ts, run_once, ts
from shutterbook_scheduling.application.picture_day_refs import COLLECTION, day_name
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.domain import bulk_rows
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository

T = TypeVar("T")
CLOSE_ACTIONS = {
    pdpb.PICTURE_DAY_CLOSE_ACTION_LEAVE_UNBOOKED: rules.CloseAction.LEAVE_UNBOOKED,
    pdpb.PICTURE_DAY_CLOSE_ACTION_ASSIGN_REMAINING: rules.CloseAction.ASSIGN_REMAINING,
}


def _renamed(err: InvalidArgument, old: str, new: str) -> InvalidArgument:
    """The same violations under another field prefix (`selector.year` -> `picture_day.families.year`)."""
    v = Violations()
    for item in err.violations:
        v.add(new + item.field.removeprefix(old), item.description)
    return InvalidArgument(err.message, violations=v.items)


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


def _check_day(request: pdpb.CreatePictureDayRequest, v: Violations) -> list[bulk_rows.BulkRow] | None:
    day = request.picture_day
    validate_request_id(request.request_id, v)
    if not day.display_name.strip():
        v.add("picture_day.display_name", "is required")
    elif len(day.display_name) > 200:
        v.add("picture_day.display_name", "at most 200 characters")
    for field in ("open_time", "close_time"):
        if not day.HasField(field):
            v.add(f"picture_day.{field}", "is required")
    if day.close_action not in CLOSE_ACTIONS:
        v.add("picture_day.close_action", "choose LEAVE_UNBOOKED or ASSIGN_REMAINING")
    opens = from_ts(day.open_time) if day.HasField("open_time") else None
    closes = from_ts(day.close_time) if day.HasField("close_time") else None
    for field, problem in rules.settings_problems(day.siblings_per_slot, opens, closes).items():
        v.add(f"picture_day.{field}", problem)
    rows_found = Violations()
    rows = bulk_jobs.read_rows(list(day.time_slot_rows), rows_found)
    for item in rows_found.items:
        v.add(f"picture_day.{item.field}", item.description)
    return rows


def _families(listed: Sequence[clients_pb2.Client]) -> list[tuple[str, str, list[rules.Child]]]:
    """(client id, display name, member children) of each client listed, each once."""
    out: list[tuple[str, str, list[rules.Child]]] = []
    seen: set[str] = set()
    for client in listed:
        client_id = client.name.removeprefix("clients/")
        if client_id in seen:
            continue
        seen.add(client_id)
        display = bulk_jobs.client_display_name(client)
        members = [
            rules.FamilyMember(
                member_id=m.name.rsplit("/", 1)[-1],
                display_name=" ".join(p for p in (m.given_name, m.family_name or client.family_name) if p),
                is_child=m.relationship == clients_pb2.FAMILY_RELATIONSHIP_CHILD,
            )
            for m in client.family_members
        ]
        out.append((client_id, display, rules.member_children(display, members)))
    return out


async def create_picture_day(
    db: Database,
    company_id: str,
    request: pdpb.CreatePictureDayRequest,
    clients_target: str,
    answer: Callable[[rules.DayState], pdpb.PictureDay],
) -> pdpb.PictureDay:
    """The day made from the request's parts, answered (as it is stored, with its window and
    progress) by `answer`, the edge's converter, once per request_id."""
    v = Violations()
    rows = _check_day(request, v)
    try:
        selection = bulk_jobs.selector_request(request.picture_day.families)
    except InvalidArgument as err:
        v.items.extend(_renamed(err, "selector", "picture_day.families").violations)
        selection = None
    v.raise_if_any()
    assert rows is not None
    assert selection is not None
    try:
        listed = await bulk_jobs.list_selected(clients_target, selection)
    except InvalidArgument as err:
        raise _renamed(err, "selector", "picture_day.families") from None
    families = _families(listed)
    caller = tenancy.current().caller
    day = request.picture_day

    async def work(uow: UnitOfWork) -> pdpb.PictureDay:
        found = Violations()
        checked = await bulk_jobs.check_template(uow, company_id, day.template, found)
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
        known = await repo.known_clients(company_id, [f[0] for f in families])
        day_id = str(uuid.uuid4())
        now = utcnow()
        msg = pdpb.PictureDay()
        msg.CopyFrom(day)
        for output_only in ("window", "progress"):
            msg.ClearField(output_only)
        msg.name = day_name(day_id)
        msg.time_zone = checked.plan.location.time_zone
        msg.create_time.CopyFrom(ts(now))
        msg.skipped_families = len(families) - sum(1 for f in families if f[0] in known)
        new = rules.PictureDay(
            id=day_id,
            company_id=company_id,
            location_id=checked.plan.location.name.removeprefix("locations/"),
            time_zone=msg.time_zone,
            siblings_per_slot=day.siblings_per_slot,
            open_at=from_ts(day.open_time),
            close_at=from_ts(day.close_time),
            close_action=CLOSE_ACTIONS[day.close_action],
            created_by=caller,
            created_at=now,
            created=msg.SerializeToString(),
        )
        new_slots = [rules.Slot(str(uuid.uuid4()), day_id, s.start, s.end, None) for s in slots]
        new_families = [
            rules.Family(
                day_id=day_id,
                client_id=client_id,
                display_name=display,
                email=known[client_id],
                has_access_code=False,
                children=tuple(rules.FamilyChild(client_id, c.member_id, c.display_name, None) for c in children),
            )
            for client_id, display, children in families
            if client_id in known
        ]
        await repo.add_day(new, new_slots, new_families)
        uow.audit(company_id, msg.name, "created", after=msg)
        return answer(await day_state(uow, new, now))

    return await run_once(db, company_id, "CreatePictureDay", request, pdpb.PictureDay, work)
