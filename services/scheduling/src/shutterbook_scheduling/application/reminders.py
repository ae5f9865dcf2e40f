"""Session reminders: when a session's reminder time has come, `scheduling.session.reminder_due`
is emitted exactly once, across restarts and replicas.

A claim marks the due rows (`reminder_emitted_at`) and writes their events in one
transaction: on PostgreSQL the rows are selected FOR UPDATE SKIP LOCKED, so replicas take
disjoint rows; on SQLite the write transaction is BEGIN IMMEDIATE, so claims are serialized.
A crash before the commit leaves the rows unclaimed; after it, the events are in the outbox.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from shutterbook.scheduling.v1 import events_pb2 as ev
from shutterbook_kit.db import Database
from shutterbook_kit.periodic import PeriodicWorker
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling import events
from shutterbook_scheduling.application.bookings import session_snapshot
from shutterbook_scheduling.storage import records
from shutterbook_scheduling.storage.models import BookingTypeRow, SessionRow, SessionStatusRow

log = logging.getLogger(__name__)


async def emit_due_reminders(db: Database, *, batch_size: int = 100) -> int:
    """Claim due reminders and emit their events; returns how many were emitted."""
    now = utcnow()
    async with UnitOfWork(db, source="scheduling") as uow:
        rows = list(
            (
                await uow.session.scalars(
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
                    .limit(batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        for row in rows:
            row.reminder_emitted_at = now
            msg = records.session_message(row)
            type_row = await uow.session.get(BookingTypeRow, row.type_id)
            status_row = await uow.session.get(SessionStatusRow, row.status_id)
            type_msg = records.type_message(type_row) if type_row is not None else None
            status = records.status_message(status_row) if status_row is not None else None
            uow.emit(
                events.SESSION_REMINDER_DUE,
                row.company_id,
                ev.SessionReminderDueEvent(
                    session=session_snapshot(msg, type_msg, status), reminder_minutes=msg.reminder_minutes
                ),
            )
        await uow.commit()
    return len(rows)


class ReminderWorker(PeriodicWorker):
    """Claims the due reminders every `interval` seconds until stopped."""

    def __init__(self, db: Database, *, interval: float = 5.0) -> None:
        super().__init__(name="reminders", interval=interval)
        self.db = db
        self.emitted = 0
        self.rounds = 0  # completed claim rounds (tests wait on it instead of on the clock)

    async def run_once(self) -> bool:
        self.emitted += await emit_due_reminders(self.db)
        self.rounds += 1
        return False
