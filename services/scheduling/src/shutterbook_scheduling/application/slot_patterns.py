"""Use cases of standing time-slot patterns: create (its first weeks generated at once), get,
list, delete; and `generate`, the step the worker runs for each pattern.

Never a duplicate slot, across runs or replicas:
- a lease: `generate` first takes the pattern with a conditional UPDATE (free or expired
  lease only), so one replica works on a pattern at a time;
- a key per slot: each slot's (pattern, start) is inserted with ON CONFLICT DO NOTHING in the
  slot's own transaction, and the slot is created only when the key was new. A replica whose
  lease ran out mid-run, or a second run over the same days, inserts nothing twice. A slot
  staff deleted keeps its key, so the pattern does not bring it back.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import slot_patterns_pb2 as spb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.resource_names import parse_name
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import announcements, online_slots
from shutterbook_scheduling.application.common import (
    SOURCE,
    read_breaks,
    read_date,
    read_time,
    read_weekdays,
    run_once,
    to_date,
    ts,
)
from shutterbook_scheduling.domain import standing_patterns, time_patterns, times
from shutterbook_scheduling.storage import lists, records
from shutterbook_scheduling.storage.leases import lease_free, take_lease
from shutterbook_scheduling.storage.pattern_models import PatternSlotRow, TimeSlotPatternRow

COLLECTION = "timeSlotPatterns"
PATH = "time_slot_pattern"


def _read(msg: spb.TimeSlotPattern, v: Violations) -> standing_patterns.StandingPattern | None:
    weekdays = read_weekdays(msg.weekdays, f"{PATH}.weekdays", v)
    start = read_time(msg.start_time, f"{PATH}.start_time", v)
    end = read_time(msg.end_time, f"{PATH}.end_time", v)
    breaks = read_breaks(msg.breaks, f"{PATH}.breaks", v)
    first = read_date(msg.start_date, f"{PATH}.start_date", v, required=False)
    if start is None or end is None or breaks is None:
        return None
    pattern = standing_patterns.StandingPattern(
        weekdays=weekdays,
        start_time=start,
        end_time=end,
        slot_minutes=msg.slot_minutes,
        gap_minutes=msg.gap_minutes,
        breaks=breaks,
        weeks_ahead=msg.weeks_ahead,
        start_date=first,
    )
    standing_patterns.validate(pattern, PATH, v)
    return pattern


def _message(row: TimeSlotPatternRow) -> spb.TimeSlotPattern:
    msg = spb.TimeSlotPattern.FromString(row.data)
    if row.generated_through is not None:
        msg.generated_through.CopyFrom(to_date(row.generated_through))
    return msg


async def _load(uow: UnitOfWork, company_id: str, name: str) -> TimeSlotPatternRow:
    pattern_id = parse_name(name, COLLECTION)
    row = await uow.session.get(TimeSlotPatternRow, pattern_id)
    if row is None or row.company_id != company_id or row.deleted:
        raise NotFound(f"{name} not found")
    return row


async def create_pattern(
    db: Database, company_id: str, caller: str, request: spb.CreateTimeSlotPatternRequest
) -> spb.TimeSlotPattern:
    v = Violations()
    validate_request_id(request.request_id, v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> spb.TimeSlotPattern:
        violations = Violations()
        msg = request.time_slot_pattern
        template = await online_slots.read_template(uow, company_id, msg.template, f"{PATH}.template", violations)
        _read(msg, violations)
        violations.raise_if_any()
        assert template is not None
        now = utcnow()
        pattern_id = str(uuid.uuid4())
        stored = spb.TimeSlotPattern()
        stored.CopyFrom(msg)
        stored.name = f"{COLLECTION}/{pattern_id}"
        stored.ClearField("generated_through")
        stored.create_time.CopyFrom(ts(now))
        for key in ("date", "start", "end", "start_time", "end_time", "booked_session", "name"):
            stored.template.ClearField(key)
        uow.session.add(
            TimeSlotPatternRow(
                id=pattern_id,
                company_id=company_id,
                created_by=caller[:200],
                data=stored.SerializeToString(),
                time_zone=template.location.time_zone,
                generated_through=None,
                deleted=False,
                created_at=now,
            )
        )
        return stored

    created = await run_once(db, company_id, "CreateTimeSlotPattern", request, spb.TimeSlotPattern, work)
    # the first weeks at once (a worker would soon do it; the studio sees its slots now)
    await generate(db, created.name.removeprefix(f"{COLLECTION}/"), owner=f"create-{uuid.uuid4()}")
    return await get_pattern(db, company_id, created.name)


async def get_pattern(db: Database, company_id: str, name: str) -> spb.TimeSlotPattern:
    async with UnitOfWork(db, readonly=True) as uow:
        return _message(await _load(uow, company_id, name))


async def list_patterns(
    db: Database, company_id: str, request: spb.ListTimeSlotPatternsRequest
) -> spb.ListTimeSlotPatternsResponse:
    async with UnitOfWork(db, readonly=True) as uow:
        page = await lists.slot_patterns_page(uow.session, company_id, request.page_size, request.page_token)
    return spb.ListTimeSlotPatternsResponse(
        time_slot_patterns=[_message(r) for r in page.items], next_page_token=page.next_page_token
    )


async def delete_pattern(db: Database, company_id: str, name: str) -> None:
    async with UnitOfWork(db, source=SOURCE) as uow:
        row = await _load(uow, company_id, name)
        row.deleted = True
        await uow.commit()


# --- generation ---------------------------------------------------------------------------------


async def due_pattern_ids(db: Database, now: datetime) -> list[str]:
    """Patterns not deleted whose lease is free (a read: an idle worker takes no write lock)."""
    async with UnitOfWork(db, readonly=True) as uow:
        rows = await uow.session.scalars(
            select(TimeSlotPatternRow.id).where(
                TimeSlotPatternRow.deleted.is_(False),
                lease_free(TimeSlotPatternRow, now),
            )
        )
        return list(rows.all())


async def _take_lease(db: Database, pattern_id: str, owner: str, lease: timedelta) -> bool:
    now = utcnow()
    async with UnitOfWork(db, source=SOURCE) as uow:
        live = TimeSlotPatternRow.deleted.is_(False)
        taken = await take_lease(uow.session, TimeSlotPatternRow, pattern_id, owner, now + lease, now, live)
        await uow.commit()
    return taken


async def _insert_slot(
    db: Database,
    row: TimeSlotPatternRow,
    template: online_slots.Template,
    base: spb.TimeSlotPattern,
    slot: time_patterns.Slot,
) -> opb.TimeSlot | None:
    """The slot and its key in one transaction; None (nothing written) when the key exists."""
    new = online_slots.new_slot_row(row.company_id, template, base.template, slot.start, slot.end)
    dialect = sqlite if db.is_sqlite else postgresql
    key = (
        dialect.insert(PatternSlotRow)
        .values(pattern_id=row.id, start_at=slot.start, time_slot_id=new.id)
        .on_conflict_do_nothing()
    )
    async with UnitOfWork(db, source=SOURCE) as uow:
        inserted = await uow.session.execute(key)
        if not inserted.rowcount:  # type: ignore[attr-defined]
            return None
        online_slots.add_slot_row(uow, new, template.schedule_ids)
        uow.touches(row.company_id)  # no event yet (the run announces its slots at the end)
        await uow.commit()
    return records.slot_base_message(new)


async def generate(db: Database, pattern_id: str, *, owner: str, lease_seconds: float = 60.0) -> int | None:
    """Generates the pattern's due days under a lease: the slots created (0 when nothing was
    due), or None when another replica holds the pattern."""
    if not await _take_lease(db, pattern_id, owner, timedelta(seconds=lease_seconds)):
        return None
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.get(TimeSlotPatternRow, pattern_id)
        assert row is not None
        msg = spb.TimeSlotPattern.FromString(row.data)
        v = Violations()
        template = await online_slots.read_template(uow, row.company_id, msg.template, PATH, v)
    pattern = _read(msg, Violations())
    created: list[opb.TimeSlot] = []
    through: date | None = None
    if template is not None and pattern is not None:  # its location, type or a schedule may be gone
        now = utcnow()
        today = now.astimezone(times.zone(row.time_zone)).date()
        due = standing_patterns.due_days(pattern, today, row.generated_through)
        if due is not None:
            expansion = time_patterns.expand([standing_patterns.due_row(pattern, *due)], template.tz)
            for slot in expansion.slots:
                if slot.start > now and (inserted := await _insert_slot(db, row, template, msg, slot)):
                    created.append(inserted)
            through = due[1]
    async with UnitOfWork(db, source=SOURCE) as uow:
        values: dict[str, object] = {"lease_owner": None, "lease_until": None}
        if through is not None:
            values["generated_through"] = through
        await uow.session.execute(
            update(TimeSlotPatternRow)
            .where(TimeSlotPatternRow.id == pattern_id, TimeSlotPatternRow.lease_owner == owner)
            .values(**values)
        )
        # one event for the run's slots (a crash before this commit leaves them to the
        # gateway's TTL; the next run announces only its own)
        announcements.time_slots_generated(uow, row.company_id, created)
        await uow.commit()
    return len(created)
