"""A caller-given id for a new booking (application/slot_booking.py `claim_new_id`): locked
against a concurrent claim of the same id, and looked up among every session and appointment
(of any company: the ids are the tables' keys, and the two kinds share them)."""

from __future__ import annotations

from sqlalchemy import bindparam, select, text, union_all

from shutterbook_kit.db import ADVISORY_LOCK
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.storage.models import AppointmentRow, SessionRow

_ID_USED = union_all(
    select(SessionRow.id).where(SessionRow.id == bindparam("entry_id")),
    select(AppointmentRow.id).where(AppointmentRow.id == bindparam("entry_id")),
).limit(1)
_LOCK_ID = text(ADVISORY_LOCK)


def booking_id_lock(entry_id: str) -> str:
    """The advisory lock's key of a caller-given id (`lock_booking_id`; the kit's
    `run_idempotent(lock=...)` takes it with its look-up instead)."""
    return f"scheduling.booking_id:{entry_id}"


async def lock_booking_id(uow: UnitOfWork, entry_id: str) -> None:
    """On PostgreSQL a transaction-scoped advisory lock on the id: a concurrent claim of it
    waits for this transaction's end, then sees what it wrote. SQLite's BEGIN IMMEDIATE already
    serializes the writers: nothing is run there."""
    if uow.db.is_sqlite:
        return
    await uow.session.execute(_LOCK_ID, {"lock": booking_id_lock(entry_id)})


async def booking_id_used(uow: UnitOfWork, entry_id: str) -> bool:
    """Some session or appointment has this id (one statement)."""
    used = await uow.session.scalar(_ID_USED, {"entry_id": entry_id})
    return used is not None
