"""ListSessions: a client's Sessions tab, the calendar's neighbours, and the console's Sessions
hub (filters on status, type, photographer, flags, file number, due date and locations, earliest
or latest first), paged by start time and id."""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import parse_reference
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.common import from_ts, optional_references, read_date
from shutterbook_scheduling.application.entries import session_from_row
from shutterbook_scheduling.application.scope import caller_scope
from shutterbook_scheduling.storage import lists
from shutterbook_scheduling.storage.lists import SessionFilter

ORDERS = {"": False, "start_time": False, "start_time asc": False, "start_time desc": True}
FLAGS = ("confirmed", "no_show", "redo", "on_hold", "cancelled")
MAX_LOCATIONS = 100


def _filter(request: pb.ListSessionsRequest, v: Violations) -> SessionFilter:
    """What the request asks for (problems go to `v`)."""
    refs = (
        ("client", "clients", "client_id"),
        ("location", "locations", "location_id"),
        ("status", "sessionStatuses", "status_id"),
        ("session_type", "sessionTypes", "type_id"),
        ("photographer", "schedules", "photographer_id"),
    )
    equal = optional_references(request, refs, v)
    if len(request.locations) > MAX_LOCATIONS:
        v.add("locations", f"at most {MAX_LOCATIONS} locations")
    places = [
        parse_reference(x, "locations", field=f"locations[{i}]", violations=v) for i, x in enumerate(request.locations)
    ]
    if request.order_by.strip() not in ORDERS:
        v.add("order_by", "must be start_time or start_time desc")
    return SessionFilter(
        equal=equal,
        location_ids=[p for p in places if p] if request.locations else None,
        flags={f: getattr(request, f) for f in FLAGS if request.HasField(f)},  # type: ignore[arg-type]
        file_number=request.file_number,
        due_by=read_date(request.status_due_before, "status_due_before", v, required=False),
        start_from=from_ts(request.start_time) if request.HasField("start_time") else None,
        start_before=from_ts(request.end_time) if request.HasField("end_time") else None,
    )


async def list_sessions(db: Database, company_id: str, request: pb.ListSessionsRequest) -> pb.ListSessionsResponse:
    v = Violations()
    found = _filter(request, v)
    v.raise_if_any()
    descending = ORDERS[request.order_by.strip()]
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.sessions_page(
            uow.session,
            company_id,
            found,
            request.page_size,
            request.page_token,
            scope=caller_scope(),
            descending=descending,
        )
    return pb.ListSessionsResponse(
        sessions=[session_from_row(r) for r in page.items], next_page_token=page.next_page_token
    )
