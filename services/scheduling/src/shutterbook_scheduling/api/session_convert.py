"""Sessions' requests at the API edge: each staff request read into the use case's plain input
(application/sessions.py, session_list.py), run once per its request_id where it gives one
(`entry_convert.entry_once`: the idempotency record keeps the answer's message), the update's
mask merged here (`merge`: the stored session as a message, the request's fields copied onto
it as the mask says), and the answer's message made of the domain session; the events passed
down (`announce_entry`, and `SLOT_EVENTS` for an online booking's slot given back)."""

from __future__ import annotations

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.resource_names import parse_name, parse_reference
from shutterbook_scheduling.api import entry_convert, picture_day_convert
from shutterbook_scheduling.api.entry_convert import announce_entry, entry_once, session_message
from shutterbook_scheduling.api.proto_values import apply_mask, from_ts, optional_references, read_date, require_mask
from shutterbook_scheduling.api.slot_events import SLOT_EVENTS
from shutterbook_scheduling.application import session_list, sessions
from shutterbook_scheduling.application.session_list import FLAGS, MAX_LOCATIONS, ORDERS
from shutterbook_scheduling.application.sessions import SESSION_UPDATABLE, Merge
from shutterbook_scheduling.domain.entries import Session
from shutterbook_scheduling.storage.lists import SessionFilter

# Fields of a Session only the service sets: a create request's are ignored.
SESSION_OUTPUT_ONLY = (
    *("name", "start_time", "end_time", "booked_by", "booked_on", "on_hold", "cancelled"),
    *("reminder_emit_time", "create_time", "update_time", "time_zone", "booked_online"),
)


def new_session(given: pb.Session) -> Session:
    """A create request's session without its output-only fields."""
    entry = pb.Session()
    entry.CopyFrom(given)
    for name in SESSION_OUTPUT_ONLY:
        entry.ClearField(name)  # type: ignore[arg-type]
    return entry_convert.session(entry)


async def create_session(db: Database, company_id: str, request: pb.CreateSessionRequest) -> pb.Session:
    once = entry_once(db, company_id, pb.Session, session_message, request)
    session = new_session(request.session)
    return await sessions.create_session(company_id, session, request.allow_conflicts, announce_entry, once)


async def get_session(db: Database, company_id: str, name: str) -> pb.Session:
    return session_message(await sessions.get_session(db, company_id, name))


def session_filter(request: pb.ListSessionsRequest, v: Violations) -> SessionFilter:
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
    found = session_filter(request, v)
    v.raise_if_any()
    descending = ORDERS[request.order_by.strip()]
    page = await session_list.list_sessions(
        db, company_id, found, request.page_size, request.page_token, descending=descending
    )
    return pb.ListSessionsResponse(
        sessions=[session_message(s) for s in page.items], next_page_token=page.next_page_token
    )


def merge(request: pb.UpdateSessionRequest) -> Merge:
    """The update's fields on the session as stored, as its mask says (INVALID_ARGUMENT for a
    path it may not name), and the paths applied."""

    def merged(stored: Session) -> tuple[Session, list[str]]:
        msg = session_message(stored)
        paths = apply_mask(msg, request.session, request.update_mask, field="session", writable=SESSION_UPDATABLE)
        return entry_convert.session(msg), paths

    return merged


async def update_session(db: Database, company_id: str, request: pb.UpdateSessionRequest) -> pb.Session:
    parse_name(request.session.name, "sessions", field="session.name")
    require_mask(request.update_mask)
    once = entry_once(db, company_id, pb.Session, session_message)
    allow = request.allow_conflicts
    return await sessions.update_session(
        company_id, request.session.name, merge(request), allow, announce_entry, SLOT_EVENTS, once
    )


async def reschedule_session(db: Database, company_id: str, request: pb.RescheduleSessionRequest) -> pb.Session:
    once = entry_once(db, company_id, pb.Session, session_message, request)
    blocks = [entry_convert.time_block(b) for b in request.time_blocks]
    return await sessions.reschedule_session(
        company_id,
        request.name,
        entry_convert.new_times(request, "session_date"),
        blocks,
        request.allow_conflicts,
        announce_entry,
        SLOT_EVENTS,
        once,
    )


async def cancel_session(db: Database, company_id: str, request: pb.CancelSessionRequest) -> pb.Session:
    once = entry_once(db, company_id, pb.Session, session_message, request)
    return await sessions.cancel_session(
        company_id, request.name, announce_entry, picture_day_convert.announce_booking, SLOT_EVENTS, once
    )


async def hold_session(db: Database, company_id: str, request: pb.HoldSessionRequest) -> pb.Session:
    once = entry_once(db, company_id, pb.Session, session_message, request)
    return await sessions.hold_session(
        company_id, request.name, request.on_hold, request.allow_conflicts, announce_entry, once
    )
