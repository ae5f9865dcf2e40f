"""The bulk job aggregate at the API edge: names to ids, the wizard's requests (clients, template,
time-slot rows) to domain objects (`read_rows`, `wanted`), domain objects (domain/bulk_jobs.py)
to response messages, a create run once per its `request_id` (`create_job`), the
`scheduling.bulk_job.completed` event (`announce_completed`, passed to the job runner as its
`Announce`), and an item's booking run once per its request_id (`item_once`, the runner's
`ItemOnce`: the idempotency record keeps the CreateSession answer, as for a staff booking).
A selection's selector is read here (`selector`) and the clients service asked through the
adapter the servicer holds (adapters/clients_service.py); what it answers is a domain
`Selection` here too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.pagination import Page, check_page
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.api.bulk_row_convert import read_rows
from shutterbook_scheduling.api.entry_convert import entry_once, session_message
from shutterbook_scheduling.api.proto_values import run_once, ts
from shutterbook_scheduling.application import bulk_jobs
from shutterbook_scheduling.application.bulk_jobs import ClientsSource
from shutterbook_scheduling.application.bulk_runner import ItemOnce
from shutterbook_scheduling.application.entries import Once, Work
from shutterbook_scheduling.domain.bulk_jobs import (
    COLLECTION,
    ITEM_DONE,
    ITEM_PENDING,
    JOB_SUCCEEDED,
    TEMPLATE_FIELDS,
    BulkJob,
    BulkJobItem,
    BulkTemplate,
    NewBulkJob,
    Selection,
    Verification,
)
from shutterbook_scheduling.domain.client_selection import MAX_CLIENTS, ClientSelector
from shutterbook_scheduling.domain.entries import Session


def job_id(name: str, field: str = "name") -> str:
    """`bulkJobs/{id}` -> the id (another shape INVALID_ARGUMENT on `field`, an id that is no
    UUID NOT_FOUND)."""
    return parse_name(name, COLLECTION, field=field)


def items_request(request: bpb.ListBulkJobItemsRequest) -> tuple[str, int, str]:
    """The job's id, the page size and token (a bad page first, then a bad parent)."""
    check_page(request.page_size, request.page_token)
    return job_id(request.parent, field="parent"), request.page_size, request.page_token


def client_ids(names: Sequence[str], v: Violations, *, required: bool) -> tuple[str, ...]:
    """`clients/{id}` names to ids, each once (violations `clients`, `clients[i]`)."""
    ids: list[str] = []
    seen: set[str] = set()
    if required and not names:
        v.add("clients", "at least one client is required")
    if len(names) > MAX_CLIENTS:
        v.add("clients", f"at most {MAX_CLIENTS} clients")
        return ()
    for i, name in enumerate(names):
        client_id = parse_reference(name, "clients", field=f"clients[{i}]", violations=v)
        if client_id is None:
            continue
        if client_id in seen:
            v.add(f"clients[{i}]", f"{name} is listed twice")
        seen.add(client_id)
        ids.append(client_id)
    return tuple(ids)


def template(msg: bpb.BulkSessionTemplate) -> BulkTemplate:
    return BulkTemplate(**{f: getattr(msg, f) for f in TEMPLATE_FIELDS})


def wanted(
    clients: Sequence[str],
    given: bpb.BulkSessionTemplate | None,
    rows: Sequence[bpb.TimeSlotRow],
    v: Violations,
    *,
    clients_required: bool,
    allow_conflicts: bool = False,
) -> NewBulkJob:
    """A verify's or create's clients, template (None: not given) and rows as domain objects;
    what is wrong with them added to `v` (the use case raises them with the template's)."""
    ids = client_ids(clients, v, required=clients_required)
    read = read_rows(rows, v)
    return NewBulkJob(
        client_ids=ids,
        rows=None if read is None else tuple(read),
        template=None if given is None else template(given),
        allow_conflicts=allow_conflicts,
    )


def selection_response(found: Selection) -> bpb.SelectBulkClientsResponse:
    return bpb.SelectBulkClientsResponse(
        clients=[bpb.BulkClient(client=c.client, display_name=c.display_name) for c in found.clients],
        not_known_clients=[
            bpb.BulkClient(client=c.client, display_name=c.display_name) for c in found.not_known_clients
        ],
        excluded_with_future_session=found.excluded_with_future_session,
    )


def selector(msg: bpb.BulkClientSelector) -> ClientSelector:
    """The selector as given (checked by the use case, `client_selection.check_selector`)."""
    return ClientSelector(group=msg.group, saved_filter=msg.saved_filter, organization=msg.organization, year=msg.year)


async def select_clients(
    db: Database, company_id: str, request: bpb.SelectBulkClientsRequest, clients: ClientsSource
) -> bpb.SelectBulkClientsResponse:
    found = await bulk_jobs.select_clients(
        db, company_id, selector(request.selector), request.only_without_future_session, clients
    )
    return selection_response(found)


def verify_response(found: Verification) -> bpb.VerifyBulkScheduleResponse:
    return bpb.VerifyBulkScheduleResponse(
        slot_count=found.slot_count,
        client_count=found.client_count,
        enough_slots=found.enough_slots,
        slots_per_row=found.slots_per_row,
        clients_per_row=found.clients_per_row,
        conflicts=[
            bpb.BulkConflict(
                slot_index=c.slot_index, slot_start_time=ts(c.slot_start), entry=c.entry, schedule=c.schedule
            )
            for c in found.conflicts
        ],
        skipped_nonexistent_slots=found.skipped_nonexistent_slots,
    )


async def verify(
    db: Database, company_id: str, request: bpb.VerifyBulkScheduleRequest
) -> bpb.VerifyBulkScheduleResponse:
    v = Violations()
    new = wanted(request.clients, request.template, request.time_slot_rows, v, clients_required=False)
    return verify_response(await bulk_jobs.verify(db, company_id, new, v))


async def create_job(db: Database, company_id: str, request: bpb.CreateBulkJobRequest) -> bpb.BulkJob:
    """The job, stored once per the request's `request_id` (a retry is answered the first
    answer, as get and list answer it)."""
    v = Violations()
    validate_request_id(request.request_id, v)
    job = request.bulk_job
    given = job.template if job.HasField("template") else None
    new = wanted(
        request.clients, given, job.time_slot_rows, v, clients_required=True, allow_conflicts=job.allow_conflicts
    )

    async def work(uow: UnitOfWork) -> bpb.BulkJob:
        return job_message(await bulk_jobs.add_job(uow, company_id, new, v))

    return await run_once(db, company_id, "CreateBulkJob", request, bpb.BulkJob, work)


def job_message(job: BulkJob) -> bpb.BulkJob:
    msg = bpb.BulkJob(
        name=job.name,
        allow_conflicts=job.allow_conflicts,
        created_by=job.created_by,
        create_time=ts(job.create_time),
    )
    if job.template is not None:
        t = job.template
        msg.template.CopyFrom(
            bpb.BulkSessionTemplate(
                location=t.location,
                description=t.description,
                session_type=t.session_type,
                status=t.status,
                photographer=t.photographer,
                assistant=t.assistant,
                camera_room=t.camera_room,
            )
        )
    for r in job.rows:
        out = msg.time_slot_rows.add(
            session_duration_minutes=r.session_duration_minutes,
            exclude_saturdays=r.exclude_saturdays,
            exclude_sundays=r.exclude_sundays,
            minutes_between_sessions=r.minutes_between_sessions,
        )
        for field, day in (("start_date", r.start_date), ("end_date", r.end_date)):
            if day is not None:
                getattr(out, field).CopyFrom(date_pb2.Date(year=day.year, month=day.month, day=day.day))
        for field, minute in (
            ("start_time", r.start_minute),
            ("end_time", r.end_minute),
            ("break_start", r.break_start_minute),
            ("break_end", r.break_end_minute),
        ):
            if minute is not None:
                getattr(out, field).CopyFrom(pb.TimeOfDay(hours=minute // 60, minutes=minute % 60))
    msg.state = bpb.BULK_JOB_STATE_SUCCEEDED if job.state == JOB_SUCCEEDED else bpb.BULK_JOB_STATE_RUNNING
    msg.total = job.total
    msg.done = job.done
    msg.failures = job.failures
    if job.complete_time is not None:
        msg.complete_time.CopyFrom(ts(job.complete_time))
    return msg


def jobs_response(page: Page[BulkJob]) -> bpb.ListBulkJobsResponse:
    return bpb.ListBulkJobsResponse(
        bulk_jobs=[job_message(j) for j in page.items], next_page_token=page.next_page_token
    )


_ITEM_STATES = {ITEM_PENDING: bpb.BULK_JOB_ITEM_STATE_PENDING, ITEM_DONE: bpb.BULK_JOB_ITEM_STATE_DONE}


def item_message(item: BulkJobItem) -> bpb.BulkJobItem:
    return bpb.BulkJobItem(
        position=item.position,
        client=f"clients/{item.client_id}",
        start_time=ts(item.start.astimezone(UTC)),
        end_time=ts(item.end.astimezone(UTC)),
        state=_ITEM_STATES.get(item.state, bpb.BULK_JOB_ITEM_STATE_FAILED),
        session=f"sessions/{item.session_id}" if item.session_id else "",
        failure=item.failure,
    )


def items_response(page: Page[BulkJobItem]) -> bpb.ListBulkJobItemsResponse:
    return bpb.ListBulkJobItemsResponse(
        items=[item_message(i) for i in page.items], next_page_token=page.next_page_token
    )


def announce_completed(uow: UnitOfWork, company_id: str, job: BulkJob) -> None:
    """Emit `scheduling.bulk_job.completed` with the finished job, in `uow`."""
    uow.emit(events.BULK_JOB_COMPLETED, company_id, bpb.BulkJobCompletedEvent(bulk_job=job_message(job)))


def item_request(session: Session, request_id: str, allow_conflicts: bool) -> pb.CreateSessionRequest:
    """The CreateSession request an item's booking is kept under: the same bytes on every replay
    (the item's session and request_id are), so its idempotency record answers a replay."""
    return pb.CreateSessionRequest(
        session=session_message(session), request_id=request_id, allow_conflicts=allow_conflicts
    )


def item_once(db: Database) -> ItemOnce:
    """The job runner's `ItemOnce`: an item's booking run once per its request_id (scope
    `CreateSession`, as a staff CreateSession), answered with the booked session's name."""

    def once(company_id: str, session: Session, request_id: str, allow_conflicts: bool) -> Once[Session, str]:
        request = item_request(session, request_id, allow_conflicts)
        run = entry_once(db, company_id, pb.Session, session_message, request)

        async def named(work: Work[Session]) -> str:
            return (await run(work)).name

        return named

    return once
