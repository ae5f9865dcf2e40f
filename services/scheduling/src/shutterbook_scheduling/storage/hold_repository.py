"""The slot hold aggregate's repository (application/holds.py, slot_booking.py,
online_appointments.py): a hold's row and its hold blocks written, a hold read locked (where
its slot is in the caller's scope), the holds with expired hold blocks on some schedules found
and those blocks cleaned, a client's live holds counted, the hold a booking was made through.
Rows in and out (`SlotHoldRow`; `hold_at` shows one as a domain/holds.py hold at an instant);
the decisions are the use cases' and domain/online_slots.py's.

The statements are the ones the booking path was tuned with (issue 19): one per method, in the
order the use case calls them. A hold's blocks are flushed when written, so that PostgreSQL's
exclusion constraint on `online_hold_blocks` refuses an overlapping hold there (the
IntegrityError reaches the use case, which answers SLOT_NOT_OPEN).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.holds import HoldState, SlotHold, shown_state
from shutterbook_scheduling.domain.locations import Scope
from shutterbook_scheduling.domain.rules import Interval
from shutterbook_scheduling.storage.online_models import HoldBlockRow, SlotHoldRow, TimeSlotRow

# The booking path's statements, built once (parameters by name)
_COMPANY_SLOTS = select(TimeSlotRow.id).where(TimeSlotRow.company_id == bindparam("company_id"))
_HOLD = select(SlotHoldRow).where(
    SlotHoldRow.id == bindparam("hold_id"), SlotHoldRow.company_id == bindparam("company_id")
)
_HOLD_LOCKED = _HOLD.where(SlotHoldRow.slot_id.in_(_COMPANY_SLOTS)).with_for_update()
_HOLD_AT_LOCKED = _HOLD.where(
    SlotHoldRow.slot_id.in_(_COMPANY_SLOTS.where(TimeSlotRow.location_id.in_(bindparam("locations", expanding=True))))
).with_for_update()
_BOOK_HOLD = (
    update(SlotHoldRow)
    .where(SlotHoldRow.id == bindparam("hold_id"))
    .values(state=int(HoldState.BOOKED), session_id=bindparam("entry_id"))
    .add_cte(delete(HoldBlockRow).where(HoldBlockRow.hold_id == bindparam("hold_id")).cte("gone"))
    .execution_options(synchronize_session=False)
)


def hold_at(row: SlotHoldRow, now: datetime, *, appointment: bool = False) -> SlotHold:
    """The hold `row` as shown at `now` (domain/holds.py); `appointment`: its slot sells an
    appointment type (the booking made through it is an appointment)."""
    return SlotHold(
        hold_id=row.id,
        slot_id=row.slot_id,
        client_id=row.client_id,
        state=shown_state(row.state, row.expires_at, now),
        expires_at=row.expires_at,
        created_at=row.created_at,
        booking_id=row.session_id or "",
        appointment=appointment,
    )


class HoldRepository:
    """Slot holds' rows and hold blocks in one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session
        self.sqlite = uow.db.is_sqlite

    @staticmethod
    def new_hold(
        company_id: str, slot_id: str, client_id: str, state: int, expires: datetime, now: datetime
    ) -> SlotHoldRow:
        """A new hold's row, not written yet (`add`)."""
        return SlotHoldRow(
            id=str(uuid.uuid4()),
            company_id=company_id,
            slot_id=slot_id,
            client_id=client_id,
            state=state,
            expires_at=expires,
            session_id="",
            created_at=now,
        )

    def add(self, hold: SlotHoldRow) -> None:
        """The hold's row, written with the unit of work's next flush."""
        self.session.add(hold)

    async def write_blocks(
        self, hold: SlotHoldRow, schedule_ids: list[str], occupied: Interval, expires: datetime
    ) -> None:
        """The hold's blocks on these schedules, flushed now (an overlapping hold's blocks
        refuse them: IntegrityError)."""
        for schedule_id in schedule_ids:
            self.session.add(
                HoldBlockRow(
                    hold_id=hold.id,
                    company_id=hold.company_id,
                    schedule_id=schedule_id,
                    occupied_start=occupied.start,
                    occupied_end=occupied.end,
                    expires_at=expires,
                )
            )
        await self.session.flush()

    async def delete_blocks(self, hold_id: str) -> None:
        await self.session.execute(delete(HoldBlockRow).where(HoldBlockRow.hold_id == hold_id))

    async def book(self, hold: SlotHoldRow, entry_id: str) -> None:
        """The hold booked by the entry `entry_id`. A hold not written yet (`new_hold`: a
        booking straight from a slot, which has no blocks) is written booked with the entry,
        one INSERT at the next flush. A hold written already: its blocks deleted (the
        booking's own take their place) and its row marked BOOKED with the entry. PostgreSQL:
        one statement (the DELETE a data-modifying CTE of the UPDATE, run to completion
        whether read or not); SQLite, which has no such CTE: the DELETE, the row's change
        flushed with the rest."""
        if inspect(hold).transient:
            hold.state = int(HoldState.BOOKED)
            hold.session_id = entry_id
            self.session.add(hold)
            return
        if self.sqlite:
            await self.delete_blocks(hold.id)
            hold.state = int(HoldState.BOOKED)
            hold.session_id = entry_id
            return
        # autoflush first: a hold taken in this unit of work is inserted
        await self.session.execute(_BOOK_HOLD, {"hold_id": hold.id, "entry_id": entry_id})
        set_committed_value(hold, "state", int(HoldState.BOOKED))
        set_committed_value(hold, "session_id", entry_id)

    async def expired_hold_ids(self, company_id: str, schedule_ids: list[str], now: datetime) -> set[str]:
        """The holds with a hold block on these schedules expired at `now` (the open-slot
        decision of a booking straight from a slot reads them in its own statement instead:
        `slot_neighbours.decision_rows`)."""
        found = await self.session.scalars(
            select(HoldBlockRow.hold_id).where(
                HoldBlockRow.company_id == company_id,
                HoldBlockRow.schedule_id.in_(schedule_ids),
                HoldBlockRow.expires_at <= now,
            )
        )
        return set(found.all())

    async def end_expired(self, hold_ids: set[str]) -> Sequence[SlotHoldRow]:
        """These holds' blocks (expired) deleted; those of the holds still held returned (the
        caller ends them as expired). Nothing is read or written for none."""
        if not hold_ids:
            return []
        await self.session.execute(delete(HoldBlockRow).where(HoldBlockRow.hold_id.in_(hold_ids)))
        return (
            await self.session.scalars(
                select(SlotHoldRow).where(SlotHoldRow.id.in_(hold_ids), SlotHoldRow.state == int(HoldState.HELD))
            )
        ).all()

    async def live_count(self, company_id: str, client_id: str, now: datetime) -> int:
        """The client's holds held and not expired."""
        live = await self.session.scalar(
            select(func.count())
            .select_from(SlotHoldRow)
            .where(
                SlotHoldRow.company_id == company_id,
                SlotHoldRow.client_id == client_id,
                SlotHoldRow.state == int(HoldState.HELD),
                SlotHoldRow.expires_at > now,
            )
        )
        return live or 0

    async def locked(self, company_id: str, hold_id: str, scope: Scope) -> SlotHoldRow | None:
        """The hold, locked (FOR UPDATE); None when there is none or its slot's location is
        outside `scope` (a hold is where its slot is)."""
        params = {"hold_id": hold_id, "company_id": company_id}
        if scope is None:
            found: SlotHoldRow | None = await self.session.scalar(_HOLD_LOCKED, params)
        else:
            found = await self.session.scalar(_HOLD_AT_LOCKED, params | {"locations": sorted(scope)})
        return found

    async def booked_through(self, company_id: str, entry_id: str) -> str | None:
        """The id of the hold the booking `entry_id` was made through, if any."""
        found: str | None = await self.session.scalar(
            select(SlotHoldRow.id).where(
                SlotHoldRow.company_id == company_id,
                SlotHoldRow.session_id == entry_id,
                SlotHoldRow.state == int(HoldState.BOOKED),
            )
        )
        return found
