"""The bulk job aggregate's repository: every query, insert, claim and lock of its rows (`bulk_jobs`,
`bulk_job_rows`, `bulk_job_items`), and the reads bulk scheduling makes of other tables (which
selected clients scheduling knows, which have a future session, the calendar blocks a verify
reports as conflicts).

A use case (application/bulk_jobs.py, bulk_job_list.py, bulk_runner.py) makes
`BulkJobRepository(uow)` inside its unit of work and never touches `uow.session` or writes a
statement itself. Rows in, domain objects out (domain/bulk_jobs.py); the runner's changes
(`claim`, `record`, `complete`) each lock the job first and check the runner still holds its
lease. Creating a job (`add_job`) takes the job and its items as domain objects too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import func, select

from shutterbook_kit.pagination import Page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.bulk_jobs import (
    TEMPLATE_FIELDS,
    BulkJob,
    BulkJobItem,
    BulkTemplate,
    ItemOutcome,
    counted,
)
from shutterbook_scheduling.storage import lists
from shutterbook_scheduling.storage.bulk_models import (
    ITEM_PENDING,
    JOB_RUNNING,
    JOB_SUCCEEDED,
    BulkJobItemRow,
    BulkJobRow,
    BulkJobRowRow,
)
from shutterbook_scheduling.storage.bulk_row_columns import job_row_of
from shutterbook_scheduling.storage.leases import lease_free
from shutterbook_scheduling.storage.models import CalendarBlockRow, KnownClientRow, SessionRow

CHUNK = 500  # ids per IN (...) query


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def bulk_job(row: BulkJobRow) -> BulkJob:
    """The job as stored (its items not counted: `domain.bulk_jobs.counted`)."""
    template = BulkTemplate(**{f: getattr(row, f"template_{f}") for f in TEMPLATE_FIELDS}) if row.has_template else None
    rows = tuple(job_row_of(r) for r in row.rows)
    return BulkJob(
        id=row.id,
        template=template,
        rows=rows,
        allow_conflicts=row.allow_conflicts,
        created_by=row.created_by,
        create_time=row.created_at,
        state=row.state,
        total=row.total,
        complete_time=row.completed_at,
    )


def bulk_job_item(row: BulkJobItemRow) -> BulkJobItem:
    return BulkJobItem(row.position, row.client_id, row.start_at, row.end_at, row.state, row.session_id, row.failure)


class BulkJobRepository:
    """The bulk job aggregate's rows (and bulk scheduling's reads) within one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    # --- client selection and verify ---

    async def bookable_clients(self, company_id: str, client_ids: Sequence[str]) -> set[str]:
        """The clients scheduling knows, neither deleted nor merged into another."""
        known: set[str] = set()
        for chunk in _chunks(client_ids):
            rows = await self.uow.session.execute(
                select(KnownClientRow.client_id, KnownClientRow.deleted, KnownClientRow.merged_into).where(
                    KnownClientRow.company_id == company_id, KnownClientRow.client_id.in_(chunk)
                )
            )
            known.update(r.client_id for r in rows if not r.deleted and not r.merged_into)
        return known

    async def clients_with_future_session(self, company_id: str, client_ids: Sequence[str], now: datetime) -> set[str]:
        """The clients with a session (not cancelled) starting after `now`."""
        found: set[str] = set()
        for chunk in _chunks(client_ids):
            future = await self.uow.session.scalars(
                select(SessionRow.client_id).where(
                    SessionRow.company_id == company_id,
                    SessionRow.client_id.in_(chunk),
                    SessionRow.start_at > now,
                    SessionRow.cancelled.is_(False),
                )
            )
            found.update(future)
        return found

    async def occupying_blocks(
        self, company_id: str, schedule_ids: Sequence[str], low: datetime, high: datetime
    ) -> list[CalendarBlockRow]:
        """The blocks occupying one of the schedules between `low` and `high`, by start."""
        blocks = await self.uow.session.scalars(
            select(CalendarBlockRow)
            .where(
                CalendarBlockRow.company_id == company_id,
                CalendarBlockRow.schedule_id.in_(schedule_ids),
                CalendarBlockRow.occupies,
                CalendarBlockRow.occupied_start < high,
                CalendarBlockRow.occupied_end > low,
            )
            .order_by(CalendarBlockRow.occupied_start)
        )
        return list(blocks.all())

    # --- jobs ---

    async def add_job(self, company_id: str, job: BulkJob, items: Iterable[BulkJobItem]) -> BulkJob:
        """Store a new job (its template and rows as given), then its items; the job as stored
        (none of its items done yet)."""
        template = job.template or BulkTemplate()
        row = BulkJobRow(
            id=job.id,
            company_id=company_id,
            state=job.state,
            created_by=job.created_by,
            allow_conflicts=job.allow_conflicts,
            total=job.total,
            lease_owner=None,
            lease_until=None,
            created_at=job.create_time,
            completed_at=job.complete_time,
            has_template=job.template is not None,
            **{f"template_{f}": getattr(template, f) for f in TEMPLATE_FIELDS},
        )
        row.rows = [BulkJobRowRow(position=i, **asdict(r)) for i, r in enumerate(job.rows)]
        self.uow.session.add(row)
        await self.uow.session.flush()
        self.uow.session.add_all(
            BulkJobItemRow(
                job_id=job.id,
                company_id=company_id,
                start_at=item.start,
                end_at=item.end,
                **{f: getattr(item, f) for f in ("position", "client_id", "state", "session_id", "failure")},
            )
            for item in items
        )
        return bulk_job(row)

    async def job(self, company_id: str, job_id: str) -> BulkJob | None:
        """The company's job (its items not counted), None when there is none."""
        row = await self.uow.session.scalar(
            select(BulkJobRow).where(BulkJobRow.id == job_id, BulkJobRow.company_id == company_id)
        )
        return None if row is None else bulk_job(row)

    async def jobs_page(self, company_id: str, page_size: int, page_token: str) -> Page[BulkJob]:
        """The company's jobs (their items not counted), newest first."""
        page = await lists.bulk_jobs_page(self.uow.session, company_id, page_size, page_token)
        return Page([bulk_job(r) for r in page.items], page.next_page_token)

    async def items_page(self, job_id: str, page_size: int, page_token: str) -> Page[BulkJobItem]:
        """A job's items in their order."""
        page = await lists.bulk_job_items_page(self.uow.session, job_id, page_size, page_token)
        return Page([bulk_job_item(r) for r in page.items], page.next_page_token)

    async def item_counts(self, job_id: str) -> dict[str, int]:
        """The job's items by state: {state: how many}."""
        rows = await self.uow.session.execute(
            select(BulkJobItemRow.state, func.count())
            .where(BulkJobItemRow.job_id == job_id)
            .group_by(BulkJobItemRow.state)
        )
        return {state: int(count) for state, count in rows.tuples()}

    async def item_counts_of(self, job_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Each job's items by state (every job given has an entry, empty without items)."""
        counts: dict[str, dict[str, int]] = {job_id: {} for job_id in job_ids}
        if not counts:
            return counts
        found = await self.uow.session.execute(
            select(BulkJobItemRow.job_id, BulkJobItemRow.state, func.count())
            .where(BulkJobItemRow.job_id.in_(list(counts)))
            .group_by(BulkJobItemRow.job_id, BulkJobItemRow.state)
        )
        for job_id, state, count in found.tuples():
            counts[job_id][state] = int(count)
        return counts

    # --- the runner ---

    async def has_runnable(self, now: datetime) -> bool:
        """Whether a job is running with a free (or expired) lease: a plain read."""
        runnable = (BulkJobRow.state == JOB_RUNNING, lease_free(BulkJobRow, now))
        return await self.uow.session.scalar(select(BulkJobRow.id).where(*runnable).limit(1)) is not None

    async def claim(self, owner: str, until: datetime, now: datetime) -> tuple[str, BulkJob] | None:
        """The oldest running job with a free lease (and its company), leased to `owner` until
        `until`; None when there is none. PostgreSQL: FOR UPDATE SKIP LOCKED (replicas take
        different jobs); SQLite: the write transaction serializes claims."""
        row = await self.uow.session.scalar(
            select(BulkJobRow)
            .where(BulkJobRow.state == JOB_RUNNING, lease_free(BulkJobRow, now))
            .order_by(BulkJobRow.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if row is None:
            return None
        row.lease_owner = owner
        row.lease_until = until
        return row.company_id, bulk_job(row)

    async def pending_items(self, job_id: str, limit: int) -> list[BulkJobItem]:
        """The job's first `limit` items still pending, in their order."""
        rows = await self.uow.session.scalars(
            select(BulkJobItemRow)
            .where(BulkJobItemRow.job_id == job_id, BulkJobItemRow.state == ITEM_PENDING)
            .order_by(BulkJobItemRow.position)
            .limit(limit)
        )
        return [bulk_job_item(r) for r in rows.all()]

    async def _leased_row(self, job_id: str, owner: str) -> BulkJobRow | None:
        """The job locked (FOR UPDATE), if `owner` still holds its lease."""
        row = await self.uow.session.scalar(select(BulkJobRow).where(BulkJobRow.id == job_id).with_for_update())
        return row if row is not None and row.lease_owner == owner else None

    async def record(self, job_id: str, owner: str, until: datetime, outcomes: Sequence[ItemOutcome]) -> bool:
        """Write the items' outcomes and renew the lease until `until`, if `owner` still holds
        it; whether it did."""
        job = await self._leased_row(job_id, owner)
        if job is None:
            return False
        job.lease_until = until
        by_position = {o.position: o for o in outcomes}
        items = await self.uow.session.scalars(
            select(BulkJobItemRow).where(
                BulkJobItemRow.job_id == job_id, BulkJobItemRow.position.in_(list(by_position))
            )
        )
        for item in items.all():
            outcome = by_position[item.position]
            item.state = outcome.state
            item.session_id = outcome.session_id
            item.failure = outcome.failure
        return True

    async def complete(self, job_id: str, owner: str, now: datetime) -> BulkJob | None:
        """Mark the running job `owner` holds succeeded `now` and free its lease; the job as
        completed (its items counted), None when it is not `owner`'s or not running."""
        job = await self._leased_row(job_id, owner)
        if job is None or job.state != JOB_RUNNING:
            return None
        job.state = JOB_SUCCEEDED
        job.completed_at = now
        job.lease_owner = None
        job.lease_until = None
        return counted(bulk_job(job), await self.item_counts(job.id))
