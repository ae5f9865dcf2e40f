"""The online time slot aggregate's repository, for holding and booking (application/holds.py,
slot_state.py, slot_booking.py): a slot read (in the caller's scope) or read again, its schedule
rows queued on, its schedules, who booked or removed it, the conditional UPDATE that books it,
the slots a booking removes and their removals, and a booking's slots given back. Rows in and
out (`TimeSlotRow`); the decisions are the use cases' and domain/online_slots.py's.

Every statement is the one the booking path was tuned with (issue 19 counted them): a method
here is one statement (or none), in the order the use case calls them; locks are taken in the
same order and with the same FOR UPDATE as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, inspect, select, union_all, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.locations import Scope
from shutterbook_scheduling.storage.models import AppointmentRow, ScheduleRow, SessionRow
from shutterbook_scheduling.storage.online_models import SlotRemovalRow, TimeSlotRow, TimeSlotScheduleRow
from shutterbook_scheduling.storage.open_slots import free_of_bookings

# The hot statements built once (construction and its cache key cost more than the Python of
# running one); parameters by name.
_SLOT = (
    select(TimeSlotRow)
    .where(TimeSlotRow.id == bindparam("slot_id"), TimeSlotRow.company_id == bindparam("company_id"))
    .options(joinedload(TimeSlotRow.schedules))  # its schedules in the same statement
)
_SLOT_AT = _SLOT.where(TimeSlotRow.location_id.in_(bindparam("locations", expanding=True)))

_REMOVED = union_all(
    select(SlotRemovalRow.slot_id)
    .join(SessionRow, SessionRow.id == SlotRemovalRow.session_id)
    .where(SlotRemovalRow.slot_id.in_(bindparam("slot_ids", expanding=True)), ~SessionRow.cancelled),
    select(SlotRemovalRow.slot_id)
    .join(AppointmentRow, AppointmentRow.id == SlotRemovalRow.session_id)
    .where(SlotRemovalRow.slot_id.in_(bindparam("slot_ids", expanding=True)), ~AppointmentRow.cancelled),
)
# a Core UPDATE (on the table's columns): an ORM-enabled one is copied and re-keyed by the ORM
# on every execution, and this one runs on every booking
_SLOT_TABLE = TimeSlotRow.metadata.tables[TimeSlotRow.__tablename__]
_SLOTS = _SLOT_TABLE.c
_TAKE = (
    update(_SLOT_TABLE)
    .where(_SLOTS.id == bindparam("slot_id"), free_of_bookings())
    .values(booked_session_id=bindparam("entry_id"), updated_at=bindparam("now"))
)
_FREE_OVERLAPPING = (
    select(TimeSlotRow)
    .join(TimeSlotScheduleRow, TimeSlotScheduleRow.slot_id == TimeSlotRow.id)
    .where(
        TimeSlotScheduleRow.company_id == bindparam("company_id"),
        TimeSlotScheduleRow.schedule_id.in_(bindparam("schedule_ids", expanding=True)),
        TimeSlotScheduleRow.start_at < bindparam("end"),
        TimeSlotScheduleRow.end_at > bindparam("start"),
        TimeSlotRow.id != bindparam("other_than"),
        free_of_bookings(),
    )
    .distinct()
    .order_by(TimeSlotRow.start_at, TimeSlotRow.id)
)
_OF_SLOT = select(TimeSlotScheduleRow.schedule_id).where(TimeSlotScheduleRow.slot_id == bindparam("slot_id"))
_LOCKED = (
    select(ScheduleRow.id)
    .where(ScheduleRow.company_id == bindparam("company_id"), ScheduleRow.id.in_(_OF_SLOT))
    .order_by(ScheduleRow.id)
    .with_for_update()
    .cte("locked")
)
_LOCK_SCHEDULES_OF = _OF_SLOT.where(select(func.count()).select_from(_LOCKED).scalar_subquery() >= 0).order_by(
    TimeSlotScheduleRow.position
)


def loaded_schedule_ids(slot: TimeSlotRow) -> tuple[str, ...] | None:
    """The slot's schedule ids in order when its row was read with them (`TimeSlotRow.schedules`
    loads with the row), else None; reads nothing."""
    if "schedules" in inspect(slot).unloaded:
        return None
    return tuple(s.schedule_id for s in sorted(slot.schedules, key=lambda s: s.position))


class SlotRepository:
    """Online time slots' rows in one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def in_scope(self, company_id: str, slot_id: str, scope: Scope) -> TimeSlotRow | None:
        """The company's slot, None when there is none or its location is outside `scope`."""
        params: dict[str, object] = {"slot_id": slot_id, "company_id": company_id}
        if scope is not None:
            params["locations"] = sorted(scope)
        found = await self.session.execute(_SLOT if scope is None else _SLOT_AT, params)
        slot: TimeSlotRow | None = found.unique().scalar_one_or_none()
        return slot

    async def get(self, slot_id: str) -> TimeSlotRow | None:
        """The slot by its key (from the unit of work's identity map when read already)."""
        return await self.session.get(TimeSlotRow, slot_id)

    async def of_ids(self, slot_ids: list[str]) -> Sequence[TimeSlotRow]:
        return (await self.session.scalars(select(TimeSlotRow).where(TimeSlotRow.id.in_(slot_ids)))).all()

    async def read_again(self, slot: TimeSlotRow) -> None:
        """The slot's row as it is now (what a writer that went first committed)."""
        await self.session.refresh(slot)

    async def lock_schedules(self, company_id: str, schedule_ids: list[str]) -> None:
        """Queue on the schedules' rows (FOR UPDATE, in id order: never in a cycle)."""
        await self.session.execute(
            select(ScheduleRow.id)
            .where(ScheduleRow.company_id == company_id, ScheduleRow.id.in_(schedule_ids))
            .order_by(ScheduleRow.id)
            .with_for_update()
        )

    async def lock_schedules_of(self, company_id: str, slot_id: str) -> list[str]:
        """The slot's schedule ids in its order, their rows queued on as `lock_schedules` does
        (FOR UPDATE, in id order), in one statement: the lock a CTE that the answer's one-time
        filter runs to completion before the slot's schedules are read (as of the statement's
        start, as a read before the lock saw them)."""
        found = await self.session.scalars(_LOCK_SCHEDULES_OF, {"slot_id": slot_id, "company_id": company_id})
        return list(found.all())

    async def schedule_pairs(self, slot_ids: list[str]) -> list[tuple[str, str]]:
        """(slot id, schedule id) of these slots, each slot's schedules in its order."""
        rows = await self.session.execute(
            select(TimeSlotScheduleRow.slot_id, TimeSlotScheduleRow.schedule_id)
            .where(TimeSlotScheduleRow.slot_id.in_(slot_ids))
            .order_by(TimeSlotScheduleRow.slot_id, TimeSlotScheduleRow.position)
        )
        return [(slot_id, schedule_id) for slot_id, schedule_id in rows]

    async def removed_ids(self, slot_ids: list[str]) -> set[str]:
        """The slots among these that a live booking removed (one statement: removals by live
        sessions, and by live appointments)."""
        found = await self.session.scalars(_REMOVED, {"slot_ids": slot_ids})
        return set(found.all())

    async def live_entry_ids(self, entry_ids: list[str]) -> list[str]:
        """The sessions and appointments among these ids that are not cancelled."""
        live = await self.session.scalars(
            union_all(
                select(SessionRow.id).where(SessionRow.id.in_(entry_ids), ~SessionRow.cancelled),
                select(AppointmentRow.id).where(AppointmentRow.id.in_(entry_ids), ~AppointmentRow.cancelled),
            )
        )
        return list(live.all())

    async def take(self, slot: TimeSlotRow, entry_id: str, now: datetime) -> bool:
        """The conditional UPDATE that books a slot at most once: False when a live booking
        holds it already. The loaded row then says so without a second write."""
        await self.session.flush()  # pending rows first, as an ORM statement's autoflush would
        result = await self.session.execute(_TAKE, {"slot_id": slot.id, "entry_id": entry_id, "now": now})
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        set_committed_value(slot, "booked_session_id", entry_id)
        return True

    async def free_overlapping(
        self, company_id: str, schedule_ids: list[str], start: datetime, end: datetime, other_than: str
    ) -> Sequence[TimeSlotRow]:
        """The slots (not booked, other than `other_than`) on these schedules overlapping
        [start, end), by start."""
        params = {"company_id": company_id, "schedule_ids": schedule_ids, "start": start, "end": end}
        return (await self.session.scalars(_FREE_OVERLAPPING, params | {"other_than": other_than})).all()

    def add_removal(self, company_id: str, entry_id: str, slot_id: str) -> None:
        """The booking `entry_id` removes the slot (written with the unit of work's next flush)."""
        self.session.add(SlotRemovalRow(session_id=entry_id, slot_id=slot_id, company_id=company_id))

    async def booked_by(self, company_id: str, entry_id: str) -> Sequence[TimeSlotRow]:
        return (
            await self.session.scalars(
                select(TimeSlotRow).where(
                    TimeSlotRow.company_id == company_id, TimeSlotRow.booked_session_id == entry_id
                )
            )
        ).all()

    async def removed_by(self, entry_id: str) -> list[str]:
        """The ids of the slots the booking removed."""
        found = await self.session.scalars(select(SlotRemovalRow.slot_id).where(SlotRemovalRow.session_id == entry_id))
        return list(found.all())

    async def delete_removals_of(self, entry_id: str) -> None:
        await self.session.execute(delete(SlotRemovalRow).where(SlotRemovalRow.session_id == entry_id))

    async def free(self, slots: Sequence[TimeSlotRow]) -> None:
        """These slots booked by nobody, written now (one flush)."""
        for row in slots:
            row.booked_session_id = ""
            row.updated_at = utcnow()
        await self.session.flush()
