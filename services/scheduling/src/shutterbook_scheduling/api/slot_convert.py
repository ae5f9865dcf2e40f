"""Online time slots at the API edge: a create's wall-clock day and times and a generation's
pattern rows, read from their request messages into plain Python (domain/slot_requests.py); what
is wrong with them named by their request fields (`time_slot.start`, `rows[2].breaks[0].end`).
The create and the generation run once per their `request_id` here (`create_time_slot`,
`generate_time_slots`) around the use cases' work (application/online_slots.py)."""

from __future__ import annotations

from collections.abc import Sequence

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit.db import Database
from shutterbook_kit.errors import Violations
from shutterbook_kit.idempotency import validate_request_id
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.api.row_span_convert import read_span
from shutterbook_scheduling.application import online_slots
from shutterbook_scheduling.application.common import read_breaks, read_date, read_time, read_weekdays, run_once
from shutterbook_scheduling.domain.slot_requests import PatternRows, SlotTimes
from shutterbook_scheduling.domain.time_patterns import PatternRow


def slot_times(msg: opb.TimeSlot, path: str) -> SlotTimes:
    """A slot message's `date`, `start` and `end` (violations `{path}.date`, ...)."""
    found = Violations()
    day = read_date(msg.date, f"{path}.date", found)
    start = read_time(msg.start, f"{path}.start", found)
    end = read_time(msg.end, f"{path}.end", found)
    return SlotTimes(day, start, end, found)


def pattern_rows(rows: Sequence[opb.TimeSlotPatternRow]) -> PatternRows:
    """A generation's rows (violations `rows`, `rows[i].field`)."""
    found = Violations()
    out: list[PatternRow] = []
    if not rows:
        found.add("rows", "at least one row is required")
    for i, row in enumerate(rows):
        at = f"rows[{i}]"
        span = read_span(row, at, found, times_required=False)
        breaks = read_breaks(row.breaks, f"{at}.breaks", found)
        weekdays = read_weekdays(row.excluded_weekdays, f"{at}.excluded_weekdays", found)
        if span is None or breaks is None:
            continue
        out.append(
            PatternRow(
                *span,
                slot_minutes=row.slot_minutes,
                gap_minutes=row.gap_minutes,
                excluded_weekdays=weekdays,
                breaks=breaks,
            )
        )
    return PatternRows(tuple(out), len(rows), found)


def _check_request_id(request_id: str) -> None:
    v = Violations()
    validate_request_id(request_id, v)
    v.raise_if_any()


async def create_time_slot(db: Database, company_id: str, request: opb.CreateTimeSlotRequest) -> opb.TimeSlot:
    _check_request_id(request.request_id)
    when = slot_times(request.time_slot, "time_slot")

    async def work(uow: UnitOfWork) -> opb.TimeSlot:
        return await online_slots.add_time_slot(uow, company_id, request.time_slot, when)

    return await run_once(db, company_id, "CreateTimeSlot", request, opb.TimeSlot, work)


async def generate_time_slots(
    db: Database, company_id: str, request: opb.GenerateTimeSlotsRequest
) -> opb.GenerateTimeSlotsResponse:
    _check_request_id(request.request_id)
    rows = pattern_rows(request.rows)

    async def work(uow: UnitOfWork) -> opb.GenerateTimeSlotsResponse:
        return await online_slots.generate_time_slots(
            uow, company_id, request.template, rows, validate_only=request.validate_only
        )

    if request.validate_only:
        async with UnitOfWork(db, readonly=True) as uow:
            return await work(uow)
    return await run_once(db, company_id, "GenerateTimeSlots", request, opb.GenerateTimeSlotsResponse, work)
