"""Use cases of standing time-slot patterns: create (its first weeks generated at once), get,
list, delete; and `generate`, the step the worker runs for each pattern.

They take and return domain objects (domain/standing_patterns.py), read and write them through
the aggregate's repository (storage/pattern_repository.py), and keep no protobuf and no SQL:
the API edge (api/slot_pattern_convert.py) converts messages, runs a create once per its
`request_id` (`Once`), and builds the `scheduling.time_slots.generated` event (`Announce`).
The slots themselves are the online-slot use cases' (`online_slots.read_template`,
`new_slot_row`, `add_slot_row`).

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
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from shutterbook_kit.db import Database
from shutterbook_kit.errors import NotFound, Violations
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.pagination import Page
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application import online_slots
from shutterbook_scheduling.application.common import SOURCE
from shutterbook_scheduling.domain import standing_patterns, time_patterns, times
from shutterbook_scheduling.domain.standing_patterns import (
    COLLECTION,
    GeneratedSlots,
    PatternFields,
    TimeSlotPattern,
)
from shutterbook_scheduling.storage.pattern_repository import TimeSlotPatternRepository

PATH = "time_slot_pattern"

# Emits `scheduling.time_slots.generated` for what a run created, in the unit of work given.
Announce = Callable[[UnitOfWork, str, GeneratedSlots], None]
# Runs the create's work (in a unit of work it opens) once per the request's request_id: a
# retry gets the first's pattern; the pattern's id either way.
Once = Callable[[Callable[[UnitOfWork], Awaitable[TimeSlotPattern]]], Awaitable[str]]


def _not_found(pattern_id: str) -> NotFound:
    return NotFound(f"{COLLECTION}/{pattern_id} not found")


async def create_pattern(
    db: Database,
    company_id: str,
    caller: str,
    fields: PatternFields,
    request_id: str,
    once: Once,
    announce: Announce,
) -> TimeSlotPattern:
    """The pattern stored (every problem is INVALID_ARGUMENT under `time_slot_pattern`) and its
    first weeks generated."""
    v = Violations()
    validate_request_id(request_id, v)
    v.raise_if_any()

    async def work(uow: UnitOfWork) -> TimeSlotPattern:
        violations = Violations()
        template = await online_slots.read_template(uow, company_id, fields.template, f"{PATH}.template", violations)
        for path, problem in standing_patterns.problems(fields).items():
            violations.add(f"{PATH}.{path}", problem)
        violations.raise_if_any()
        assert template is not None
        pattern = TimeSlotPattern(str(uuid.uuid4()), fields, template.location.time_zone, None, utcnow())
        TimeSlotPatternRepository(uow).add(company_id, caller, pattern)
        return pattern

    pattern_id = await once(work)
    # the first weeks at once (a worker would soon do it; the studio sees its slots now)
    await generate(db, pattern_id, owner=f"create-{uuid.uuid4()}", announce=announce)
    return await get_pattern(db, company_id, pattern_id)


async def get_pattern(db: Database, company_id: str, pattern_id: str) -> TimeSlotPattern:
    async with UnitOfWork(db, readonly=True) as uow:
        pattern = await TimeSlotPatternRepository(uow).pattern(company_id, pattern_id)
    if pattern is None:
        raise _not_found(pattern_id)
    return pattern


async def list_patterns(db: Database, company_id: str, page_size: int, page_token: str) -> Page[TimeSlotPattern]:
    async with UnitOfWork(db, readonly=True) as uow:
        return await TimeSlotPatternRepository(uow).page(company_id, page_size, page_token)


async def delete_pattern(db: Database, company_id: str, pattern_id: str) -> None:
    async with UnitOfWork(db, source=SOURCE) as uow:
        repo = TimeSlotPatternRepository(uow)
        if await repo.pattern(company_id, pattern_id) is None:
            raise _not_found(pattern_id)
        repo.delete(pattern_id)
        await uow.commit()


# --- generation ---------------------------------------------------------------------------------


async def due_pattern_ids(db: Database, now: datetime) -> list[str]:
    """Patterns not deleted whose lease is free (a read: an idle worker takes no write lock)."""
    async with UnitOfWork(db, readonly=True) as uow:
        return await TimeSlotPatternRepository(uow).due_ids(now)


async def _take_lease(db: Database, pattern_id: str, owner: str, lease: timedelta) -> bool:
    now = utcnow()
    async with UnitOfWork(db, source=SOURCE) as uow:
        taken = await TimeSlotPatternRepository(uow).take_lease(pattern_id, owner, now + lease, now)
        await uow.commit()
    return taken


async def _insert_slot(
    db: Database,
    company_id: str,
    pattern: TimeSlotPattern,
    template: online_slots.Template,
    slot: time_patterns.Slot,
) -> bool:
    """The slot and its key in one transaction; False (nothing written) when the key exists."""
    new = online_slots.new_slot_row(company_id, template, pattern.fields.template, slot.start, slot.end)
    async with UnitOfWork(db, source=SOURCE) as uow:
        if not await TimeSlotPatternRepository(uow).add_slot_key(pattern.id, slot.start, new.id):
            return False
        online_slots.add_slot_row(uow, new, template.schedule_ids)
        uow.touches(company_id)  # no event yet (the run announces its slots at the end)
        await uow.commit()
    return True


def _generated(template: online_slots.Template, created: list[time_patterns.Slot]) -> GeneratedSlots:
    type_name = ("appointmentTypes" if template.appointment else "sessionTypes") + f"/{template.type_id}"
    return GeneratedSlots(
        location=template.location.name,
        session_type="" if template.appointment else type_name,
        appointment_type=type_name if template.appointment else "",
        start=min(s.start for s in created),
        end=max(s.end for s in created),
        count=len(created),
    )


async def generate(
    db: Database, pattern_id: str, *, owner: str, announce: Announce, lease_seconds: float = 60.0
) -> int | None:
    """Generates the pattern's due days under a lease: the slots created (0 when nothing was
    due), or None when another replica holds the pattern."""
    if not await _take_lease(db, pattern_id, owner, timedelta(seconds=lease_seconds)):
        return None
    async with UnitOfWork(db, readonly=True) as uow:
        company_id, pattern = await TimeSlotPatternRepository(uow).leased(pattern_id)
        template = await online_slots.read_template(uow, company_id, pattern.fields.template, PATH, Violations())
    rules = standing_patterns.standing_pattern(pattern.fields)
    created: list[time_patterns.Slot] = []
    through: date | None = None
    if template is not None and rules is not None:  # its location, type or a schedule may be gone
        now = utcnow()
        today = now.astimezone(times.zone(pattern.time_zone)).date()
        due = standing_patterns.due_days(rules, today, pattern.generated_through)
        if due is not None:
            expansion = time_patterns.expand([standing_patterns.due_row(rules, *due)], template.tz)
            for slot in expansion.slots:
                if slot.start > now and await _insert_slot(db, company_id, pattern, template, slot):
                    created.append(slot)
            through = due[1]
    async with UnitOfWork(db, source=SOURCE) as uow:
        await TimeSlotPatternRepository(uow).release(pattern_id, owner, through)
        # one event for the run's slots (a crash before this commit leaves them to the
        # gateway's TTL; the next run announces only its own)
        if created:
            assert template is not None
            announce(uow, company_id, _generated(template, created))
        await uow.commit()
    return len(created)
