"""The standing time-slot pattern aggregate's repository: every read, insert, lease and write of
its rows (`time_slot_patterns`, and the key of each slot a pattern generated in
`time_slot_pattern_slots`). Rows in, domain objects out (domain/standing_patterns.py).

A use case makes `TimeSlotPatternRepository(uow)` inside its unit of work and never touches
`uow.session` or writes a statement itself. A change reads its pattern first (`pattern`), then
changes it (`delete`): the repository writes the very row it read, in the same transaction.

A pattern's fields are columns and child rows (storage/pattern_models.py): its slot template as
`template_*` columns, wall-clock times in minutes after midnight, its weekdays, breaks and the
template's schedules as rows in the order given; the API's messages are built in
api/slot_pattern_convert.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from shutterbook_kit.pagination import Page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.standing_patterns import (
    Clock,
    PatternBreak,
    PatternFields,
    SlotTemplate,
    TimeSlotPattern,
)
from shutterbook_scheduling.storage import lists
from shutterbook_scheduling.storage.leases import lease_free, take_lease
from shutterbook_scheduling.storage.pattern_models import (
    PatternBreakRow,
    PatternScheduleRow,
    PatternSlotRow,
    PatternWeekdayRow,
    TimeSlotPatternRow,
)

# --- rows <-> fields ---


def _minute(value: Clock) -> int:
    return value[0] * 60 + value[1]


def _clock(minute: int) -> Clock:
    return (minute // 60, minute % 60)


def _fields(row: TimeSlotPatternRow) -> PatternFields:
    start = row.start_date
    return PatternFields(
        template=SlotTemplate(
            location=row.template_location,
            session_type=row.template_session_type,
            appointment_type=row.template_appointment_type,
            schedules=tuple(s.schedule for s in row.schedules),
            published=row.template_published,
            minimum_notice_minutes=row.template_minimum_notice_minutes,
            maximum_advance_days=row.template_maximum_advance_days,
        ),
        weekdays=tuple(w.weekday for w in row.weekdays),
        start_time=_clock(row.start_minute),
        end_time=_clock(row.end_minute),
        slot_minutes=row.slot_minutes,
        gap_minutes=row.gap_minutes,
        breaks=tuple(PatternBreak(_clock(b.start_minute), _clock(b.end_minute)) for b in row.breaks),
        weeks_ahead=row.weeks_ahead,
        start_date=(0, 0, 0) if start is None else (start.year, start.month, start.day),
    )


def _field_columns(f: PatternFields) -> dict[str, Any]:
    """The columns and child rows of a pattern's fields (checked: `standing_patterns.problems`)."""
    t = f.template
    return {
        "template_location": t.location,
        "template_session_type": t.session_type,
        "template_appointment_type": t.appointment_type,
        "template_published": t.published,
        "template_minimum_notice_minutes": t.minimum_notice_minutes,
        "template_maximum_advance_days": t.maximum_advance_days,
        "start_minute": _minute(f.start_time),
        "end_minute": _minute(f.end_time),
        "slot_minutes": f.slot_minutes,
        "gap_minutes": f.gap_minutes,
        "weeks_ahead": f.weeks_ahead,
        "start_date": None if f.start_date == (0, 0, 0) else date(*f.start_date),
        "weekdays": [PatternWeekdayRow(position=i, weekday=d) for i, d in enumerate(f.weekdays)],
        "breaks": [
            PatternBreakRow(position=i, start_minute=_minute(b.start), end_minute=_minute(b.end))
            for i, b in enumerate(f.breaks)
        ],
        "schedules": [PatternScheduleRow(position=i, schedule=x) for i, x in enumerate(t.schedules)],
    }


def _pattern(row: TimeSlotPatternRow) -> TimeSlotPattern:
    return TimeSlotPattern(row.id, _fields(row), row.time_zone, row.generated_through, row.created_at)


class TimeSlotPatternRepository:
    """The pattern aggregate's rows within one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._rows: dict[str, TimeSlotPatternRow] = {}

    # --- the studio's patterns ---

    async def pattern(self, company_id: str, pattern_id: str) -> TimeSlotPattern | None:
        """The company's pattern, None when there is none (or it was deleted)."""
        row = await self.uow.session.get(TimeSlotPatternRow, pattern_id)
        if row is None or row.company_id != company_id or row.deleted:
            return None
        self._rows[pattern_id] = row
        return _pattern(row)

    def add(self, company_id: str, created_by: str, pattern: TimeSlotPattern) -> None:
        self.uow.session.add(
            TimeSlotPatternRow(
                id=pattern.id,
                company_id=company_id,
                created_by=created_by[:200],
                **_field_columns(pattern.fields),
                time_zone=pattern.time_zone,
                generated_through=pattern.generated_through,
                deleted=False,
                created_at=pattern.create_time,
            )
        )

    def delete(self, pattern_id: str) -> None:
        """Mark the pattern read (`pattern`) deleted: its slots stay, no more are generated."""
        if pattern_id not in self._rows:
            raise RuntimeError("read the pattern before deleting it")
        self._rows[pattern_id].deleted = True

    async def page(self, company_id: str, page_size: int, page_token: str) -> Page[TimeSlotPattern]:
        """The company's patterns (not deleted), oldest first."""
        page = await lists.slot_patterns_page(self.uow.session, company_id, page_size, page_token)
        return Page([_pattern(r) for r in page.items], page.next_page_token)

    # --- generation ---

    async def due_ids(self, now: datetime) -> list[str]:
        """Patterns not deleted whose lease is free."""
        rows = await self.uow.session.scalars(
            select(TimeSlotPatternRow.id).where(
                TimeSlotPatternRow.deleted.is_(False),
                lease_free(TimeSlotPatternRow, now),
            )
        )
        return list(rows.all())

    async def take_lease(self, pattern_id: str, owner: str, until: datetime, now: datetime) -> bool:
        """Lease the pattern (free or expired lease, not deleted) to `owner`; whether it was taken."""
        live = TimeSlotPatternRow.deleted.is_(False)
        return await take_lease(self.uow.session, TimeSlotPatternRow, pattern_id, owner, until, now, live)

    async def leased(self, pattern_id: str) -> tuple[str, TimeSlotPattern]:
        """The pattern being generated (deleted or not) and its company."""
        row = await self.uow.session.get(TimeSlotPatternRow, pattern_id)
        assert row is not None
        return row.company_id, _pattern(row)

    async def add_slot_key(self, pattern_id: str, start: datetime, time_slot_id: str) -> bool:
        """The key of the pattern's slot starting at `start`; False (nothing written) when the
        pattern has made that slot before."""
        dialect: Any = sqlite if self.uow.db.is_sqlite else postgresql
        key = (
            dialect.insert(PatternSlotRow)
            .values(pattern_id=pattern_id, start_at=start, time_slot_id=time_slot_id)
            .on_conflict_do_nothing()
        )
        inserted = await self.uow.session.execute(key)
        return bool(inserted.rowcount)  # type: ignore[attr-defined]

    async def release(self, pattern_id: str, owner: str, generated_through: date | None) -> None:
        """Give up `owner`'s lease, recording the last day generated (None: unchanged)."""
        values: dict[str, object] = {"lease_owner": None, "lease_until": None}
        if generated_through is not None:
            values["generated_through"] = generated_through
        await self.uow.session.execute(
            update(TimeSlotPatternRow)
            .where(TimeSlotPatternRow.id == pattern_id, TimeSlotPatternRow.lease_owner == owner)
            .values(**values)
        )
