"""What lies around online time slots (application/slot_preview.py): the slots an unexpired
hold takes, the occupying calendar blocks and other slots on some schedules over a range
(a generation's conflicts), and what the open-slot decision of holding and booking weighs
(application/slot_state.py): the booked and held blocks that make slots busy or held, and the
slots' removals. Queries only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, literal, null, select, union_all
from sqlalchemy.orm import InstrumentedAttribute

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.domain.holds import HoldState
from shutterbook_scheduling.domain.rules import Interval
from shutterbook_scheduling.storage.calendar_blocks import OCCUPYING_OVERLAP
from shutterbook_scheduling.storage.models import AppointmentRow, CalendarBlockRow, SessionRow
from shutterbook_scheduling.storage.online_models import HoldBlockRow, SlotHoldRow, SlotRemovalRow, TimeSlotScheduleRow


async def held_slot_ids(uow: UnitOfWork, slot_ids: list[str], now: datetime) -> set[str]:
    """The slots among these that an unexpired hold takes."""
    found = await uow.session.scalars(
        select(SlotHoldRow.slot_id).where(
            SlotHoldRow.slot_id.in_(slot_ids),
            SlotHoldRow.state == int(HoldState.HELD),
            SlotHoldRow.expires_at > now,
        )
    )
    return set(found.all())


_SLOT_IDS: BindParameter[list[str]] = bindparam("slot_ids", expanding=True)


def _live_removals(*columns: ColumnElement[Any] | InstrumentedAttribute[Any]) -> tuple[Select[Any], Select[Any]]:
    """The removals of the slots `slot_ids` (a parameter) by live sessions and by live
    appointments (`SlotRepository.removed_ids`), two selects of `columns`, the slot's id among
    them (branches of a UNION ALL)."""
    return (
        select(*columns)
        .join(SessionRow, SessionRow.id == SlotRemovalRow.session_id)
        .where(SlotRemovalRow.slot_id.in_(_SLOT_IDS), ~SessionRow.cancelled),
        select(*columns)
        .join(AppointmentRow, AppointmentRow.id == SlotRemovalRow.session_id)
        .where(SlotRemovalRow.slot_id.in_(_SLOT_IDS), ~AppointmentRow.cancelled),
    )


# `removed_and_held_slot_ids`'s statement, built once (parameters by name)
_REMOVED_AND_HELD = union_all(
    *_live_removals(literal(1).label("removed"), SlotRemovalRow.slot_id),
    select(literal(0), SlotHoldRow.slot_id).where(
        SlotHoldRow.slot_id.in_(_SLOT_IDS),
        SlotHoldRow.state == int(HoldState.HELD),
        SlotHoldRow.expires_at > bindparam("now"),
    ),
)


async def removed_and_held_slot_ids(uow: UnitOfWork, slot_ids: list[str], now: datetime) -> tuple[set[str], set[str]]:
    """The slots among these that a live booking removed (`SlotRepository.removed_ids`) and
    those an unexpired hold takes (`held_slot_ids`), in one statement: the removals by live
    sessions and by live appointments (removed = 1) and the live holds (removed = 0)."""
    rows = await uow.session.execute(_REMOVED_AND_HELD, {"slot_ids": slot_ids, "now": now})
    removed: set[str] = set()
    held: set[str] = set()
    for is_removal, slot_id in rows:
        (removed if is_removal else held).add(slot_id)
    return removed, held


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


# What the open-slot decision reads around slots, one statement (`decision_rows`), each row
# tagged by its first column: what it is
BUSY, HELD, REMOVED, EXPIRED = 0, 1, 2, 3
_BUSY = select(
    literal(BUSY).label("kind"),
    CalendarBlockRow.schedule_id,
    CalendarBlockRow.occupied_start,
    CalendarBlockRow.occupied_end,
).where(*OCCUPYING_OVERLAP)
_HELD = select(literal(HELD), HoldBlockRow.schedule_id, HoldBlockRow.occupied_start, HoldBlockRow.occupied_end).where(
    HoldBlockRow.company_id == bindparam("company_id"),
    HoldBlockRow.schedule_id.in_(bindparam("schedule_ids", expanding=True)),
    HoldBlockRow.expires_at > bindparam("now"),  # an expired hold frees its slot by itself
    HoldBlockRow.occupied_start < bindparam("end"),
    HoldBlockRow.occupied_end > bindparam("start"),
    HoldBlockRow.hold_id != bindparam("own_hold"),
)
# the slots' live removals: the slot's id, no times
_REMOVED = _live_removals(literal(REMOVED), SlotRemovalRow.slot_id, null(), null())
_DECISION = union_all(_BUSY, _HELD, *_REMOVED)
# the expired hold blocks of the schedules `expired_on` (`HoldRepository.expired_hold_ids`):
# their hold's id, no times
_EXPIRED = select(literal(EXPIRED), HoldBlockRow.hold_id, null(), null()).where(
    HoldBlockRow.company_id == bindparam("company_id"),
    HoldBlockRow.schedule_id.in_(bindparam("expired_on", expanding=True)),
    HoldBlockRow.expires_at <= bindparam("now"),
)
_DECISION_AND_EXPIRED = union_all(_BUSY, _HELD, *_REMOVED, _EXPIRED)

Block = tuple[str, datetime, datetime]


@dataclass(frozen=True)
class DecisionRows:
    """What the open-slot decision weighs from the database around some slots: the occupying
    calendar blocks and the live hold blocks of their schedules (schedule id, start, end), and
    the slots among them that a live booking removed; when asked for, the holds with expired
    hold blocks on some schedules (for the caller to clean)."""

    busy: list[Block]
    held: list[Block]
    removed: set[str]
    expired_holds: set[str]


async def decision_rows(
    uow: UnitOfWork,
    company_id: str,
    slot_ids: list[str],
    schedule_ids: list[str],
    reach: Interval,
    now: datetime,
    *,
    own_entry: str,
    own_hold: str,
    expired_on: list[str] | None = None,
) -> DecisionRows:
    """On these schedules within `reach`: the occupying calendar blocks (not `own_entry`'s) and
    the unexpired hold blocks (not `own_hold`'s); and the slots among `slot_ids` a live booking
    removed. One statement: its rows tagged BUSY, HELD and REMOVED; with `expired_on` (schedule
    ids) also the holds with a hold block on them expired at `now` (whenever it was), EXPIRED."""
    params: dict[str, object] = {
        "company_id": company_id,
        "slot_ids": slot_ids,
        "schedule_ids": schedule_ids,
        "start": reach.start,
        "end": reach.end,
        "own_entry": own_entry,
        "own_hold": own_hold,
        "now": now,
    }
    statement = _DECISION
    if expired_on is not None:
        statement = _DECISION_AND_EXPIRED
        params["expired_on"] = expired_on
    busy: list[Block] = []
    held: list[Block] = []
    removed: set[str] = set()
    expired: set[str] = set()
    for kind, key, start, end in await uow.session.execute(statement, params):
        if kind == BUSY:
            busy.append((key, start, end))
        elif kind == HELD:
            held.append((key, start, end))
        elif kind == REMOVED:
            removed.add(key)
        else:
            expired.add(key)
    return DecisionRows(busy, held, removed, expired)
