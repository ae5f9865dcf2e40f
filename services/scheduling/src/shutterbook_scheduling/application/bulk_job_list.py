"""The company's past and running bulk jobs, newest first (the console's /bulk page lists them),
with their done and failed counts, within the caller's locations."""

from __future__ import annotations

from sqlalchemy import func, select

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook_kit.db import Database
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.bulk_jobs import job_message
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.storage import lists
from shutterbook_scheduling.storage.bulk_models import BulkJobItemRow


async def list_jobs(db: Database, company_id: str, request: bpb.ListBulkJobsRequest) -> bpb.ListBulkJobsResponse:
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.bulk_jobs_page(uow.session, company_id, request.page_size, request.page_token)
        seen = [r for r in page.items if caller_sees(r.template_location.removeprefix("locations/"))]
        counts: dict[str, dict[str, int]] = {r.id: {} for r in seen}
        if seen:
            found = await uow.session.execute(
                select(BulkJobItemRow.job_id, BulkJobItemRow.state, func.count())
                .where(BulkJobItemRow.job_id.in_(list(counts)))
                .group_by(BulkJobItemRow.job_id, BulkJobItemRow.state)
            )
            for job_id, state, count in found.tuples():
                counts[job_id][state] = int(count)
        jobs = [job_message(r, counts[r.id]) for r in seen]
    return bpb.ListBulkJobsResponse(bulk_jobs=jobs, next_page_token=page.next_page_token)
