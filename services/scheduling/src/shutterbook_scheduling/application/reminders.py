"""Session reminders: when a session's reminder time has come, `scheduling.session.reminder_due`
is emitted exactly once, across restarts and replicas.

A claim marks the due rows (`reminder_emitted_at`) and writes their events in one
transaction: on PostgreSQL the rows are selected FOR UPDATE SKIP LOCKED, so replicas take
disjoint rows; on SQLite the write transaction is BEGIN IMMEDIATE, so claims are serialized.
A crash before the commit leaves the rows unclaimed; after it, the events are in the outbox.
The event is built at the API edge (`announce`, api/entry_convert.announce_entry).
"""

from __future__ import annotations

import logging

from shutterbook_kit.db import Database
from shutterbook_kit.periodic import PeriodicWorker
from shutterbook_kit.schema import utcnow
from shutterbook_kit.uow import UnitOfWork
from shutterbook_scheduling.application.entries import Announce
from shutterbook_scheduling.domain.entries import SessionEvent, SessionShown
from shutterbook_scheduling.storage import entry_records, setup_records
from shutterbook_scheduling.storage.reminder_claims import due_reminders, type_and_status

log = logging.getLogger(__name__)


async def emit_due_reminders(db: Database, announce: Announce, *, batch_size: int = 100) -> int:
    """Claim due reminders and emit their events; returns how many were emitted."""
    now = utcnow()
    async with UnitOfWork(db, source="scheduling") as uow:
        rows = await due_reminders(uow, now, batch_size)
        for row in rows:
            row.reminder_emitted_at = now
            session = entry_records.session_of(row)
            type_row, status_row = await type_and_status(uow, row)
            booking_type = setup_records.read_type(type_row) if type_row is not None else None
            status = setup_records.read_status(status_row) if status_row is not None else None
            announce(uow, row.company_id, SessionEvent("reminder_due", SessionShown(session, booking_type, status)))
        await uow.commit()
    return len(rows)


class ReminderWorker(PeriodicWorker):
    """Claims the due reminders every `interval` seconds until stopped."""

    def __init__(self, db: Database, announce: Announce, *, interval: float = 5.0) -> None:
        super().__init__(name="reminders", interval=interval)
        self.db = db
        self.announce = announce
        self.emitted = 0
        self.rounds = 0  # completed claim rounds (tests wait on it instead of on the clock)

    async def run_once(self) -> bool:
        self.emitted += await emit_due_reminders(self.db, self.announce)
        self.rounds += 1
        return False
