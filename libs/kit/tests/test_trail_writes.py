"""A unit of work's audit entries, outbox rows and kept answers (idempotency records) are written
at its commit, together with the change or not at all: on PostgreSQL in one statement (the
entries' and answers' INSERTs data-modifying CTEs of the outbox's), on SQLite one INSERT each."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import struct_pb2
from sqlalchemy import event, select
from uow_support import kit_database

from shutterbook_devstack.testing import DatabaseFactory, round_trips
from shutterbook_kit.db import Database
from shutterbook_kit.errors import InvalidArgument
from shutterbook_kit.events import EventType
from shutterbook_kit.idempotency import run_idempotent
from shutterbook_kit.schema import AuditEntryRow, OutboxMessage
from shutterbook_kit.uow import UnitOfWork

NOTED = EventType("kit.note.noted", struct_pb2.Struct)
COMPANY = "acme"


async def _written(db: Database) -> tuple[list[tuple[str, str, dict[str, object]]], list[str]]:
    """The audit entries (record, action, changes) in the order written, and the outbox rows'
    subjects in `seq` order."""
    async with UnitOfWork(db, readonly=True) as uow:
        entries = (
            await uow.session.execute(
                select(AuditEntryRow.record, AuditEntryRow.action, AuditEntryRow.changes).order_by(AuditEntryRow.seq)
            )
        ).all()
        subjects = (await uow.session.scalars(select(OutboxMessage.subject).order_by(OutboxMessage.seq))).all()
    return [(record, action, changes) for record, action, changes in entries], list(subjects)


def _inserts(statements: list[str]) -> list[str]:
    return [s for s in statements if "INSERT" in s.upper()]


async def test_entries_and_events_are_written_at_commit_together(databases: DatabaseFactory) -> None:
    db = await kit_database(databases)
    try:
        async with UnitOfWork(db, source="kit") as uow:
            uow.audit(COMPANY, "notes/1", "created", after={"body": "hello"})
            uow.audit(COMPANY, "notes/2", "deleted", before={"body": "bye"})
            uow.emit(NOTED, COMPANY, struct_pb2.Struct())
            uow.emit(NOTED, COMPANY, struct_pb2.Struct())
            async with round_trips(db) as seen:
                await uow.commit()
        inserts = _inserts(seen.statements)
        if databases.backend == "sqlite":
            assert len(inserts) == 2
        else:
            assert len(inserts) == 1
            assert "audit_entries" in inserts[0]
            assert "outbox_messages" in inserts[0]
        entries, subjects = await _written(db)
        assert entries == [
            ("notes/1", "created", {"body": {"after": "hello"}}),
            ("notes/2", "deleted", {"body": {"before": "bye"}}),
        ]
        assert subjects == [NOTED.subject, NOTED.subject]

        async with UnitOfWork(db, source="kit") as uow:  # entries alone: one INSERT
            uow.audit(COMPANY, "notes/3", "updated", changes={"pinned": {"after": True}})
            async with round_trips(db) as seen:
                await uow.commit()
        assert len(_inserts(seen.statements)) == 1
        entries, subjects = await _written(db)
        assert entries[-1] == ("notes/3", "updated", {"pinned": {"after": True}})
        assert len(subjects) == 2
    finally:
        await db.dispose()


async def test_nothing_is_written_without_the_commit(databases: DatabaseFactory) -> None:
    db = await kit_database(databases)
    try:
        async with UnitOfWork(db, source="kit") as uow:  # left without its commit: rolled back
            uow.audit(COMPANY, "notes/1", "created", after={"body": "hello"})
            uow.emit(NOTED, COMPANY, struct_pb2.Struct())
        assert await _written(db) == ([], [])
        async with UnitOfWork(db, source="kit") as uow:  # the next one writes only its own
            uow.audit(COMPANY, "notes/2", "created", after={"body": "again"})
            await uow.commit()
        entries, subjects = await _written(db)
        assert [record for record, _action, _changes in entries] == ["notes/2"]
        assert subjects == []
    finally:
        await db.dispose()


async def test_a_bulk_change_writes_thousands_of_entries_with_its_event(databases: DatabaseFactory) -> None:
    """More entries than one statement's parameters allow (asyncpg: 32,767; 8 an entry) with an
    event: written, all of them (the two INSERTs, in SQLAlchemy's pages)."""
    db = await kit_database(databases)
    try:
        async with UnitOfWork(db, source="kit") as uow:
            for n in range(4_200):
                uow.audit(COMPANY, f"slots/{n}", "created", after={"n": n})
            uow.emit(NOTED, COMPANY, struct_pb2.Struct())
            await uow.commit()
        entries, subjects = await _written(db)
        assert len(entries) == 4_200
        assert entries[-1] == ("slots/4199", "created", {"n": {"after": 4199}})
        assert subjects == [NOTED.subject]
    finally:
        await db.dispose()


async def test_the_one_statement_is_compiled_once_per_shape(databases: DatabaseFactory) -> None:
    """PostgreSQL: the entries' and events' one statement is in SQLAlchemy's compiled cache from
    its second use on (a multi-row `insert().values([...])` has no cache key: it was compiled at
    every commit)."""
    if databases.backend == "sqlite":
        pytest.skip("SQLite writes the two INSERTs, cached like any statement")
    db = await kit_database(databases)
    cached: list[str] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        if "audit_rows" in statement:
            cached.append(context.cache_hit.name)

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_statement)
    try:
        for n in range(3):
            async with UnitOfWork(db, source="kit") as uow:
                uow.audit(COMPANY, f"notes/{n}", "created", after={"body": n})
                uow.emit(NOTED, COMPANY, struct_pb2.Struct())
                await uow.commit()
        assert cached[1:] == ["CACHE_HIT", "CACHE_HIT"], cached
        entries, subjects = await _written(db)
        assert [record for record, _action, _changes in entries] == ["notes/0", "notes/1", "notes/2"]
        assert subjects == [NOTED.subject] * 3
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", on_statement)
        await db.dispose()


async def test_an_idempotent_call_s_answer_is_kept_with_its_trail(databases: DatabaseFactory) -> None:
    """`run_idempotent`'s record (the answer a retry gets) is inserted at the commit with the
    entries and events: on PostgreSQL in their one statement; a retry of the request is answered
    from it, and another request under its id refused."""
    db = await kit_database(databases)
    try:
        request = struct_pb2.Struct()
        request.update({"body": "hello", "request_id": "req-00000001"})

        async def work(uow: UnitOfWork) -> struct_pb2.Struct:
            uow.audit(COMPANY, "notes/1", "created", after={"body": "hello"})
            uow.emit(NOTED, COMPANY, struct_pb2.Struct())
            answer = struct_pb2.Struct()
            answer.update({"made": "notes/1"})
            return answer

        async def call(body: struct_pb2.Struct) -> struct_pb2.Struct:
            return await run_idempotent(
                db,
                company_id=COMPANY,
                scope="Note",
                request=body,
                request_id="req-00000001",
                response_type=struct_pb2.Struct,
                work=work,
            )

        async with round_trips(db) as seen:
            first = await call(request)
        inserts = _inserts(seen.statements)
        if databases.backend == "sqlite":
            assert len(inserts) == 3  # the entry, the answer, the event
        else:
            [one] = inserts
            assert all(table in one for table in ("audit_entries", "idempotency_records", "outbox_messages"))
        async with round_trips(db) as again:
            assert await call(request) == first  # replayed: nothing written
        assert _inserts(again.statements) == []
        assert (await _written(db))[1] == [NOTED.subject]
        other = struct_pb2.Struct()
        other.update({"body": "other"})
        with pytest.raises(InvalidArgument):
            await call(other)
    finally:
        await db.dispose()
