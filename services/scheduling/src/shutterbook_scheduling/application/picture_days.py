"""Use cases of picture days (issue 21): create one, read it with its live progress, list the
days, their families (optionally only those not yet booked) and their slots.

A picture day is made once from the bulk wizard's parts (`bulk_jobs`): its families are read
from the clients service through the same selection (a group, a saved filter, an organization
and year); those scheduling does not know yet are left out and counted. Each family's member
children are fixed then (`domain.picture_days.member_children`). Slots are the rows expanded in
the location's zone, in time order. Bookings are in `picture_day_bookings`.
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from shutterbook.clients.v1 import clients_pb2
from shutterbook.scheduling.v1 import picture_day_pb2 as pdpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, InvalidArgument, NotFound, Violations
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.pagination import Page, check_page
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import bulk_jobs
from shutterbook_scheduling.application.common import from_ts, run_once, to_date, ts
from shutterbook_scheduling.application.picture_day_refs import (
    COLLECTION,
    booking_name,
    child_key,
    day_name,
    slot_name,
)
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.domain import bulk_rows
from shutterbook_scheduling.domain import picture_days as rules
from shutterbook_scheduling.storage.picture_day_models import (
    PictureDayChildRow,
    PictureDayFamilyRow,
    PictureDayRow,
    PictureDaySlotRow,
)
from shutterbook_scheduling.storage.picture_day_repository import PictureDayRepository

R = TypeVar("R")
T = TypeVar("T")
CLOSE_ACTIONS = {
    pdpb.PICTURE_DAY_CLOSE_ACTION_LEAVE_UNBOOKED: rules.CloseAction.LEAVE_UNBOOKED,
    pdpb.PICTURE_DAY_CLOSE_ACTION_ASSIGN_REMAINING: rules.CloseAction.ASSIGN_REMAINING,
}
WINDOWS = {
    rules.Window.NOT_OPEN: pdpb.PICTURE_DAY_WINDOW_NOT_OPEN,
    rules.Window.OPEN: pdpb.PICTURE_DAY_WINDOW_OPEN,
    rules.Window.CLOSED: pdpb.PICTURE_DAY_WINDOW_CLOSED,
}


def _renamed(err: InvalidArgument, old: str, new: str) -> InvalidArgument:
    """The same violations under another field prefix (`selector.year` -> `picture_day.families.year`)."""
    v = Violations()
    for item in err.violations:
        v.add(new + item.field.removeprefix(old), item.description)
    return InvalidArgument(err.message, violations=v.items)


# --- reading a day ---------------------------------------------------------------------------------


async def load_day(uow: UnitOfWork, company_id: str, day_id: str, name: str, *, lock: bool = False) -> PictureDayRow:
    row = await PictureDayRepository(uow).day(company_id, day_id, lock=lock)
    if row is None or not caller_sees(row.location_id):
        raise NotFound(f"{name} not found")
    return row


async def load_day_by_name(uow: UnitOfWork, company_id: str, name: str, field: str = "name") -> PictureDayRow:
    return await load_day(uow, company_id, parse_name(name, COLLECTION, field=field), name)


async def day_message(uow: UnitOfWork, row: PictureDayRow, now: datetime) -> pdpb.PictureDay:
    msg = pdpb.PictureDay.FromString(row.data)
    msg.window = WINDOWS[rules.window(now, row.open_at, row.close_at)]
    repo = PictureDayRepository(uow)
    found = rules.progress(await repo.family_counts(row.id))
    taken, total = await repo.slot_counts(row.id)
    msg.progress.CopyFrom(
        pdpb.PictureDayProgress(
            **dataclasses.asdict(found),
            families_not_booked=found.families_not_booked,
            slots_free=total - taken,
            slots_total=total,
        )
    )
    return msg


async def get_picture_day(db: Database, company_id: str, request: pdpb.GetPictureDayRequest) -> pdpb.PictureDay:
    async with UnitOfWork(db, readonly=True) as uow:
        row = await load_day_by_name(uow, company_id, request.name)
        return await day_message(uow, row, utcnow())


async def list_picture_days(
    db: Database, company_id: str, request: pdpb.ListPictureDaysRequest
) -> pdpb.ListPictureDaysResponse:
    now = utcnow()
    async with UnitOfWork(db, readonly=True) as uow:
        page = await PictureDayRepository(uow).days_page(company_id, request.page_size, request.page_token)
        out = pdpb.ListPictureDaysResponse(next_page_token=page.next_page_token)
        for row in page.items:
            if caller_sees(row.location_id):
                out.picture_days.append(await day_message(uow, row, now))
    return out


# --- families and slots ----------------------------------------------------------------------------


def family_message(
    day_id: str, family: PictureDayFamilyRow, children: Sequence[PictureDayChildRow]
) -> pdpb.PictureDayFamily:
    msg = pdpb.PictureDayFamily(
        name=f"{COLLECTION}/{day_id}/families/{family.client_id}",
        client=f"clients/{family.client_id}",
        display_name=family.display_name,
        booked=all(c.booking_id for c in children),
        has_access_code=family.code_hash is not None,
        email=family.email,
    )
    for child in children:
        msg.children.append(
            pdpb.PictureDayChild(
                child=child_key(child.client_id, child.member_id),
                display_name=child.display_name,
                booking=booking_name(day_id, child.booking_id) if child.booking_id else "",
            )
        )
    return msg


async def in_day(
    db: Database,
    company_id: str,
    request: pdpb.ListPictureDayFamiliesRequest | pdpb.ListPictureDaySlotsRequest,
    pager: Callable[[PictureDayRepository, str, int, str], Awaitable[Page[T]]],
    build: Callable[[UnitOfWork, PictureDayRow, Page[T]], Awaitable[R]],
) -> R:
    """A page of a list within the picture day `request.parent` names (its page fields checked
    before the day is looked up): `pager` reads it, `build` answers, in one read-only unit of work."""
    check_page(request.page_size, request.page_token)
    async with UnitOfWork(db, readonly=True) as uow:
        day = await load_day_by_name(uow, company_id, request.parent, field="parent")
        page = await pager(PictureDayRepository(uow), day.id, request.page_size, request.page_token)
        return await build(uow, day, page)


async def list_families(
    db: Database, company_id: str, request: pdpb.ListPictureDayFamiliesRequest
) -> pdpb.ListPictureDayFamiliesResponse:
    async def build(
        uow: UnitOfWork, day: PictureDayRow, page: Page[PictureDayFamilyRow]
    ) -> pdpb.ListPictureDayFamiliesResponse:
        children = await PictureDayRepository(uow).children_of(day.id, [f.client_id for f in page.items])
        families = [family_message(day.id, f, children[f.client_id]) for f in page.items]
        return pdpb.ListPictureDayFamiliesResponse(families=families, next_page_token=page.next_page_token)

    pager = functools.partial(PictureDayRepository.families_page, only_not_booked=request.only_not_booked)
    return await in_day(db, company_id, request, pager, build)


def slot_message(day_id: str, row: PictureDaySlotRow, zone: ZoneInfo) -> pdpb.PictureDaySlot:
    day, start, end = bulk_jobs.local_slot(row.start_at, row.end_at, zone)
    return pdpb.PictureDaySlot(
        name=slot_name(day_id, row.id),
        start_time=ts(row.start_at),
        end_time=ts(row.end_at),
        local_date=to_date(day),
        local_start=pb.TimeOfDay(hours=start.hour, minutes=start.minute),
        local_end=pb.TimeOfDay(hours=end.hour, minutes=end.minute),
        free=row.booking_id is None,
    )


async def list_slots(
    db: Database, company_id: str, request: pdpb.ListPictureDaySlotsRequest
) -> pdpb.ListPictureDaySlotsResponse:
    async def build(
        _: UnitOfWork, day: PictureDayRow, page: Page[PictureDaySlotRow]
    ) -> pdpb.ListPictureDaySlotsResponse:
        zone = ZoneInfo(day.time_zone)
        slots = [slot_message(day.id, s, zone) for s in page.items]
        return pdpb.ListPictureDaySlotsResponse(slots=slots, next_page_token=page.next_page_token)

    pager = functools.partial(PictureDayRepository.slots_page, only_free=request.only_free)
    return await in_day(db, company_id, request, pager, build)


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
    db: Database, company_id: str, request: pdpb.CreatePictureDayRequest, clients_target: str
) -> pdpb.PictureDay:
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
        row = PictureDayRow(
            id=day_id,
            company_id=company_id,
            data=msg.SerializeToString(),
            location_id=checked.plan.location.name.removeprefix("locations/"),
            time_zone=msg.time_zone,
            siblings_per_slot=day.siblings_per_slot,
            open_at=from_ts(day.open_time),
            close_at=from_ts(day.close_time),
            close_action=CLOSE_ACTIONS[day.close_action].value,
            closed_at=None,
            lease_owner=None,
            lease_until=None,
            created_by=caller,
            created_at=now,
        )
        slot_rows = [
            PictureDaySlotRow(
                id=str(uuid.uuid4()), picture_day_id=day_id, start_at=s.start, end_at=s.end, booking_id=None
            )
            for s in slots
        ]
        family_rows = [
            (
                PictureDayFamilyRow(
                    picture_day_id=day_id,
                    client_id=client_id,
                    display_name=display,
                    sort_name=display.casefold(),
                    email=known[client_id],
                ),
                [
                    PictureDayChildRow(
                        picture_day_id=day_id,
                        client_id=client_id,
                        member_id=child.member_id,
                        position=position,
                        display_name=child.display_name,
                        booking_id=None,
                    )
                    for position, child in enumerate(children)
                ],
            )
            for client_id, display, children in families
            if client_id in known
        ]
        await repo.add_day(row, slot_rows, family_rows)
        uow.audit(company_id, msg.name, "created", after=msg)
        return await day_message(uow, row, now)

    return await run_once(db, company_id, "CreatePictureDay", request, pdpb.PictureDay, work)
