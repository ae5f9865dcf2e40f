"""The company's past and running bulk jobs, newest first (the console's /bulk page lists them),
with their done and failed counts, within the caller's locations: domain objects
(domain/bulk_jobs.py) read through the repository; the messages are api/bulk_job_convert.py's."""

from __future__ import annotations

from shutterbook_kit.db import Database
from shutterbook_kit.pagination import Page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.domain.bulk_jobs import BulkJob, counted
from shutterbook_scheduling.storage.bulk_repository import BulkJobRepository


async def list_jobs(db: Database, company_id: str, page_size: int, page_token: str) -> Page[BulkJob]:
    """A page of the jobs the caller sees, each with its items counted."""
    async with UnitOfWork(db, readonly=True) as uow:
        repo = BulkJobRepository(uow)
        page = await repo.jobs_page(company_id, page_size, page_token)
        seen = [job for job in page.items if caller_sees(job.location_id)]
        counts = await repo.item_counts_of([job.id for job in seen])
    return Page([counted(job, counts[job.id]) for job in seen], page.next_page_token)
