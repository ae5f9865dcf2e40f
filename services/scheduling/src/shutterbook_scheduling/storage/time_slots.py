"""Writing online time slots' rows (application/online_slots.py): a new slot with its
schedules, a slot's schedules replaced, a slot deleted with its removals. The rows' columns
are written by storage/slot_rows.py (slots <-> rows)."""

from __future__ import annotations

from sqlalchemy import delete

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.storage.online_models import SlotRemovalRow, TimeSlotRow
from shutterbook_scheduling.storage.slot_rows import slot_schedules


def add_slot(uow: UnitOfWork, row: TimeSlotRow, schedule_ids: list[str]) -> None:
    row.schedules = slot_schedules(row, schedule_ids)
    uow.session.add(row)


async def replace_schedules(uow: UnitOfWork, row: TimeSlotRow, schedule_ids: list[str]) -> None:
    row.schedules = slot_schedules(row, schedule_ids)
    await uow.session.flush()


async def delete_slot(uow: UnitOfWork, row: TimeSlotRow) -> None:
    """The slot gone, with what removed it from its schedules (a booked slot is refused before)."""
    await uow.session.execute(delete(SlotRemovalRow).where(SlotRemovalRow.slot_id == row.id))
    await uow.session.delete(row)
