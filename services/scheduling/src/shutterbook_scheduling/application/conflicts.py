"""The booking conflict check: a booking overlapping an occupying block on any of its
schedules (buffers included) is refused with FAILED_PRECONDITION naming the entries in the way
(see `entries` for when it runs and how the database backs it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from shutterbook_kit.db import Database
from shutterbook_kit.errors import FailedPrecondition, PreconditionViolation
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.planning import Plan, entry_name
from shutterbook_scheduling.domain import rules
from shutterbook_scheduling.storage.entry_repository import EntryRepository


@dataclass(frozen=True)
class Conflict:
    entry: str
    schedule: str
    start: datetime
    end: datetime


@dataclass
class ScheduleConflict(FailedPrecondition):
    """FAILED_PRECONDITION with the conflicting entries: in ErrorInfo metadata (`conflicts`,
    comma-separated names) and one precondition violation per conflicting block (the kit's
    errors module makes them a PreconditionFailure detail at the edge)."""

    conflicts: list[Conflict] = field(default_factory=list)
    reason: str = "SCHEDULE_CONFLICT"


def conflict_error(conflicts: list[Conflict]) -> ScheduleConflict:
    entries = sorted({c.entry for c in conflicts})
    return ScheduleConflict(
        f"the booking conflicts with {', '.join(entries)}; set allow_conflicts to book anyway",
        metadata={"conflicts": ",".join(entries)},
        preconditions=[
            PreconditionViolation(
                "SCHEDULE_CONFLICT", c.entry, f"{c.schedule} is occupied {c.start.isoformat()} to {c.end.isoformat()}"
            )
            for c in conflicts
        ],
        conflicts=conflicts,
    )


def integrity_kind(exc: IntegrityError) -> str:
    text = str(exc.orig)
    if "ex_calendar_blocks_no_overlap" in text or "23P01" in text:
        return "overlap"
    if "uq_sessions_number" in text or "sessions.session_number" in text:
        return "number"
    return "other"


async def find_conflicts(
    uow: UnitOfWork, company_id: str, plan: Plan, buffers: tuple[int, int], own_entry: str
) -> list[Conflict]:
    repo = EntryRepository(uow)
    found: list[Conflict] = []
    for block in plan.blocks:
        if not block.schedule_ids:
            continue
        wanted = rules.Interval(block.start, block.end).widened(*buffers)
        rows = await repo.overlapping_blocks(company_id, block.schedule_ids, wanted, own_entry)
        found.extend(
            Conflict(entry_name(r.entry_kind, r.entry_id), f"schedules/{r.schedule_id}", r.start_at, r.end_at)
            for r in rows
        )
    return found


async def explain_exclusion(
    db: Database, company_id: str, plan: Plan | None, buffers: tuple[int, int], own: str
) -> ScheduleConflict:
    conflicts: list[Conflict] = []
    if plan is not None:
        async with UnitOfWork(db, readonly=True) as uow:
            conflicts = await find_conflicts(uow, company_id, plan, buffers, own)
    return conflict_error(conflicts)
