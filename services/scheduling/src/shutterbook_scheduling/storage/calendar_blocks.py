"""Writing an entry's calendar blocks (a session's, an appointment's, a schedule's time off):
one `calendar_blocks` row per block per schedule, the block's time widened by the buffers as
the time it occupies; and the occupying blocks a booking would overlap (its conflict check)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook_scheduling.domain.rules import Interval
from shutterbook_scheduling.storage.models import CalendarBlockRow


class BlockSpan(Protocol):
    """One block of an entry: its position, where and when, and the schedules it is on."""

    @property
    def index(self) -> int: ...

    @property
    def location_id(self) -> str: ...

    @property
    def schedule_ids(self) -> Sequence[str]: ...

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True)
class Span:
    index: int
    location_id: str
    schedule_ids: Sequence[str]
    start: datetime
    end: datetime


async def replace_blocks(
    session: AsyncSession,
    company_id: str,
    *,
    kind: str,
    entry_id: str,
    spans: Iterable[BlockSpan],
    buffers: tuple[int, int] = (0, 0),
    occupies: bool,
    allow_conflict: bool,
    new: bool = False,
) -> None:
    """The entry's blocks anew (its old ones deleted, unless `new`: an entry being booked has
    none); `allow_conflict` marks them as entered over whatever they overlap (the booking check
    is the caller's)."""
    if not new:
        await session.execute(
            delete(CalendarBlockRow).where(CalendarBlockRow.entry_id == entry_id, CalendarBlockRow.entry_kind == kind)
        )
    for span in spans:
        occupied = Interval(span.start, span.end).widened(*buffers)
        session.add_all(
            CalendarBlockRow(
                company_id=company_id,
                schedule_id=schedule_id,
                location_id=span.location_id,
                entry_kind=kind,
                entry_id=entry_id,
                block_index=span.index,
                start_at=span.start,
                end_at=span.end,
                occupied_start=occupied.start,
                occupied_end=occupied.end,
                occupies=occupies,
                allow_conflict=allow_conflict,
            )
            for schedule_id in span.schedule_ids
        )


# The occupying blocks on schedules `schedule_ids` of `company_id` overlapping [`start`, `end`),
# other than `own_entry`'s: the conditions of statements built once, parameters by name
OCCUPYING_OVERLAP = (
    CalendarBlockRow.company_id == bindparam("company_id"),
    CalendarBlockRow.schedule_id.in_(bindparam("schedule_ids", expanding=True)),
    CalendarBlockRow.occupies,
    CalendarBlockRow.occupied_start < bindparam("end"),
    CalendarBlockRow.occupied_end > bindparam("start"),
    CalendarBlockRow.entry_id != bindparam("own_entry"),
)
_OVERLAPPING = select(CalendarBlockRow).where(*OCCUPYING_OVERLAP)


async def overlapping(
    session: AsyncSession, company_id: str, schedule_ids: Sequence[str], wanted: Interval, own_entry: str
) -> Sequence[CalendarBlockRow]:
    """The occupying blocks on the schedules whose occupied time overlaps `wanted` (a booked
    block widened by its buffers), other than `own_entry`'s."""
    params = {"company_id": company_id, "schedule_ids": list(schedule_ids), "start": wanted.start, "end": wanted.end}
    rows = await session.scalars(_OVERLAPPING, params | {"own_entry": own_entry})
    return rows.all()
