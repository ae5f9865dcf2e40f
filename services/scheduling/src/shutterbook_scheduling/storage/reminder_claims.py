"""Claiming due session reminders (application/reminders.py): the due rows, locked so replicas
take disjoint ones (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write transaction), and the
type and status each one's event names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.storage.models import BookingTypeRow, SessionRow, SessionStatusRow


async def due_reminders(uow: UnitOfWork, now: datetime, limit: int) -> list[SessionRow]:
    """Sessions whose reminder time has come and was not emitted, earliest first: not over,
    cancelled or on hold."""
    rows = await uow.session.scalars(
        select(SessionRow)
        .where(
            SessionRow.reminder_emitted_at.is_(None),
            SessionRow.reminder_at.is_not(None),
            SessionRow.reminder_at <= now,
            SessionRow.end_at > now,  # a session already over needs no reminder
            SessionRow.cancelled.is_(False),
            SessionRow.on_hold.is_(False),
        )
        .order_by(SessionRow.reminder_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows.all())


async def type_and_status(uow: UnitOfWork, row: SessionRow) -> tuple[BookingTypeRow | None, SessionStatusRow | None]:
    return await uow.session.get(BookingTypeRow, row.type_id), await uow.session.get(SessionStatusRow, row.status_id)
