"""ListSessions: a client's Sessions tab, the calendar's neighbours, and the console's Sessions
hub (filters on status, type, photographer, flags, file number, due date and locations, earliest
or latest first), paged by start time and id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, tuple_

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.pagination import next_token, parse_page
from shutterbook_kit.resource_names import parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.common import from_ts, read_date
from shutterbook_scheduling.application.entries import session_from_row
from shutterbook_scheduling.application.scope import scoped
from shutterbook_scheduling.storage.models import SessionRow

ORDERS = {"": False, "start_time": False, "start_time asc": False, "start_time desc": True}
FLAGS = ("confirmed", "no_show", "redo", "on_hold", "cancelled")
MAX_LOCATIONS = 100


def _filters(request: pb.ListSessionsRequest, v: Violations) -> tuple[list[Any], dict[str, Any]]:
    """The WHERE clauses the request asks for, and their description (binds the page token)."""
    where: list[Any] = []
    # the first four as ListSessions always bound its tokens (tokens of older pages stay valid)
    key: dict[str, Any] = {
        "client": None,
        "location": None,
        "from": request.start_time.ToJsonString() if request.HasField("start_time") else "",
        "to": request.end_time.ToJsonString() if request.HasField("end_time") else "",
    }
    refs = (
        ("client", "clients", SessionRow.client_id),
        ("location", "locations", SessionRow.location_id),
        ("status", "sessionStatuses", SessionRow.status_id),
        ("session_type", "sessionTypes", SessionRow.type_id),
        ("photographer", "schedules", SessionRow.photographer_id),
    )
    for field, collection, column in refs:
        found = parse_reference(getattr(request, field), collection, field=field, violations=v, required=False)
        if field in key or found:
            key[field] = found
        if found:
            where.append(column == found)
    if len(request.locations) > MAX_LOCATIONS:
        v.add("locations", f"at most {MAX_LOCATIONS} locations")
    places = [
        parse_reference(x, "locations", field=f"locations[{i}]", violations=v) for i, x in enumerate(request.locations)
    ]
    if request.locations:
        key["locations"] = sorted(p or "" for p in places)
        where.append(SessionRow.location_id.in_([p for p in places if p]))
    for flag in FLAGS:
        if request.HasField(flag):  # type: ignore[arg-type]
            key[flag] = getattr(request, flag)
            where.append(getattr(SessionRow, flag).is_(getattr(request, flag)))
    if request.file_number:
        key["file_number"] = request.file_number
        where.append(SessionRow.file_number == request.file_number)
    due = read_date(request.status_due_before, "status_due_before", v, required=False)
    if due is not None:
        key["due"] = due.isoformat()
        where.append(SessionRow.status_due_date <= due)
    if request.HasField("start_time"):
        where.append(SessionRow.start_at >= from_ts(request.start_time))
    if request.HasField("end_time"):
        where.append(SessionRow.start_at < from_ts(request.end_time))
    if request.order_by.strip() not in ORDERS:
        v.add("order_by", "must be start_time or start_time desc")
    return where, key


async def list_sessions(db: Database, company_id: str, request: pb.ListSessionsRequest) -> pb.ListSessionsResponse:
    v = Violations()
    where, key = _filters(request, v)
    v.raise_if_any()
    descending = ORDERS[request.order_by.strip()]
    if descending:
        key["order"] = "desc"
    page = parse_page(request.page_size, request.page_token, key)
    query: Select[tuple[SessionRow]] = scoped(
        select(SessionRow).where(SessionRow.company_id == company_id, *where), SessionRow.location_id
    )
    position = tuple_(SessionRow.start_at, SessionRow.id)
    if page.cursor is not None:
        after = (datetime.fromisoformat(page.cursor["t"]), page.cursor["id"])
        query = query.where(position < after if descending else position > after)
    if descending:
        query = query.order_by(SessionRow.start_at.desc(), SessionRow.id.desc())
    else:
        query = query.order_by(SessionRow.start_at, SessionRow.id)
    async with UnitOfWork(db, readonly=True) as uow:
        rows = list((await uow.session.scalars(query.limit(page.size + 1))).all())
    more = len(rows) > page.size
    rows = rows[: page.size]
    cursor = {"t": rows[-1].start_at.isoformat(), "id": rows[-1].id} if more else None
    return pb.ListSessionsResponse(
        sessions=[session_from_row(r) for r in rows], next_page_token=next_token(cursor, key)
    )
