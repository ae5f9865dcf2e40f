"""Use cases of bulk scheduling (issue 8, reference page 04 "Bulk Scheduling").

The wizard's steps: SelectBulkClients asks the clients service (a group, a saved filter,
or an organization and year) and keeps the clients scheduling knows, optionally only those
without a future session; the caller reviews and unselects; VerifyBulkSchedule counts the
slots of the time-slot rows against the clients and reports existing bookings of the
template's photographer, assistant and room (studio hours and lunch periods are ignored,
as the page says); CreateBulkJob persists a job and one item per client with its slot.
The sessions are then created by `bulk_runner`, item by item, through the sessions' use case
(`sessions.create_session`).

The clients service is asked through a `ClientsSource` (adapters/clients_service.py answers
it over gRPC): a `ClientSelector` in, `ListedClient`s out (domain/client_selection.py); the
rules (the selector's check, at most MAX_CLIENTS, which clients scheduling knows) stay here.
The sessions a template makes are domain sessions (`session_for`, `item_session`; the item's
request_id: `item_request_id`), checked by planning (`check_template`) and booked by the
sessions' use case as any staff booking.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, NotFound, Violations
from shutterbook_kit.pagination import Page
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import planning
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.domain import bulk_rows
from shutterbook_scheduling.domain.bulk_jobs import (
    COLLECTION,
    ITEM_PENDING,
    TEMPLATE_FIELDS,
    BulkConflict,
    BulkJob,
    BulkJobItem,
    BulkTemplate,
    NewBulkJob,
    SelectedClient,
    Selection,
    Verification,
    counted,
    job_row,
)
from shutterbook_scheduling.domain.client_selection import MAX_CLIENTS, ClientSelector, ListedClient, check_selector
from shutterbook_scheduling.domain.entries import Clock, Day, Session
from shutterbook_scheduling.domain.time_patterns import Expansion, Slot, expand
from shutterbook_scheduling.storage.bulk_repository import CHUNK, BulkJobRepository

_TEMPLATE_CHECK_DAY = date(2001, 1, 2)  # any plain day: the template is checked apart from the slots


# --- client selection --------------------------------------------------------------------------


class ClientsSource(Protocol):
    """The clients service as a selection asks it (adapters/clients_service.ClientsService)."""

    async def list_clients(self, selector: ClientSelector, at_most: int) -> list[ListedClient]:
        """The selector's clients, read until all are or more than `at_most` are."""
        ...


async def list_selected(clients: ClientsSource, selector: ClientSelector) -> list[ListedClient]:
    """The selector's clients; FAILED_PRECONDITION for more than MAX_CLIENTS."""
    found = await clients.list_clients(selector, MAX_CLIENTS)
    if len(found) > MAX_CLIENTS:
        raise FailedPrecondition(f"the selection has more than {MAX_CLIENTS} clients; choose a smaller one")
    return found


async def select_clients(
    db: Database,
    company_id: str,
    selector: ClientSelector,
    only_without_future_session: bool,
    clients: ClientsSource,
) -> Selection:
    """The selector's clients from the clients service, split into those scheduling knows and
    those it does not; with `only_without_future_session`, those with a future session left out
    (counted)."""
    check_selector(selector)
    listed = await list_selected(clients, selector)
    ids = [c.client_id for c in listed]
    with_future: set[str] = set()
    now = utcnow()
    async with UnitOfWork(db, readonly=True) as uow:
        repo = BulkJobRepository(uow)
        known = await repo.bookable_clients(company_id, ids)
        if only_without_future_session:
            with_future = await repo.clients_with_future_session(company_id, ids, now)
    chosen: list[SelectedClient] = []
    not_known: list[SelectedClient] = []
    excluded = 0
    for client, client_id in zip(listed, ids, strict=True):
        entry = SelectedClient(client.name, client.display_name)
        if client_id in with_future:
            excluded += 1
        elif client_id in known:
            chosen.append(entry)
        else:
            not_known.append(entry)
    return Selection(tuple(chosen), tuple(not_known), excluded)


# --- rows, template, clients ---------------------------------------------------------------------


def session_for(template: BulkTemplate, client: str, day: date, start: time, end: time) -> Session:
    """The session a template books for `client` on `day` from `start` to `end` (wall clock)."""
    return Session(
        client=client,
        **{name: getattr(template, name) for name in TEMPLATE_FIELDS},
        session_date=Day.of(day),
        start=Clock.of(start),
        end=Clock.of(end),
    )


@dataclass
class CheckedTemplate:
    plan: planning.Plan
    zone: ZoneInfo


async def check_template(
    uow: UnitOfWork, company_id: str, template: BulkTemplate, v: Violations
) -> CheckedTemplate | None:
    """Validate the template as create_session would (its violations named `template.*`)."""
    probe = session_for(template, "", _TEMPLATE_CHECK_DAY, time(12, 0), time(12, 1))
    found = Violations()
    plan = await planning.plan_session(uow, company_id, probe, found, creating=False, participants=False)
    for item in found.items:
        v.add("template." + item.field.removeprefix("session."), item.description)
    if plan is None or found.items:
        return None
    return CheckedTemplate(plan=plan, zone=ZoneInfo(plan.location.time_zone))


def expand_rows(rows: list[bulk_rows.BulkRow], zone: ZoneInfo) -> Expansion:
    return expand([bulk_rows.pattern_row(r) for r in rows], zone, bulk_rows.FIELD_NAMES)


# --- verify --------------------------------------------------------------------------------------


async def _conflicts(
    uow: UnitOfWork, company_id: str, plan: planning.Plan, slots: Sequence[Slot]
) -> list[BulkConflict]:
    """Occupying blocks of the template's schedules that overlap a slot (with the type's buffers)."""
    schedule_ids = plan.blocks[0].schedule_ids
    if not slots or not schedule_ids:
        return []
    before, after = plan.booking_type.buffer_before_minutes, plan.booking_type.buffer_after_minutes
    widened = [(s.start - timedelta(minutes=before), s.end + timedelta(minutes=after)) for s in slots]
    low = min(w[0] for w in widened)
    high = max(w[1] for w in widened)
    blocks = await BulkJobRepository(uow).occupying_blocks(company_id, schedule_ids, low, high)
    return [
        BulkConflict(
            index, slot.start, planning.entry_name(block.entry_kind, block.entry_id), f"schedules/{block.schedule_id}"
        )
        for index, (slot, (start, end)) in enumerate(zip(slots, widened, strict=True))
        for block in blocks
        if block.occupied_start < end and block.occupied_end > start
    ]


async def verify(db: Database, company_id: str, wanted: NewBulkJob, v: Violations) -> Verification:
    """Slots against clients and the conflicts with existing bookings; `v`: the violations the
    edge found reading the request (raised together with the template's)."""
    client_ids = list(wanted.client_ids)
    async with UnitOfWork(db, readonly=True) as uow:
        checked = await check_template(uow, company_id, wanted.template or BulkTemplate(), v)
        v.raise_if_any()
        assert checked is not None
        assert wanted.rows is not None
        rows = list(wanted.rows)
        expansion = expand_rows(rows, checked.zone)
        ordered = bulk_rows.slot_order(expansion.slots)
        used = ordered[: len(client_ids)] if client_ids else ordered
        conflicts = await _conflicts(uow, company_id, checked.plan, used)
    return Verification(
        slot_count=len(ordered),
        client_count=len(client_ids),
        slots_per_row=tuple(bulk_rows.slots_per_row(ordered, len(rows))),
        clients_per_row=tuple(bulk_rows.slots_per_row(ordered[: len(client_ids)], len(rows))),
        conflicts=tuple(conflicts),
        skipped_nonexistent_slots=expansion.skipped_nonexistent,
    )


# --- jobs ----------------------------------------------------------------------------------------


async def add_job(uow: UnitOfWork, company_id: str, wanted: NewBulkJob, v: Violations) -> BulkJob:
    """CreateBulkJob's work, in `uow`: the job and one pending item per client (the edge runs it
    once per the request's `request_id`); `v`: the violations the edge found reading the request
    (raised together with the template's)."""
    checked = await check_template(uow, company_id, wanted.template or BulkTemplate(), v)
    v.raise_if_any()
    assert checked is not None
    assert wanted.rows is not None
    client_ids = wanted.client_ids
    slots = bulk_rows.slot_order(expand_rows(list(wanted.rows), checked.zone).slots)
    if len(slots) < len(client_ids):
        raise FailedPrecondition(
            f"the time-slot rows hold {len(slots)} sessions for {len(client_ids)} clients;"
            " add rows or unselect clients",
            metadata={"field": "time_slot_rows"},
        )
    job = BulkJob(
        id=str(uuid.uuid4()),
        template=wanted.template,
        rows=tuple(job_row(r) for r in wanted.rows),
        allow_conflicts=wanted.allow_conflicts,
        created_by=tenancy.current().caller,
        create_time=utcnow(),
        total=len(client_ids),
    )
    items = (
        BulkJobItem(position, client_id, slot.start, slot.end, ITEM_PENDING, None, "")
        for position, (client_id, slot) in enumerate(zip(client_ids, slots, strict=False))
    )
    return await BulkJobRepository(uow).add_job(company_id, job, items)


async def _visible_job(uow: UnitOfWork, company_id: str, job_id: str) -> BulkJob:
    """The company's job if the caller sees its location (else NOT_FOUND), items not counted."""
    job = await BulkJobRepository(uow).job(company_id, job_id)
    if job is None or not caller_sees(job.location_id):
        raise NotFound(f"{COLLECTION}/{job_id} not found")
    return job


async def get_job(db: Database, company_id: str, job_id: str) -> BulkJob:
    """The job with its items counted."""
    async with UnitOfWork(db, readonly=True) as uow:
        job = await _visible_job(uow, company_id, job_id)
        return counted(job, await BulkJobRepository(uow).item_counts(job.id))


async def list_items(db: Database, company_id: str, job_id: str, page_size: int, page_token: str) -> Page[BulkJobItem]:
    """A page of the job's items, in their order."""
    async with UnitOfWork(db, readonly=True) as uow:
        job = await _visible_job(uow, company_id, job_id)
        return await BulkJobRepository(uow).items_page(job.id, page_size, page_token)


def local_slot(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, time, time]:
    """The wall-clock day, start and end of a slot in the location's zone."""
    local_start = start.astimezone(zone)
    local_end = end.astimezone(zone)
    return local_start.date(), local_start.time().replace(tzinfo=None), local_end.time().replace(tzinfo=None)


def item_request_id(job: BulkJob, item: BulkJobItem) -> str:
    """An item's booking's request_id: the job and the client, the same on every replay, so a
    crash between the session's commit and the item's update is answered by the idempotency
    record with the same session, never a second one."""
    return f"bulk-{job.id}-{item.client_id}"


def item_session(job: BulkJob, item: BulkJobItem, zone: ZoneInfo) -> Session:
    """The session an item books: the job's template for its client in its slot (the location's
    wall clock), the same on every replay."""
    day, start, end = local_slot(item.start, item.end, zone)
    return session_for(job.template or BulkTemplate(), f"clients/{item.client_id}", day, start, end)


__all__ = [
    "CHUNK",
    "add_job",
    "get_job",
    "item_request_id",
    "item_session",
    "list_items",
    "select_clients",
    "verify",
]
