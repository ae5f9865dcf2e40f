"""ListOpenSlots' one statement against the per-slot rule, over random calendars.

`storage/open_slots.py` decides in SQL which slots are open; HoldSlot and BookOnline still decide
one slot at a time with `slot_state.why_not_open` (the domain's `why_not_open` over the slot's
facts read from the database). Over random calendars (slots of random lengths on one to three
schedules, published or not, with minimum notice and maximum advance; calendar blocks short and
days long, occupying or not; live and expired hold blocks; slots booked by live or cancelled
sessions and appointments; auto-removals by live or cancelled bookings; random type buffers; a
`now` falling among the slots, on and off whole minutes), the listing must be exactly the slots
of the range the per-slot rule calls open, in (start, id) order, with the same messages, whole
and page by page. SQLite and PostgreSQL. The calendars are seeded (the seed is in the failure).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from google.protobuf import field_mask_pb2
from sqlalchemy import delete, select

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_devstack.nats_server import EmbeddedNats
from shutterbook_devstack.testing import DatabaseFactory
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.api import slot_convert
from shutterbook_scheduling.api.slot_messages import time_slot_message
from shutterbook_scheduling.application import slot_state
from shutterbook_scheduling.domain import online_slots as rules
from shutterbook_scheduling.domain import times
from shutterbook_scheduling.storage.models import AppointmentRow, CalendarBlockRow, SessionRow
from shutterbook_scheduling.storage.online_models import (
    HoldBlockRow,
    SlotRemovalRow,
    TimeSlotRow,
    TimeSlotScheduleRow,
)
from shutterbook_scheduling.storage.slot_rows import slot_of
from tests.online_support import make_online_studio, online_service, pdate
from tests.scheduling_support import COMPANY_A, A

CALENDARS = 30
REASONS = ("NOT_PUBLISHED", "BOOKED", "REMOVED", "PAST", "TOO_SOON", "TOO_FAR", "BUSY", "HELD")
TABLES = (TimeSlotRow, TimeSlotScheduleRow, CalendarBlockRow, HoldBlockRow, SlotRemovalRow, SessionRow, AppointmentRow)


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def entry_rows(rng: random.Random, ids: dict[str, str], count: int, now: datetime) -> list[Any]:
    """Sessions and appointments (live or cancelled) for slots to be booked by or removed by."""
    rows: list[Any] = []
    for n in range(count):
        entry_id = new_id(rng)
        common = {
            "id": entry_id,
            "company_id": COMPANY_A,
            "client_id": new_id(rng),
            "type_id": ids["type"],
            "location_id": ids["location"],
            "start_at": now,
            "end_at": now + timedelta(hours=1),
            "cancelled": rng.random() < 0.4,
            "created_at": now,
            "updated_at": now,
        }
        if rng.random() < 0.7:
            rows.append(
                SessionRow(
                    **common,
                    session_number=f"E{n}",
                    status_id=ids["status"],
                    on_hold=False,
                    use_advanced_calendar=False,
                )
            )
        else:
            rows.append(AppointmentRow(**common, session_id=""))
    return rows


def overlaps(taken: list[tuple[str, datetime, datetime]], schedule_id: str, start: datetime, end: datetime) -> bool:
    return any(s == schedule_id and a < end and b > start for s, a, b in taken)


def random_calendar(rng: random.Random, ids: dict[str, str], now: datetime) -> list[Any]:
    """Rows of one random calendar around `now` (slots start from an hour before it)."""
    base = now.replace(second=0, microsecond=0)
    schedules = [new_id(rng) for _ in range(3)]
    entries = entry_rows(rng, ids, 12, base)
    rows: list[Any] = list(entries)
    slots: list[TimeSlotRow] = []
    for _ in range(rng.randint(10, 60)):
        start = base + timedelta(minutes=15 * rng.randint(-4, 400))
        end = start + timedelta(minutes=rng.choice((15, 30, 60, 90, 180, 1500)))
        row = TimeSlotRow(
            id=new_id(rng),
            company_id=COMPANY_A,
            location_id=ids["location"],
            type_id=ids["type"],
            is_appointment=False,
            time_zone=ids["zone"],
            start_at=start,
            end_at=end,
            published=rng.random() < 0.9,
            minimum_notice_minutes=rng.choice((0, 0, 15, 60, 600, 1440)),
            maximum_advance_days=rng.choice((0, 0, 0, 1, 2, 3)),
            booked_session_id=rng.choice(entries).id if rng.random() < 0.2 else "",
            created_at=base,
            updated_at=base,
        )
        slots.append(row)
        rows.append(row)
        for position, schedule_id in enumerate(rng.sample(schedules, rng.randint(1, 3))):
            rows.append(
                TimeSlotScheduleRow(
                    slot_id=row.id,
                    schedule_id=schedule_id,
                    company_id=COMPANY_A,
                    position=position,
                    start_at=start,
                    end_at=end,
                )
            )
    # PostgreSQL's exclusion constraints: occupying blocks that do not allow conflicts never
    # overlap on a schedule, and neither do hold blocks
    strict: list[tuple[str, datetime, datetime]] = []
    for n in range(rng.randint(0, 16)):
        start = base + timedelta(minutes=15 * rng.randint(-300, 420))
        lengths = (1440, 1455, 3 * 1440, 9 * 1440) if rng.random() < 0.15 else (15, 30, 60, 120, 300)
        end = start + timedelta(minutes=rng.choice(lengths))
        schedule_id = rng.choice(schedules)
        occupies = rng.random() < 0.8
        allow_conflict = rng.random() < 0.3 or overlaps(strict, schedule_id, start, end)
        if occupies and not allow_conflict:
            strict.append((schedule_id, start, end))
        rows.append(
            CalendarBlockRow(
                company_id=COMPANY_A,
                schedule_id=schedule_id,
                location_id=ids["location"],
                entry_kind="session",
                entry_id=new_id(rng),
                block_index=n,
                start_at=start,
                end_at=end,
                occupied_start=start,
                occupied_end=end,
                occupies=occupies,
                allow_conflict=allow_conflict,
            )
        )
    holds: list[tuple[str, datetime, datetime]] = []
    for _ in range(rng.randint(0, 12)):
        start = base + timedelta(minutes=15 * rng.randint(-8, 400))
        end = start + timedelta(minutes=rng.choice((15, 60, 120)))
        schedule_id = rng.choice(schedules)
        if overlaps(holds, schedule_id, start, end):
            continue
        holds.append((schedule_id, start, end))
        rows.append(
            HoldBlockRow(
                hold_id=new_id(rng),
                company_id=COMPANY_A,
                schedule_id=schedule_id,
                occupied_start=start,
                occupied_end=end,
                expires_at=now + timedelta(seconds=rng.choice((-600, -1, 0, 1, 600))),
            )
        )
    for slot in rng.sample(slots, min(len(slots), rng.randint(0, 8))):
        rows.append(SlotRemovalRow(session_id=rng.choice(entries).id, slot_id=slot.id, company_id=COMPANY_A))
    return rows


async def per_slot_answer(
    db: Database, days: list[times.DayBounds], now: datetime, reasons: set[str]
) -> list[opb.TimeSlot]:
    """The slots of the days that the per-slot rule (HoldSlot's check) calls open (and, into
    `reasons`, why the others are not)."""
    async with UnitOfWork(db, readonly=True) as uow:
        rows = (
            await uow.session.scalars(
                select(TimeSlotRow)
                .where(
                    TimeSlotRow.company_id == COMPANY_A,
                    TimeSlotRow.start_at >= days[0].start,
                    TimeSlotRow.start_at < days[-1].end,
                )
                .order_by(TimeSlotRow.start_at, TimeSlotRow.id)
            )
        ).all()
        out: list[opb.TimeSlot] = []
        for row in rows:
            reason = (await slot_state.why_not_open(uow, COMPANY_A, [row], now))[row.id]
            reasons.add(reason)
            if reason == "":
                out.append(time_slot_message(slot_of(row)))
        return out


async def paged(db: Database, request: opb.ListOpenSlotsRequest, size: int, now: datetime) -> list[opb.TimeSlot]:
    found: list[opb.TimeSlot] = []
    token = ""
    for _ in range(100):
        page = opb.ListOpenSlotsRequest()
        page.CopyFrom(request)
        page.page_size = size
        page.page_token = token
        answer = await slot_convert.list_open_slots(db, COMPANY_A, page, now=now)
        found += answer.time_slots
        token = answer.next_page_token
        if not token:
            return found
    raise AssertionError("paging did not end")


async def test_open_slots_equal_the_per_slot_rule_over_random_calendars(
    databases: DatabaseFactory, nats_server: EmbeddedNats
) -> None:
    async with online_service(databases, nats_server.url) as o:
        studio = await make_online_studio(o.svc)
        statuses = await o.svc.stub.ListSessionStatuses(pb.ListSessionStatusesRequest(), metadata=A)
        ids = {
            "location": studio.location.name.removeprefix("locations/"),
            "type": studio.session_type.name.removeprefix("sessionTypes/"),
            "zone": studio.location.time_zone,
            "status": statuses.session_statuses[0].name.removeprefix("sessionStatuses/"),
        }
        db = Database(o.svc.database_url)
        try:
            listed_total = 0
            reasons: set[str] = set()
            for seed in range(CALENDARS):
                rng = random.Random(seed)
                buffers = rng.choice(((0, 0), (0, 0), (15, 0), (0, 30), (15, 45)))
                await o.svc.stub.UpdateSessionType(
                    pb.UpdateSessionTypeRequest(
                        session_type=pb.SessionType(
                            name=studio.session_type.name,
                            buffer_before_minutes=buffers[0],
                            buffer_after_minutes=buffers[1],
                        ),
                        update_mask=field_mask_pb2.FieldMask(paths=["buffer_before_minutes", "buffer_after_minutes"]),
                    ),
                    metadata=A,
                )
                now = (utcnow() + timedelta(days=30)).replace(second=0, microsecond=0)
                if seed % 2:
                    now += timedelta(seconds=30, microseconds=250_000)
                async with UnitOfWork(db) as uow:
                    for table in TABLES:
                        await uow.session.execute(delete(table).where(table.company_id == COMPANY_A))
                    uow.session.add_all(random_calendar(rng, ids, now))
                    await uow.commit()
                tz = times.zone(ids["zone"])
                local = now.astimezone(tz).date()
                first = local + timedelta(days=rng.choice((-1, 0, 1)))
                last = local + timedelta(days=rng.choice((1, 2, 5)))
                request = opb.ListOpenSlotsRequest(
                    session_type=studio.session_type.name,
                    location=studio.location.name,
                    start_date=pdate(first),
                    end_date=pdate(last),
                )
                expected = await per_slot_answer(db, times.local_days(first, last, tz), now, reasons)
                whole = await slot_convert.list_open_slots(db, COMPANY_A, request, now=now)
                assert list(whole.time_slots) == expected, f"seed {seed}, buffers {buffers}, now {now}"
                size = rng.randint(1, 7)
                assert await paged(db, request, size, now) == expected, f"seed {seed}, page size {size}"
                listed_total += len(expected)
            # the calendars left slots open, and closed them for every reason the rule knows
            assert listed_total > 3 * CALENDARS
            assert reasons == {"", *(getattr(rules, r) for r in REASONS)}
        finally:
            await db.dispose()
