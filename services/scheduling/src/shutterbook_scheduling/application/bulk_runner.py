"""The bulk job runner: a host Worker that claims runnable jobs with a lease and creates
their sessions item by item through the sessions' use case (`sessions.create_session`).

- Claim: a job that is running and whose lease is free or expired. PostgreSQL selects it
  FOR UPDATE SKIP LOCKED, so replicas take different jobs; on SQLite the claim runs in the
  write transaction (BEGIN IMMEDIATE), so claims are serialized.
- Work: a batch of pending items, each created with a deterministic request_id (job and
  client); then the items' outcomes and a renewed lease are written in one transaction,
  which first checks that this runner still holds the lease.
- Crash or restart: nothing is lost. The lease expires (SHUTTERBOOK_SCHEDULING_BULK_LEASE_SECONDS,
  default 30), a runner claims the job again and replays the still-pending items; an item
  whose session was committed before the crash gets that same session back from the
  idempotency record, so there is never a second session, number or event.
- Failures (a conflict, a client no longer bookable) are recorded per item; the job still
  finishes, and its end emits `scheduling.bulk_job.completed` (built at the API edge and passed
  in as `announce`: api/bulk_job_convert.py).
- The job, its items and their outcomes are domain objects (domain/bulk_jobs.py), read and
  written through storage/bulk_repository.py; each item's session is a domain session
  (`bulk_jobs.item_session`) booked by `sessions.create_session` as a staff booking is: run
  once per the item's request_id (`bulk_jobs.item_request_id`) by the edge's `ItemOnce`, its
  events built by the edge's `entries.Announce` (both given by api/bulk_scheduling.py,
  from api/bulk_job_convert.py and api/entry_convert.py).
- Who: the runner acts as a JOB caller (`job:<job id>`) named after the staff member who
  started the job (`created_by`, taken from the starter's verified token by CreateBulkJob), so
  "Booked By" of its sessions is the starter and their audit entries name the job; a call it
  makes to another service carries a token signed for that JOB caller.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from shutterbook_kit import tenancy
from shutterbook_kit.db import Database
from shutterbook_kit.errors import DomainError
from shutterbook_kit.identity import Caller, CallerKind
from shutterbook_kit.periodic import PeriodicWorker
from shutterbook_kit.schema import utcnow
from shutterbook_kit.tenancy import CallContext
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import entries, sessions, setup
from shutterbook_scheduling.application.bulk_jobs import item_request_id, item_session
from shutterbook_scheduling.application.common import SOURCE
from shutterbook_scheduling.domain.bulk_jobs import BulkJob, BulkJobItem, ItemOutcome
from shutterbook_scheduling.domain.entries import Session
from shutterbook_scheduling.storage.bulk_repository import BulkJobRepository

log = logging.getLogger(__name__)

BATCH = 20
MAX_FAILURE_TEXT = 2000


# Emits `scheduling.bulk_job.completed` for the finished job, in the unit of work given.
Announce = Callable[[UnitOfWork, str, BulkJob], None]
# Runs an item's booking once per its request_id (the edge's: api/bulk_job_convert.item_once),
# from the company, the item's session, its request_id and whether conflicts are allowed; the
# answer: the booked session's name (a replay: the first booking's).
ItemOnce = Callable[[str, Session, str, bool], entries.Once[Session, str]]


@dataclass(frozen=True)
class _Claim:
    company_id: str
    job: BulkJob


class BulkJobRunner(PeriodicWorker):
    """A host Worker: polls every `interval` seconds for runnable jobs until stopped."""

    def __init__(
        self,
        db: Database,
        *,
        announce: Announce,
        announce_entry: entries.Announce,
        item_once: ItemOnce,
        lease_seconds: float = 30.0,
        interval: float = 0.5,
    ) -> None:
        super().__init__(name="bulk-job-runner", interval=interval)
        self.db = db
        self.announce = announce
        self.announce_entry = announce_entry
        self.item_once = item_once
        self.lease = timedelta(seconds=lease_seconds)
        self.owner = str(uuid.uuid4())
        self.created = 0  # sessions created (or replayed) by this runner

    async def run_once(self) -> bool:
        """Runs one claimable job, if any (then looks for the next at once); the lease guards
        the job if this round fails."""
        claim = await self.claim()
        if claim is None:
            return False
        await self.run(claim)
        return True

    async def claim(self) -> _Claim | None:
        now = utcnow()
        # a read first, so an idle runner never takes SQLite's write lock
        async with UnitOfWork(self.db, readonly=True) as uow:
            if not await BulkJobRepository(uow).has_runnable(now):
                return None
        async with UnitOfWork(self.db, source=SOURCE) as uow:
            claimed = await BulkJobRepository(uow).claim(self.owner, now + self.lease, now)
            if claimed is None:
                return None
            await uow.commit()
        return _Claim(*claimed)

    async def run(self, claim: _Claim) -> None:
        zone = ZoneInfo(await self._time_zone(claim))
        job = claim.job
        # this task's own context: the use cases read the company and caller from it
        tenancy.set_current(CallContext.of(job_caller(claim.company_id, job.id, job.created_by)))
        try:
            while not self.stopping:
                async with UnitOfWork(self.db, readonly=True) as uow:
                    items = await BulkJobRepository(uow).pending_items(job.id, BATCH)
                if not items:
                    await self._finish(claim)
                    return
                outcomes = [await self._create(claim, item, zone) for item in items]
                if not await self._record(claim, outcomes):
                    log.warning("bulk job %s: lease lost, leaving it to its new runner", job.id)
                    return
        finally:
            tenancy.set_current(None)

    async def _time_zone(self, claim: _Claim) -> str:
        async with UnitOfWork(self.db, readonly=True) as uow:
            location = await setup.load_resource(uow, setup.LOCATIONS, claim.company_id, claim.job.location_id)
        return str(location.time_zone) if location is not None else "UTC"

    async def _create(self, claim: _Claim, item: BulkJobItem, zone: ZoneInfo) -> ItemOutcome:
        job, company_id = claim.job, claim.company_id
        session = item_session(job, item, zone)
        try:
            once = self.item_once(company_id, session, item_request_id(job, item), job.allow_conflicts)
            name = await sessions.create_session(company_id, session, job.allow_conflicts, self.announce_entry, once)
        except DomainError as err:
            return ItemOutcome(item.position, None, _describe(err)[:MAX_FAILURE_TEXT])
        self.created += 1
        return ItemOutcome(item.position, name.removeprefix("sessions/"), "")

    async def _record(self, claim: _Claim, outcomes: list[ItemOutcome]) -> bool:
        """Write the outcomes and renew the lease, if this runner still holds it."""
        async with UnitOfWork(self.db, source=SOURCE) as uow:
            if not await BulkJobRepository(uow).record(claim.job.id, self.owner, utcnow() + self.lease, outcomes):
                return False
            await uow.commit()
        return True

    async def _finish(self, claim: _Claim) -> None:
        async with UnitOfWork(self.db, source=SOURCE) as uow:
            job = await BulkJobRepository(uow).complete(claim.job.id, self.owner, utcnow())
            if job is None:
                return
            self.announce(uow, claim.company_id, job)
            await uow.commit()


def job_caller(company_id: str, job_id: str, started_by: str) -> Caller:
    """The caller a bulk job's work runs as: the job, named after who started it."""
    return Caller(company_id, CallerKind.JOB, job_id, display_name=started_by)


def _describe(err: DomainError) -> str:
    violations = getattr(err, "violations", None)
    if violations:
        return "; ".join(f"{v.field}: {v.description}" for v in violations)
    return f"{err.reason}: {err.message}"
