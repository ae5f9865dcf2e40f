"""A change and its events' outbox rows as one autocommit statement (kit `write_in_one`,
PostgreSQL): the rows are written exactly when the change's `effect` returns a row, the relay
is woken and the commit listeners told then; an effect that finds nothing writes no event."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2
from sqlalchemy import select
from uow_support import kit_database

from shutterbook_devstack.testing import DatabaseFactory, round_trips
from shutterbook_kit.db import Database
from shutterbook_kit.events import EventType
from shutterbook_kit.schema import AuditEntryRow, OutboxMessage
from shutterbook_kit.uow import UnitOfWork, outbox_values, write_in_one

NOTED = EventType("kit.note.noted", struct_pb2.Struct)
COMPANY = "acme"
# the change: an audit entry's action renamed (any row of the kit's tables will do)
RENAMED = "effect AS (UPDATE audit_entries SET action = :action WHERE record = :record RETURNING id)"


async def _state(db: Database) -> tuple[list[str], list[str]]:
    async with UnitOfWork(db, readonly=True) as uow:
        actions = (await uow.session.scalars(select(AuditEntryRow.action).order_by(AuditEntryRow.seq))).all()
        subjects = (await uow.session.scalars(select(OutboxMessage.subject).order_by(OutboxMessage.seq))).all()
    return list(actions), list(subjects)


async def test_the_change_and_its_events_in_one_statement(databases: DatabaseFactory) -> None:
    if databases.backend == "sqlite":
        pytest.skip("SQLite writes in a unit of work (its writers are serialized by BEGIN IMMEDIATE)")
    db = await kit_database(databases)
    told: list[frozenset[str]] = []
    db.commit_listeners.append(told.append)
    try:
        async with UnitOfWork(db, source="kit") as uow:
            uow.audit(COMPANY, "notes/1", "created", after={"body": "hello"})
            await uow.commit()
        told.clear()
        db.outbox_written.clear()
        events = [outbox_values(NOTED, COMPANY, struct_pb2.Struct(), "kit") for _ in range(2)]
        async with round_trips(db) as seen:
            done = await write_in_one(
                db,
                RENAMED,
                {"action": "renamed", "record": "notes/1"},
                types={},
                events=events,
                companies=frozenset({COMPANY}),
            )
        assert done
        assert len(seen.statements) == 1  # one statement,
        assert seen.transaction_control == []  # in autocommit
        assert await _state(db) == (["renamed"], [NOTED.subject, NOTED.subject])
        async with UnitOfWork(db, readonly=True) as uow:  # the rows as `outbox_values` made them
            stored = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq))).all()
            assert [(r.event_id, r.payload, r.headers, r.attempts, r.created_at) for r in stored] == [
                (e["event_id"], e["payload"], e["headers"], 0, e["created_at"]) for e in events
            ]
        assert db.outbox_written.is_set()
        assert told == [frozenset({COMPANY})]

        # an effect that finds nothing: no event written, nobody told
        db.outbox_written.clear()
        missing = [outbox_values(NOTED, COMPANY, struct_pb2.Struct(), "kit")]
        done = await write_in_one(
            db,
            RENAMED,
            {"action": "gone", "record": "notes/404"},
            types={},
            events=missing,
            companies=frozenset({COMPANY}),
        )
        assert not done
        assert await _state(db) == (["renamed"], [NOTED.subject, NOTED.subject])
        assert not db.outbox_written.is_set()
        assert told == [frozenset({COMPANY})]
    finally:
        await db.dispose()
