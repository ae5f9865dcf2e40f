"""The standing time-slot pattern aggregate's repository: every read, insert, lease and write of
its rows (`time_slot_patterns`, and the key of each slot a pattern generated in
`time_slot_pattern_slots`). Rows in, domain objects out (domain/standing_patterns.py).

A use case makes `TimeSlotPatternRepository(uow)` inside its unit of work and never touches
`uow.session` or writes a statement itself. A change reads its pattern first (`pattern`), then
changes it (`delete`): the repository writes the very row it read, in the same transaction.

The `data` column holds the pattern's fields in the form they were first stored in: the
`TimeSlotPattern` message as created, encoded (rows written before there were domain objects
need no migration). `encoded` and `decoded` are that column's format, nothing more: the API's
own messages are built in api/slot_pattern_convert.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from shutterbook.common.v1 import date_pb2
from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook.scheduling.v1 import slot_patterns_pb2 as spb
from shutterbook_kit.pagination import Page
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.standing_patterns import (
    COLLECTION,
    Clock,
    PatternBreak,
    PatternFields,
    SlotTemplate,
    TimeSlotPattern,
)
from shutterbook_scheduling.storage import lists
from shutterbook_scheduling.storage.leases import lease_free, take_lease
from shutterbook_scheduling.storage.pattern_models import PatternSlotRow, TimeSlotPatternRow

# --- the `data` column ---


def _clock(value: Clock) -> pb.TimeOfDay:
    return pb.TimeOfDay(hours=value[0], minutes=value[1])


def pattern_record(name: str, f: PatternFields, create_time: datetime) -> spb.TimeSlotPattern:
    """The pattern as its `data` column keeps it (what the API shows, but `generated_through`)."""
    t = f.template
    msg = spb.TimeSlotPattern(
        name=name,
        template=opb.TimeSlot(
            location=t.location,
            session_type=t.session_type,
            appointment_type=t.appointment_type,
            schedules=list(t.schedules),
            published=t.published,
            minimum_notice_minutes=t.minimum_notice_minutes,
            maximum_advance_days=t.maximum_advance_days,
        ),
        weekdays=list(f.weekdays),  # type: ignore[arg-type]  # DayOfWeek numbers, checked
        start_time=_clock(f.start_time),
        end_time=_clock(f.end_time),
        slot_minutes=f.slot_minutes,
        gap_minutes=f.gap_minutes,
        breaks=[opb.TimeSlotBreak(start=_clock(b.start), end=_clock(b.end)) for b in f.breaks],
        weeks_ahead=f.weeks_ahead,
    )
    if f.start_date != (0, 0, 0):
        msg.start_date.CopyFrom(date_pb2.Date(year=f.start_date[0], month=f.start_date[1], day=f.start_date[2]))
    msg.create_time.FromDatetime(create_time)
    return msg


def encoded(pattern_id: str, f: PatternFields, create_time: datetime) -> bytes:
    return pattern_record(f"{COLLECTION}/{pattern_id}", f, create_time).SerializeToString()


def record_fields(msg: spb.TimeSlotPattern) -> PatternFields:
    """A pattern message's fields (the mirror of `pattern_record`; the API edge reads a request
    with it too): the template's date, times and output-only fields are not a pattern's."""
    t = msg.template
    return PatternFields(
        template=SlotTemplate(
            location=t.location,
            session_type=t.session_type,
            appointment_type=t.appointment_type,
            schedules=tuple(t.schedules),
            published=t.published,
            minimum_notice_minutes=t.minimum_notice_minutes,
            maximum_advance_days=t.maximum_advance_days,
        ),
        weekdays=tuple(int(d) for d in msg.weekdays),
        start_time=(msg.start_time.hours, msg.start_time.minutes),
        end_time=(msg.end_time.hours, msg.end_time.minutes),
        slot_minutes=msg.slot_minutes,
        gap_minutes=msg.gap_minutes,
        breaks=tuple(PatternBreak((b.start.hours, b.start.minutes), (b.end.hours, b.end.minutes)) for b in msg.breaks),
        weeks_ahead=msg.weeks_ahead,
        start_date=(msg.start_date.year, msg.start_date.month, msg.start_date.day),
    )


def decoded(data: bytes) -> PatternFields:
    return record_fields(spb.TimeSlotPattern.FromString(data))


def _pattern(row: TimeSlotPatternRow) -> TimeSlotPattern:
    return TimeSlotPattern(row.id, decoded(row.data), row.time_zone, row.generated_through, row.created_at)


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
                data=encoded(pattern.id, pattern.fields, pattern.create_time),
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
