"""The company's past and running bulk jobs, newest first (the console's /bulk page lists them),
with their done and failed counts, within the caller's locations."""

from __future__ import annotations

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.bulk_jobs import job_message
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.storage.bulk_repository import BulkJobRepository


async def list_jobs(db: Database, company_id: str, request: bpb.ListBulkJobsRequest) -> bpb.ListBulkJobsResponse:
    async with UnitOfWork(db, readonly=True) as uow:
        repo = BulkJobRepository(uow)
        page = await repo.jobs_page(company_id, request.page_size, request.page_token)
        seen = [r for r in page.items if caller_sees(r.template_location.removeprefix("locations/"))]
        counts = await repo.item_counts_of([r.id for r in seen])
        jobs = [job_message(r, counts[r.id]) for r in seen]
    return bpb.ListBulkJobsResponse(bulk_jobs=jobs, next_page_token=page.next_page_token)
