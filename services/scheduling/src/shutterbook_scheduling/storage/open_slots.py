"""The open-slot read: one statement answers which of a type's slots at a location are open.

The statement decides everything `domain.online_slots.why_not_open` decides from the database
(published, not booked by a live booking, not removed by one, no occupying calendar block and no
live hold block over the slot widened by the type's buffers on any of its schedules, started,
within its minimum notice, beyond its maximum advance); the caller checks only the type's own
`available_online`, which it has already read.

Every busy probe is bounded on both sides, so its cost follows neither the schedule's past nor
its future: a block overlapping the widened slot `[S, E)` either ends in `(S, E + LONG)` (a range
scan on the schedule index led by `occupied_end`, migration 0007) or is longer than `LONG` and
is found through the small partial index of long blocks (time off, long sessions; migration
0008). Hold blocks live minutes and are cleared by every write on their schedules, so their
probe is bounded from below only.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, exists, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook_kit.schema import UtcDateTime
from shutterbook_scheduling.storage.models import (
    LONG_BLOCK_POSTGRESQL,
    LONG_BLOCK_SQLITE,
    AppointmentRow,
    BookingTypeRow,
    CalendarBlockRow,
    LocationRow,
    SessionRow,
)
from shutterbook_scheduling.storage.online_models import (
    HoldBlockRow,
    SlotRemovalRow,
    TimeSlotRow,
    TimeSlotScheduleRow,
)

# A block longer than this is "long" (in the partial index of migration 0008); a block at most
# this long that overlaps [S, E) ends before E + LONG_BLOCK.
LONG_BLOCK = timedelta(days=1)
LONG_BLOCK_MINUTES = int(LONG_BLOCK.total_seconds()) // 60

SLOT_COLUMNS = (
    TimeSlotRow.id,
    TimeSlotRow.location_id,
    TimeSlotRow.type_id,
    TimeSlotRow.is_appointment,
    TimeSlotRow.time_zone,
    TimeSlotRow.local_date,
    TimeSlotRow.start_minute,
    TimeSlotRow.end_minute,
    TimeSlotRow.start_at,
    TimeSlotRow.end_at,
    TimeSlotRow.published,
    TimeSlotRow.minimum_notice_minutes,
    TimeSlotRow.maximum_advance_days,
    TimeSlotRow.booked_session_id,
    TimeSlotRow.created_at,
    TimeSlotRow.updated_at,
)

SLOT_FIELDS = tuple(column.key for column in SLOT_COLUMNS)


@dataclass(frozen=True)
class OpenSlotQuery:
    """One type's slots at one location starting in [first, last) and after `now`."""

    company_id: str
    location_id: str
    type_id: str
    first: datetime
    last: datetime
    now: datetime
    buffers: tuple[int, int]  # the type's (before, after) minutes
    after: tuple[datetime, str] | None = None  # keyset cursor: (start_at, id) already listed
    limit: int | None = None  # at most this many slots


@dataclass(frozen=True)
class SlotValues:
    """A slot's stored columns (what `slot_rows.slot_of` reads into a domain slot) and its schedules."""

    id: str
    location_id: str
    type_id: str
    is_appointment: bool
    time_zone: str
    local_date: Any
    start_minute: int | None
    end_minute: int | None
    start_at: datetime
    end_at: datetime
    published: bool
    minimum_notice_minutes: int
    maximum_advance_days: int
    booked_session_id: str
    created_at: datetime
    updated_at: datetime
    schedule_ids: tuple[str, ...]


@dataclass(frozen=True)
class ListingSetting:
    """What a listing needs of its location and type: the zone (None: no such location), the
    type's buffers (None: no such type) and whether it is offered online."""

    time_zone: str | None
    buffers: tuple[int, int] | None
    available_online: bool


async def listing_setting(
    session: AsyncSession, company_id: str, location_id: str, type_id: str, kind: str
) -> ListingSetting:
    """The location's zone and the type's online facts, read as columns (`kind`: "session" or
    "appointment"; what `setup_records.read_location` and `read_type` would give)."""
    time_zone = await session.scalar(
        select(LocationRow.time_zone).where(LocationRow.id == location_id, LocationRow.company_id == company_id)
    )
    found = (
        await session.execute(
            select(
                BookingTypeRow.buffer_before_minutes,
                BookingTypeRow.buffer_after_minutes,
                BookingTypeRow.has_online,
                BookingTypeRow.online_available,
            ).where(BookingTypeRow.id == type_id, BookingTypeRow.company_id == company_id, BookingTypeRow.kind == kind)
        )
    ).first()
    if found is None:
        return ListingSetting(time_zone, None, False)
    before, after, has_online, available = found
    return ListingSetting(time_zone, (before, after), bool(has_online and available))


def shifted(column: Any, minutes: int, *, sqlite: bool) -> Any:
    """SQL: an instant column moved by whole minutes, comparable with stored instants."""
    if minutes == 0:
        return column
    if sqlite:
        # stored as 'YYYY-MM-DD HH:MM:SS.ffffff'; strftime's %f gives milliseconds, and slot
        # times are whole minutes, so three more zeros make the same text
        return sa.func.strftime("%Y-%m-%d %H:%M:%f", column, f"{minutes:+d} minutes").concat("000")
    return column + sa.literal_column(f"interval '{int(minutes)} minutes'")


def earlier_by(column: Any, count: Any, unit: str, *, sqlite: bool) -> Any:
    """SQL: an instant column moved back by a non-negative integer column of `unit`s
    ("minutes" or "days")."""
    if sqlite:
        modifier = sa.literal("-").concat(sa.cast(count, sa.String)).concat(f" {unit}")
        return sa.func.strftime("%Y-%m-%d %H:%M:%f", column, modifier).concat("000")
    # days as 24 hours: a PostgreSQL day interval follows the session's time zone across DST,
    # the rule's timedelta(days=n) does not
    zero: Any = sa.literal_column("0")
    args = [zero, zero, zero, zero, count * 24, zero] if unit == "days" else [zero, zero, zero, zero, zero, count]
    return column - sa.func.make_interval(*args)


def long_block(*, sqlite: bool) -> sa.TextClause:
    """SQL: the block is in the partial index of long blocks (the index's WHERE, verbatim: a
    boolean column would render as `... = 1` on SQLite, which the planner does not match)."""
    return sa.text(LONG_BLOCK_SQLITE if sqlite else LONG_BLOCK_POSTGRESQL)


def free_of_bookings() -> ColumnElement[bool]:
    """SQL: the slot is not taken by a live booking (a booking that is not cancelled). On the
    tables' columns, not the mapped attributes: a Core UPDATE using it (`slot_repository._TAKE`)
    stays out of the ORM's statement handling (which copies and re-keys an ORM-enabled UPDATE
    on every execution)."""
    booked = TimeSlotRow.__table__.c.booked_session_id
    sessions, appointments = SessionRow.__table__.c, AppointmentRow.__table__.c
    return or_(
        booked == "",
        exists().where(sessions.id == booked, sessions.cancelled),
        exists().where(appointments.id == booked, appointments.cancelled),
    )


def removed_by_live_entry() -> ColumnElement[bool]:
    """SQL: a live booking's auto-remove hides the slot."""
    return or_(
        exists().where(
            SlotRemovalRow.slot_id == TimeSlotRow.id, SessionRow.id == SlotRemovalRow.session_id, ~SessionRow.cancelled
        ),
        exists().where(
            SlotRemovalRow.slot_id == TimeSlotRow.id,
            AppointmentRow.id == SlotRemovalRow.session_id,
            ~AppointmentRow.cancelled,
        ),
    )


def busy(company_id: Any, buffers: tuple[int, int], *, sqlite: bool) -> ColumnElement[bool]:
    """SQL: an occupying calendar block overlaps the widened slot on one of its schedules."""
    probe = TimeSlotScheduleRow.__table__.alias("busy_probe")
    # the slot's own times (as the per-slot rule reads them), which also keeps the probe a
    # per-slot index lookup: PostgreSQL would otherwise hash it over every slot of the table
    lo = shifted(TimeSlotRow.start_at, -buffers[0], sqlite=sqlite)
    hi = shifted(TimeSlotRow.end_at, buffers[1], sqlite=sqlite)
    near = shifted(TimeSlotRow.end_at, buffers[1] + LONG_BLOCK_MINUTES, sqlite=sqlite)

    def overlapping(*bound: ColumnElement[bool] | sa.TextClause) -> ColumnElement[bool]:
        return (
            select(probe.c.slot_id)
            .join(CalendarBlockRow, CalendarBlockRow.schedule_id == probe.c.schedule_id)
            .where(
                probe.c.slot_id == TimeSlotRow.id,
                CalendarBlockRow.company_id == company_id,
                CalendarBlockRow.occupies,
                CalendarBlockRow.occupied_end > lo,
                CalendarBlockRow.occupied_start < hi,
                *bound,
            )
            .exists()
        )

    return or_(overlapping(CalendarBlockRow.occupied_end < near), overlapping(long_block(sqlite=sqlite)))


def held(company_id: Any, buffers: tuple[int, int], now: Any, *, sqlite: bool) -> ColumnElement[bool]:
    """SQL: a live hold block overlaps the widened slot on one of its schedules."""
    probe = TimeSlotScheduleRow.__table__.alias("hold_probe")
    return (
        select(probe.c.slot_id)
        .join(HoldBlockRow, HoldBlockRow.schedule_id == probe.c.schedule_id)
        .where(
            probe.c.slot_id == TimeSlotRow.id,
            HoldBlockRow.company_id == company_id,
            HoldBlockRow.expires_at > now,
            HoldBlockRow.occupied_end > shifted(TimeSlotRow.start_at, -buffers[0], sqlite=sqlite),
            HoldBlockRow.occupied_start < shifted(TimeSlotRow.end_at, buffers[1], sqlite=sqlite),
        )
        .exists()
    )


def statement_parameters(q: OpenSlotQuery) -> dict[str, Any]:
    """The values of `open_slots_statement`'s bound parameters for a query."""
    values: dict[str, Any] = {
        "company_id": q.company_id,
        "location_id": q.location_id,
        "type_id": q.type_id,
        "first": q.first,
        "last": q.last,
        "now": q.now,
    }
    if q.after is not None:
        values["after_start"], values["after_id"] = q.after
    if q.limit is not None:
        values["limit"] = q.limit
    return values


# the order of open slots (a page's token holds the last slot's values of these keys)
OPEN_SLOT_ORDER = (TimeSlotRow.start_at, TimeSlotRow.id)


@functools.lru_cache(maxsize=256)
def open_slots_statement(
    buffers: tuple[int, int], *, sqlite: bool, after: bool = False, limit: bool = False
) -> sa.Select[Any]:
    """Candidate open slots in (start, id) order, one row per slot and schedule (in position
    order), for a type's buffers, with a keyset cursor and a limit or not. Built once per shape
    (building it costs more than running it from SQLAlchemy's compiled cache); its values are
    bound parameters (`statement_parameters`)."""
    now = sa.bindparam("now", type_=UtcDateTime())
    company_id = sa.bindparam("company_id", type_=sa.String())
    chosen = (
        select(*SLOT_COLUMNS)
        .where(
            TimeSlotRow.company_id == company_id,
            TimeSlotRow.location_id == sa.bindparam("location_id", type_=sa.String()),
            TimeSlotRow.type_id == sa.bindparam("type_id", type_=sa.String()),
            TimeSlotRow.start_at >= sa.bindparam("first", type_=UtcDateTime()),
            TimeSlotRow.start_at > now,
            TimeSlotRow.start_at < sa.bindparam("last", type_=UtcDateTime()),
            TimeSlotRow.published,
            # not within the minimum notice, not beyond the maximum advance (0: no limit)
            earlier_by(TimeSlotRow.start_at, TimeSlotRow.minimum_notice_minutes, "minutes", sqlite=sqlite) >= now,
            or_(
                TimeSlotRow.maximum_advance_days == 0,
                earlier_by(TimeSlotRow.start_at, TimeSlotRow.maximum_advance_days, "days", sqlite=sqlite) <= now,
            ),
            # one NOT (... OR ...): PostgreSQL keeps each probe a per-slot index lookup instead
            # of pulling it up into an anti-join over every slot of the table
            ~or_(
                ~free_of_bookings(),
                removed_by_live_entry(),
                busy(company_id, buffers, sqlite=sqlite),
                held(company_id, buffers, now, sqlite=sqlite),
            ),
        )
        .order_by(*OPEN_SLOT_ORDER)
    )
    if after:
        cursor = (sa.bindparam("after_start", type_=UtcDateTime()), sa.bindparam("after_id", type_=sa.String()))
        chosen = chosen.where(tuple_(*OPEN_SLOT_ORDER) > tuple_(*cursor))
    if limit:
        chosen = chosen.limit(sa.bindparam("limit", type_=sa.Integer()))
    picked = chosen.subquery("picked")
    columns = [picked.c[name] for name in SLOT_FIELDS]
    order = (picked.c.start_at, picked.c.id)
    if sqlite:
        return (
            select(*columns, TimeSlotScheduleRow.schedule_id)
            .join(TimeSlotScheduleRow, TimeSlotScheduleRow.slot_id == picked.c.id)
            .order_by(*order, TimeSlotScheduleRow.position)
        )
    # PostgreSQL: a LATERAL subquery with its own ORDER BY is not flattened, so each chosen slot
    # looks up its schedules by key (a flattened join misjudged as a few rows scans them all)
    schedules = (
        select(TimeSlotScheduleRow.schedule_id, TimeSlotScheduleRow.position)
        .where(TimeSlotScheduleRow.slot_id == picked.c.id)
        .order_by(TimeSlotScheduleRow.position)
        .lateral("slot_schedules")
    )
    return (
        select(*columns, schedules.c.schedule_id)
        .select_from(picked.join(schedules, sa.true()))
        .order_by(*order, schedules.c.position)
    )


async def candidate_open_slots(session: AsyncSession, q: OpenSlotQuery, *, sqlite: bool) -> list[SlotValues]:
    """The slots the database shows open, in (start, id) order; one statement."""
    statement = open_slots_statement(q.buffers, sqlite=sqlite, after=q.after is not None, limit=q.limit is not None)
    result = await session.execute(statement, statement_parameters(q))
    out: list[SlotValues] = []
    current: list[Any] = []
    schedules: list[str] = []

    def close() -> None:
        if current:
            out.append(SlotValues(**dict(zip(SLOT_FIELDS, current, strict=True)), schedule_ids=tuple(schedules)))

    for row in result:
        values: Sequence[Any] = tuple(row)
        if not current or values[0] != current[0]:
            close()
            current = list(values[:-1])
            schedules = []
        schedules.append(values[-1])
    close()
    return out


@functools.lru_cache(maxsize=4)
def next_opening_statement(*, sqlite: bool) -> sa.Select[Any]:
    """The earliest instant after `now` at which time alone may open a slot of the query that
    the listing left out: a live hold block of the company ends (its expiry; holds expire
    without a write), or a published slot of the type, location and range comes within its
    maximum advance. Either column may be NULL. Conservative: any hold of the company ending
    after the range starts, and any slot beyond its advance, booked or not, counts (an earlier
    instant only makes a kept answer expire sooner)."""
    now = sa.bindparam("now", type_=UtcDateTime())
    company_id = sa.bindparam("company_id", type_=sa.String())
    hold_ends = (
        select(sa.func.min(HoldBlockRow.expires_at))
        .where(
            HoldBlockRow.company_id == company_id,
            HoldBlockRow.expires_at > now,
            HoldBlockRow.occupied_end > sa.bindparam("holds_from", type_=UtcDateTime()),
        )
        .scalar_subquery()
    )
    within_advance = earlier_by(TimeSlotRow.start_at, TimeSlotRow.maximum_advance_days, "days", sqlite=sqlite)
    advance_opens = (
        select(sa.func.min(within_advance))
        .where(
            TimeSlotRow.company_id == company_id,
            TimeSlotRow.location_id == sa.bindparam("location_id", type_=sa.String()),
            TimeSlotRow.type_id == sa.bindparam("type_id", type_=sa.String()),
            TimeSlotRow.start_at >= sa.bindparam("first", type_=UtcDateTime()),
            TimeSlotRow.start_at < sa.bindparam("last", type_=UtcDateTime()),
            TimeSlotRow.published,
            TimeSlotRow.maximum_advance_days > 0,
            within_advance > now,
        )
        .scalar_subquery()
    )
    return select(sa.type_coerce(hold_ends, UtcDateTime()), sa.type_coerce(advance_opens, UtcDateTime()))


async def next_opening(session: AsyncSession, q: OpenSlotQuery, *, sqlite: bool) -> datetime | None:
    """When time alone may next open a slot `q`'s listing left out (`next_opening_statement`);
    None: nothing but a write can."""
    values = {
        "company_id": q.company_id,
        "location_id": q.location_id,
        "type_id": q.type_id,
        "first": q.first,
        "last": q.last,
        "now": q.now,
        "holds_from": q.first - LONG_BLOCK,  # wider than any buffer before a slot
    }
    row = (await session.execute(next_opening_statement(sqlite=sqlite), values)).one()
    found = [instant for instant in row if instant is not None]
    return min(found) if found else None
