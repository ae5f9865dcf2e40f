"""Calendar feeds: each schedule (a photographer's, an assistant's, a room's) and each staff
member can have secret subscription URLs that calendar apps poll over HTTP,
`/calendars/{feed id}/{secret}.ics`. The secret is 256 random bits shown once; only its SHA-256
is kept; a revoked feed is 404 at once. A schedule's feed is scheduling's iCalendar export of
the schedule (stable UIDs per session or appointment), read by the gateway as itself; a staff
member's is the exports of every schedule they are on (at any location) merged into one."""

from __future__ import annotations

import secrets
import uuid

import grpc
from sqlalchemy import select

from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_gateway.application.api_keys import sha256_hex
from shutterbook_gateway.domain.calendar_file import merged_calendar
from shutterbook_gateway.storage.models import CalendarFeedRow
from shutterbook_gateway.upstreams import Upstreams
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound
from shutterbook_kit.grpc_client import call_metadata
from shutterbook_kit.identity import Caller, CallerKind
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork

SERVICE = "gateway-calendar-feed"
Metadata = tuple[tuple[str, str], ...]


async def create_feed(db: Database, company_id: str, schedule_id: str, label: str = "") -> str:
    """A new feed of the schedule; returns its path (`/calendars/{id}/{secret}.ics`), once."""
    return await _create(db, company_id, label, schedule_id=schedule_id)


async def create_staff_feed(db: Database, company_id: str, staff_member_id: str, label: str = "") -> str:
    """A new feed of the staff member across every schedule they are on; returns its path, once."""
    return await _create(db, company_id, label, staff_member_id=staff_member_id)


async def _create(
    db: Database, company_id: str, label: str, *, schedule_id: str = "", staff_member_id: str = ""
) -> str:
    secret = secrets.token_urlsafe(32)
    row = CalendarFeedRow(
        id=str(uuid.uuid4()),
        company_id=company_id,
        schedule_id=schedule_id,
        staff_member_id=staff_member_id,
        label=label[:200],
        secret_sha256=sha256_hex(secret),
        created_at=utcnow(),
        revoked_at=None,
    )
    async with UnitOfWork(db) as uow:
        uow.session.add(row)
        await uow.commit()
    return f"/calendars/{row.id}/{secret}.ics"


async def list_feeds(db: Database, company_id: str | None = None) -> list[CalendarFeedRow]:
    async with UnitOfWork(db, readonly=True) as uow:
        query = select(CalendarFeedRow).order_by(CalendarFeedRow.created_at)
        if company_id:
            query = query.where(CalendarFeedRow.company_id == company_id)
        return list((await uow.session.execute(query)).scalars())


async def revoke_feed(db: Database, feed_id: str) -> bool:
    async with UnitOfWork(db) as uow:
        row = await uow.session.get(CalendarFeedRow, feed_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        await uow.commit()
    return True


async def feed_ics(db: Database, up: Upstreams, feed_id: str, secret: str) -> bytes:
    """The schedule's calendar, if the feed exists, is not revoked and the secret matches;
    anything else is the same NOT_FOUND."""
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.get(CalendarFeedRow, feed_id) if len(feed_id) == 36 else None
    ok = row is not None and row.revoked_at is None and secrets.compare_digest(row.secret_sha256, sha256_hex(secret))
    if not ok or row is None:
        raise NotFound("no such calendar", reason="NOT_FOUND")
    md = call_metadata(Caller(row.company_id, CallerKind.SERVICE, SERVICE, display_name=f"feed:{row.id}"))
    try:
        if row.staff_member_id:
            return await _staff_calendar(up, md, row.staff_member_id)
        return await _schedule_calendar(up, md, row.schedule_id)
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:  # the schedule or staff member was deleted
            raise NotFound("no such calendar", reason="NOT_FOUND") from err
        raise


async def _schedule_calendar(up: Upstreams, md: Metadata, schedule_id: str) -> bytes:
    reply = await up.scheduling.ExportScheduleCalendar(
        pb.ExportScheduleCalendarRequest(name=f"schedules/{schedule_id}"), metadata=md, timeout=up.deadlines.read
    )
    return bytes(reply.data)


async def _staff_calendar(up: Upstreams, md: Metadata, staff_member_id: str) -> bytes:
    """Every schedule the staff member is on, one calendar."""
    name = f"staffMembers/{staff_member_id}"
    member = await up.scheduling.GetStaffMember(
        pb.GetStaffMemberRequest(name=name), metadata=md, timeout=up.deadlines.read
    )
    schedule_ids: list[str] = []
    token = ""
    while True:
        page = await up.scheduling.ListSchedules(
            pb.ListSchedulesRequest(page_size=1000, page_token=token), metadata=md, timeout=up.deadlines.read
        )
        schedule_ids += [s.name.split("/", 1)[1] for s in page.schedules if s.staff_member == name]
        token = page.next_page_token
        if not token:
            break
    parts = [await _schedule_calendar(up, md, schedule_id) for schedule_id in schedule_ids]
    return merged_calendar(parts, member.display_name)
