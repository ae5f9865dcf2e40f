"""Sessions and appointments (the entries every booking path books and changes; issue 13: a
repository per aggregate): an entry loaded by id within a location scope (locked to change it),
a session number's owner, the entry added and flushed, its calendar blocks replaced
(storage/calendar_blocks.py) and the occupying blocks a booking would overlap. The use cases
(application/entries.py) keep the order of the steps and no SQL; the statements are the ones
the booking path was tuned with (issue 19), one per step, none added."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from sqlalchemy import bindparam, select

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.locations import Scope
from shutterbook_scheduling.domain.rules import Interval
from shutterbook_scheduling.storage import calendar_blocks
from shutterbook_scheduling.storage.calendar_blocks import BlockSpan
from shutterbook_scheduling.storage.lists import within
from shutterbook_scheduling.storage.models import AppointmentRow, CalendarBlockRow, SessionRow

E = TypeVar("E", SessionRow, AppointmentRow)
_NUMBER_TAKEN = select(SessionRow.id).where(  # built once: on every booking
    SessionRow.company_id == bindparam("company_id"),
    SessionRow.session_number == bindparam("number"),
    SessionRow.id != bindparam("own_id"),
)


class EntryRepository:
    """The company's sessions and appointments in one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def _entry(self, model: type[E], company_id: str, entry_id: str, scope: Scope, lock: bool) -> E | None:
        found_by_id = select(model).where(model.id == entry_id, model.company_id == company_id)
        query = within(found_by_id, model.location_id, scope)
        if lock:
            query = query.with_for_update()
        found: E | None = await self.uow.session.scalar(query)
        return found

    async def session(self, company_id: str, session_id: str, scope: Scope, *, lock: bool = False) -> SessionRow | None:
        """The company's session within `scope` (None: every location), locked when `lock`
        (PostgreSQL: FOR UPDATE; SQLite: the write transaction); None when there is none."""
        return await self._entry(SessionRow, company_id, session_id, scope, lock)

    async def appointment(
        self, company_id: str, appointment_id: str, scope: Scope, *, lock: bool = False
    ) -> AppointmentRow | None:
        """The company's appointment within `scope`, locked when `lock`; None when there is none."""
        return await self._entry(AppointmentRow, company_id, appointment_id, scope, lock)

    async def linked_session(self, company_id: str, session_id: str) -> SessionRow | None:
        """The company's session an appointment names (any location: the link is checked, not
        shown); None when there is none."""
        found: SessionRow | None = await self.uow.session.scalar(
            select(SessionRow).where(SessionRow.id == session_id, SessionRow.company_id == company_id)
        )
        return found

    async def number_taken(self, company_id: str, number: str, own_id: str) -> bool:
        """Whether a session of the company other than `own_id` has the number."""
        params = {"company_id": company_id, "number": number, "own_id": own_id}
        return await self.uow.session.scalar(_NUMBER_TAKEN, params) is not None

    def add(self, row: SessionRow | AppointmentRow) -> None:
        """A new entry, inserted at the next flush."""
        self.uow.session.add(row)

    async def flush(self) -> None:
        """The unit of work's changes sent (a taken number or an overlap refused here, as an
        IntegrityError)."""
        await self.uow.session.flush()

    async def replace_blocks(
        self,
        company_id: str,
        *,
        kind: str,
        entry_id: str,
        spans: Iterable[BlockSpan],
        buffers: tuple[int, int],
        occupies: bool,
        allow_conflict: bool,
        new: bool,
    ) -> None:
        """The entry's calendar blocks anew (storage/calendar_blocks.replace_blocks)."""
        await calendar_blocks.replace_blocks(
            self.uow.session,
            company_id,
            kind=kind,
            entry_id=entry_id,
            spans=spans,
            buffers=buffers,
            occupies=occupies,
            allow_conflict=allow_conflict,
            new=new,
        )

    async def overlapping_blocks(
        self, company_id: str, schedule_ids: Sequence[str], wanted: Interval, own_entry: str
    ) -> Sequence[CalendarBlockRow]:
        """The occupying blocks on the schedules whose occupied time overlaps `wanted`, other
        than `own_entry`'s."""
        return await calendar_blocks.overlapping(self.uow.session, company_id, schedule_ids, wanted, own_entry)
