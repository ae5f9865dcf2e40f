"""What lies around online time slots (application/slot_preview.py): the slots an unexpired
hold takes, and the occupying calendar blocks and other slots on some schedules over a range
(a generation's conflicts). Queries only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from shutterbook.scheduling.v1 import online_pb2 as opb
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.storage.models import CalendarBlockRow
from shutterbook_scheduling.storage.online_models import SlotHoldRow, TimeSlotScheduleRow


async def held_slot_ids(uow: UnitOfWork, slot_ids: list[str], now: datetime) -> set[str]:
    """The slots among these that an unexpired hold takes."""
    found = await uow.session.scalars(
        select(SlotHoldRow.slot_id).where(
            SlotHoldRow.slot_id.in_(slot_ids),
            SlotHoldRow.state == opb.SLOT_HOLD_STATE_HELD,
            SlotHoldRow.expires_at > now,
        )
    )
    return set(found.all())


async def occupying_blocks(
    uow: UnitOfWork, company_id: str, schedule_ids: Sequence[str], low: datetime, high: datetime
) -> Sequence[CalendarBlockRow]:
    """Occupying calendar blocks on the schedules whose occupied time overlaps [low, high)."""
    return (
        await uow.session.scalars(
            select(CalendarBlockRow).where(
                CalendarBlockRow.company_id == company_id,
                CalendarBlockRow.schedule_id.in_(list(schedule_ids)),
                CalendarBlockRow.occupies,
                CalendarBlockRow.occupied_start < high,
                CalendarBlockRow.occupied_end > low,
            )
        )
    ).all()


async def slots_on(
    uow: UnitOfWork, company_id: str, schedule_ids: Sequence[str], low: datetime, high: datetime
) -> Sequence[TimeSlotScheduleRow]:
    """Time slots on the schedules overlapping [low, high), one row per slot and schedule."""
    return (
        await uow.session.scalars(
            select(TimeSlotScheduleRow).where(
                TimeSlotScheduleRow.company_id == company_id,
                TimeSlotScheduleRow.schedule_id.in_(list(schedule_ids)),
                TimeSlotScheduleRow.start_at < high,
                TimeSlotScheduleRow.end_at > low,
            )
        )
    ).all()
