"""The company's past and running bulk jobs, newest first (the console's /bulk page lists them),
with their done and failed counts, within the caller's locations."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from shutterbook.scheduling.v1 import bulk_pb2 as bpb
from shutterbook_kit.db import Database
from shutterbook_kit.pagination import cursor_instant, cursor_text, next_token, parse_page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.bulk_jobs import job_message
from shutterbook_scheduling.application.scope import caller_sees
from shutterbook_scheduling.storage.bulk_models import BulkJobItemRow, BulkJobRow

QUERY = {"list": "bulkJobs"}


async def list_jobs(db: Database, company_id: str, request: bpb.ListBulkJobsRequest) -> bpb.ListBulkJobsResponse:
    page = parse_page(request.page_size, request.page_token, QUERY)
    query = select(BulkJobRow).where(BulkJobRow.company_id == company_id)
    if page.cursor is not None:
        at, job_id = cursor_instant(page.cursor, "at"), cursor_text(page.cursor, "id")
        query = query.where(or_(BulkJobRow.created_at < at, (BulkJobRow.created_at == at) & (BulkJobRow.id < job_id)))
    query = query.order_by(BulkJobRow.created_at.desc(), BulkJobRow.id.desc()).limit(page.size + 1)
    async with UnitOfWork(db, readonly=True) as uow:
        rows = list((await uow.session.scalars(query)).all())
        more = len(rows) > page.size
        rows = rows[: page.size]
        seen = [r for r in rows if caller_sees(r.template_location.removeprefix("locations/"))]
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
    cursor = {"at": rows[-1].created_at.isoformat(), "id": rows[-1].id} if more else None
    return bpb.ListBulkJobsResponse(bulk_jobs=jobs, next_page_token=next_token(cursor, QUERY))
