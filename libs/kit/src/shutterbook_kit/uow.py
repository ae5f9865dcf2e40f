"""The unit of work: one transaction, rolled back unless committed, in which a change, the
events describing it (the outbox) and its audit entries are written together."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from sqlalchemy import ClauseElement, bindparam, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import class_mapper

from shutterbook.common.v1 import events_pb2
from shutterbook_kit import audit as audit_trail
from shutterbook_kit import tenancy
from shutterbook_kit.db import READONLY, WRITE_GATE_TIMEOUT_SECONDS, Database
from shutterbook_kit.events import EventType
from shutterbook_kit.outbox_handoff import Handed, OutboxHandoff
from shutterbook_kit.schema import AuditEntryRow, IdempotencyRecord, KitBase, OutboxMessage, utcnow
from shutterbook_kit.telemetry import inject_headers

M = TypeVar("M", bound=Message)

log = logging.getLogger(__name__)


class _PostgresDoNothing(postgresql.dml.OnConflictDoNothing):
    """`ON CONFLICT DO NOTHING` without a target: one text, so its class alone is its cache key."""

    inherit_cache = True
    _traverse_internals: list[Any] = []  # nothing in it varies


class _SqliteDoNothing(sqlite.dml.OnConflictDoNothing):
    inherit_cache = True
    _traverse_internals: list[Any] = []


class _PostgresInsertMissing(postgresql.Insert):
    """The dialect's `INSERT` as `insert_missing` uses it, in SQLAlchemy's compiled cache (the
    dialect's own classes stay out of it, `inherit_cache = False`: a conflict clause with a
    target or a SET is not in their cache key). Here the clause is always `_PostgresDoNothing`,
    so the table and the columns given tell two statements apart, as the key does."""

    inherit_cache = True

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self._post_values_clause = _PostgresDoNothing()


class _SqliteInsertMissing(sqlite.Insert):
    """`_PostgresInsertMissing` for SQLite."""

    inherit_cache = True

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self._post_values_clause = _SqliteDoNothing()


_WRITING = {READONLY: False}
_OUTBOX = KitBase.metadata.tables[OutboxMessage.__tablename__]
_AUDIT = KitBase.metadata.tables[AuditEntryRow.__tablename__]
_ANSWERS = KitBase.metadata.tables[IdempotencyRecord.__tablename__]
_OUTBOX_INSERT = insert(_OUTBOX)
_AUDIT_INSERT = insert(_AUDIT)
_ANSWER_INSERT = insert(_ANSWERS)
# `_write_trail`'s statements on PostgreSQL by their rows' counts and columns, built once each;
# only for a change of a few rows (a bulk change, thousands of audit entries, takes the two
# INSERTs SQLAlchemy sends in pages: one statement's parameters are bounded, 32,767 in asyncpg)
_TRAIL_ROWS_IN_ONE = 16
_TRAIL_INSERTS: dict[_Shape, Any] = {}
# `write_in_one`'s statements by their CTEs' text, events' count and columns, typed parameters
_IN_ONE: dict[tuple[str, _Shape, tuple[tuple[str, str], ...]], Any] = {}
# `insert_missing`'s statements by (dialect's class, model, columns), built once each
_INSERTS_MISSING: dict[tuple[type[Any], type[Any], tuple[str, ...]], Any] = {}


class UnitOfWork:
    """`async with UnitOfWork(db) as uow: ...; await uow.commit()`.

    Leaving the block without `commit()` (an exception, an early return) rolls back, so a
    failed request never leaves a half-written record. On SQLite the transaction is opened
    with BEGIN IMMEDIATE unless `readonly`, which serializes writers. A `readonly` one reads
    only: on PostgreSQL it runs in autocommit, without BEGIN and ROLLBACK (see
    `db._PG_READONLY_OPTIONS`), so it refuses the writes of the unit of work (a flush,
    `commit`, `emit`, `audit`). A Core INSERT/UPDATE/DELETE executed in it is not checked
    (checking every statement would cost every statement): on PostgreSQL it would commit at
    once, so a read-only unit runs reads only.

    After a writing unit of work commits, `db.commit_listeners` hear the companies it named:
    those of its events (`emit`), of its audit entries (`audit`), of `touches`, and the company
    of the call (or background job) it ran in (`tenancy.current_company()`). A unit of work that
    names none (the relay marking what it published, a worker taking a lease) is heard with an
    empty set.
    """

    def __init__(self, db: Database, *, source: str = "", readonly: bool = False) -> None:
        self.db = db
        self.source = source
        self.readonly = readonly
        self._session: AsyncSession | None = None
        self._wrote_events = False
        # the events' outbox rows, inserted at commit: one INSERT for all of them, a Core one
        # (no ORM objects to track and flush, no RETURNING of their keys: nothing reads them back)
        self._outbox: list[dict[str, Any]] = []
        # the audit entries' rows, inserted at commit the same way (with the outbox rows in one
        # statement on PostgreSQL: `_write_trail`)
        self._audit: list[dict[str, Any]] = []
        # the idempotency records (kit idempotency: a request's stored answer), the same way
        self._answers: list[dict[str, Any]] = []
        self._gate: asyncio.Lock | None = None
        self._companies: set[str] = set()
        # Reference reads memoized for this transaction (a type, a location read three times
        # by one booking), when the caller turns it on with a dict: only for work that does
        # not change what it memoizes.
        self.memo: dict[Hashable, Any] | None = None
        self._after_commit: list[Callable[[], None]] = []
        # the outbox rows written, passed on at commit (`_pass_on`): with the relay they were
        # claimed for (None: not handed over)
        self._written: tuple[OutboxHandoff | None, list[Handed]] | None = None

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit of work has committed (not if it does not): what this
        process keeps in memory about the rows it changed is dropped then, after the commit,
        so that a concurrent reader cannot put the old rows back (a reader that loaded them
        before checks its generation after, `open_slot_answers`-style). Its failure is logged,
        the commit stands."""
        self._after_commit.append(callback)

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work not entered")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        gate = None if self.readonly else self.db.write_gate
        if gate is not None:  # SQLite: writers of this process in arrival order (see db.py)
            me = asyncio.current_task()
            if gate.locked() and self.db.write_gate_owner is me:  # it would wait on itself for ever
                raise RuntimeError("a writing unit of work opened inside another one of the same task")
            # no longer than SQLite's own busy timeout would have let it wait for the lock
            await asyncio.wait_for(gate.acquire(), WRITE_GATE_TIMEOUT_SECONDS)
            self._gate = gate
            self.db.write_gate_owner = me
        try:
            self._session = session = self.db.sessions()
            if self.readonly:
                sync = session.sync_session
                sync.info[READONLY] = True  # KitSession refuses to flush it
                sync.autoflush = False  # a query does not try to flush (and fail on) what was added
                await session.connection(execution_options=self.db.readonly_options)
            else:
                await session.connection(execution_options=_WRITING)
        except BaseException:
            await self._leave()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._leave()

    async def _leave(self) -> None:
        # close() rolls back whatever was not committed, and (unlike rollback()) leaves the
        # rows already loaded readable, so a read-only unit of work can return them.
        try:
            if self._session is not None:
                await self._session.close()
        finally:
            self._session = None
            self._outbox = []
            self._audit = []
            self._answers = []
            self._after_commit = []
            self._written = None
            if self._gate is not None:
                self.db.write_gate_owner = None
                self._gate.release()
                self._gate = None

    def emit(self, event_type: EventType[M], company_id: str, event: M) -> str:
        """Record an event to publish once this unit of work commits. Returns its event id.

        `event_type` comes from the service's `events.py` (subject and payload declared
        once); a payload of another type is refused."""
        if self.readonly:
            raise RuntimeError("a read-only unit of work cannot emit events")
        if self._session is None:
            raise RuntimeError("unit of work not entered")
        if not isinstance(event, event_type.payload_type):
            raise TypeError(f"{event_type.subject} carries {event_type.payload_type.__name__}")
        row = outbox_values(event_type, company_id, event, self.source)
        self._outbox.append(row)
        self._wrote_events = True
        self._companies.add(company_id)
        return str(row["event_id"])

    def audit(
        self,
        company_id: str,
        record: str,
        action: str,
        *,
        before: audit_trail.Snapshot = None,
        after: audit_trail.Snapshot = None,
        changes: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Record who changed `record` (its resource name) how (`action`: created, updated,
        deleted, merged, voided, paid, refunded, ...), in this transaction: it is written
        exactly when the change commits. The fields kept are the difference of the `before`
        and `after` snapshots (dicts or protobuf messages), and `changes` beside them
        (`{"payment": {"after": "payments/..."}}`: what the snapshots do not show)."""
        if self.readonly:
            raise RuntimeError("a read-only unit of work cannot change records")
        if self._session is None:
            raise RuntimeError("unit of work not entered")
        self._companies.add(company_id)
        fields = {**audit_trail.diff(before, after), **(changes or {})}
        self._audit.append(audit_trail.entry_values(company_id, record, action, fields, service=self.source))

    def keep_answer(self, values: Mapping[str, Any]) -> None:
        """An idempotency record's columns (kit idempotency: a request's answer, for its
        retries), inserted at commit with the audit entries and outbox rows (on PostgreSQL in
        their one statement); a twin's record, committed first, fails the commit on its key."""
        if self.readonly:
            raise RuntimeError("a read-only unit of work cannot keep an answer")
        self._answers.append(dict(values))

    async def insert_missing(self, model: type[Any], values: Mapping[str, Any]) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING: the row keyed by `values` exists afterwards, made by
        this unit of work or by a concurrent one (which this waits for on PostgreSQL). Lock it
        next to change it: two first writers then queue on the row instead of one of them
        failing on the primary key. True when this statement inserted it (with `values`)."""
        insert = _SqliteInsertMissing if self.db.is_sqlite else _PostgresInsertMissing
        if any(isinstance(value, ClauseElement) for value in values.values()):
            result = await self.session.execute(insert(model).values(**values))
        else:  # the statement built once per table and columns, the values its parameters
            key = (insert, model, tuple(sorted(values)))
            statement = _INSERTS_MISSING.get(key)
            if statement is None:
                # on the table (a Core INSERT: the ORM would take a statement with parameters
                # for a bulk one), attributes as their columns; parameters not named as columns
                # (SQLAlchemy reserves those)
                mapper = class_mapper(model)
                columns: dict[str, Any] = {mapper.attrs[name].columns[0].key: bindparam(f"v_{name}") for name in key[2]}
                statement = insert(model.__table__).values(columns)
                _INSERTS_MISSING[key] = statement
            await self.session.flush()  # as the ORM statement's autoflush did: pending rows first
            result = await self.session.execute(statement, {f"v_{name}": value for name, value in values.items()})
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def _write_trail(self) -> None:
        """The audit entries, the kept answers and the outbox rows (in the order emitted: the
        relay publishes by `seq`): on PostgreSQL, when there are events and a few rows in all,
        one statement (the entries' and answers' INSERTs data-modifying CTEs of the outbox's),
        the outbox rows claimed for the process's relay and handed to it at commit
        (outbox_handoff.py); else one INSERT each."""
        events, self._outbox = self._outbox, []
        entries, self._audit = self._audit, []
        answers, self._answers = self._answers, []
        if events and len(events) + len(entries) + len(answers) <= _TRAIL_ROWS_IN_ONE and not self.db.is_sqlite:
            handoff = _claiming_for(self.db, events)
            params = _row_params("e", events) | _row_params("a", entries) | _row_params("k", answers)
            made = (await self.session.execute(_trail_insert(_Shape.of(events, entries, answers)), params)).all()
            rows = _handed_rows(events, [(int(r.seq), str(r.event_id)) for r in made]) if handoff is not None else []
            self._written = (handoff, rows)
            return
        if entries:
            await self.session.execute(_AUDIT_INSERT, entries)
        if answers:
            await self.session.execute(_ANSWER_INSERT, answers)
        if events:
            await self.session.execute(_OUTBOX_INSERT, events)
            self._written = (None, [])

    def touches(self, company_id: str) -> None:
        """Name a company this unit of work changes, for the commit listeners, when neither an
        event, an audit entry nor the call's context names it (a background job's write)."""
        self._companies.add(company_id)

    async def commit(self) -> None:
        if self.readonly:  # on PostgreSQL its statements ran in autocommit: nothing to commit
            raise RuntimeError("a read-only unit of work cannot commit")
        if self._outbox or self._audit or self._answers:
            # the change's own rows first (no statement more: commit would flush them anyway),
            # so the outbox `seq` is drawn after the change's row locks are held, and two
            # transactions changing one aggregate publish in the order they commit
            await self.session.flush()
            await self._write_trail()
        await self.session.commit()
        if self._written is not None:
            written, self._written = self._written, None
            _pass_on(self.db, *written)
        if self._wrote_events:
            self.db.outbox_written.set()
            self._wrote_events = False
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # the change is committed: a callback's failure must not undo the answer
                log.exception("after-commit callback failed")
        companies, self._companies = frozenset(self._companies), set()
        _tell_listeners(self.db, companies)


def outbox_values(event_type: EventType[M], company_id: str, event: M, source: str) -> dict[str, Any]:
    """An event's outbox row (its envelope, the producing request's trace headers): what
    `UnitOfWork.emit` records, and `write_in_one` inserts."""
    event_id = str(uuid.uuid4())
    envelope = events_pb2.EventEnvelope(
        event_id=event_id,
        subject=event_type.subject,
        company_id=company_id,
        occur_time=timestamp_pb2.Timestamp(),
        source=source,
    )
    envelope.occur_time.FromDatetime(utcnow())
    envelope.payload.Pack(event)
    headers: dict[str, str] = {}
    inject_headers(headers)  # the producing request's trace continues in the relay and consumers
    return {
        "event_id": event_id,
        "subject": event_type.subject,
        "company_id": company_id,
        "payload": envelope.SerializeToString(deterministic=True),
        "headers": headers,
        "created_at": utcnow(),
        "attempts": 0,
    }


async def write_in_one(
    db: Database,
    ctes: str,
    params: Mapping[str, Any],
    *,
    types: Mapping[str, Any],
    events: list[dict[str, Any]],
    companies: frozenset[str],
    audits: list[dict[str, Any]] | None = None,
) -> bool:
    """PostgreSQL: a change and its events' outbox rows as one autocommit statement (no BEGIN,
    no COMMIT: one round trip where a unit of work takes one per statement and two more).
    `ctes`: the change as common table expressions, one of them `effect AS (...)` returning a
    row when the change is made (the others may use it); `events`: `outbox_values` rows, and
    `audits`: `audit.entry_values` rows, inserted only when `effect` returned one. True when
    it did; then the relay is woken and the commit listeners told of `companies`, as a unit of
    work's commit does. False: nothing the statement's CTEs made conditional on `effect` was
    written, and the caller takes its unit of work. The statement is text built once per shape
    (`types`: parameters needing a type), so SQLAlchemy caches its compiled form: `ctes` is a
    constant of the caller (values go in `params`; a literal `:` is escaped, as in any
    `text()`); at most 16 events and entries."""
    audits = audits or []
    if db.is_sqlite:
        raise RuntimeError("one-statement writes are for PostgreSQL: on SQLite write in a UnitOfWork")
    if len(events) + len(audits) > _TRAIL_ROWS_IN_ONE:  # a statement's parameters are bounded (32,767 in asyncpg)
        raise ValueError(f"at most {_TRAIL_ROWS_IN_ONE} events and entries in one statement: use a UnitOfWork")
    handoff = _claiming_for(db, events)
    shape = _Shape.of(events, audits, [])
    statement = _in_one(ctes, shape, tuple(sorted(types.items(), key=lambda kv: kv[0])))
    values = dict(params) | _row_params("o", events) | _row_params("a", audits)
    async with db.autocommit() as conn:
        made = (await conn.execute(statement, values)).one()
    done = bool(made[0])
    if done:
        if events:
            rows = _handed_rows(events, list(zip(made[1], made[2], strict=True))) if handoff is not None else []
            _pass_on(db, handoff, rows)
            db.outbox_written.set()
        _tell_listeners(db, companies)
    return done


def _claiming_for(db: Database, events: list[dict[str, Any]]) -> OutboxHandoff | None:
    """The process's relay, when it takes rows now, with `events` (outbox rows) claimed for it
    as its claim would (outbox_handoff.py); None: they wait for a claim."""
    handoff = db.outbox_handoff
    if handoff is None or not events or not handoff.accepting():
        return None
    until = utcnow() + handoff.lease
    for row in events:
        row["claimed_by"] = handoff.relay_id
        row["claimed_until"] = until
    return handoff


def _pass_on(db: Database, handoff: OutboxHandoff | None, rows: list[Handed]) -> None:
    """Committed outbox rows: handed to the relay they were claimed for; else (not handed over)
    the process's relay claims next, so that they go out in `seq` order with what is handed
    after them."""
    if handoff is not None:
        handoff.take(rows)
    elif db.outbox_handoff is not None:
        db.outbox_handoff.claim_soon()


def _handed_rows(events: list[dict[str, Any]], made: list[tuple[int, str]]) -> list[Handed]:
    """The rows written from `events`, by the `(seq, event_id)` their INSERT returned, in `seq` order."""
    by_id = {str(row["event_id"]): row for row in events}
    return [
        Handed(
            seq=seq,
            event_id=event_id,
            subject=by_id[event_id]["subject"],
            company_id=by_id[event_id]["company_id"],
            payload=by_id[event_id]["payload"],
            headers=by_id[event_id]["headers"],
        )
        for seq, event_id in sorted(made)
    ]


def _tell_listeners(db: Database, companies: frozenset[str]) -> None:
    """A write committed: `db.commit_listeners` hear the companies it named and the call's
    (or background job's) own."""
    if not db.commit_listeners:
        return
    company = tenancy.current_company()
    db.committed(companies | {company} if company else companies)


def _row_params(prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows' values as the parameters `{prefix}{i}_{column}` of a statement built per shape."""
    return {f"{prefix}{i}_{key}": value for i, row in enumerate(rows) for key, value in row.items()}


def _typed_rows(table: Any, prefix: str, count: int, columns: tuple[str, ...]) -> list[Any]:
    """`_row_params`' parameters, typed by `table`'s columns."""
    return [bindparam(f"{prefix}{i}_{c}", type_=table.c[c].type) for i in range(count) for c in columns]


def _names(table: Any, columns: tuple[str, ...]) -> str:
    """The columns (by key) as `table` names them, quoted: an INSERT's column list."""
    return ", ".join(f'"{table.c[c].name}"' for c in columns)


@dataclass(frozen=True)
class _Shape:
    """What one statement inserts (`_write_trail`'s, `write_in_one`'s): how many events, audit
    entries and kept answers, and their columns."""

    events: int
    event_columns: tuple[str, ...]
    entries: int
    entry_columns: tuple[str, ...]
    answers: int = 0
    answer_columns: tuple[str, ...] = ()

    @classmethod
    def of(cls, events: list[dict[str, Any]], entries: list[dict[str, Any]], answers: list[dict[str, Any]]) -> _Shape:
        def columns(rows: list[dict[str, Any]]) -> tuple[str, ...]:
            return tuple(rows[0]) if rows else ()

        return cls(len(events), columns(events), len(entries), columns(entries), len(answers), columns(answers))


def _with_effect(prefix: str, count: int, columns: tuple[str, ...]) -> str:
    """`count` rows of parameters `{prefix}{i}_{column}`, each selected only when `effect` returned one."""
    return " UNION ALL ".join(
        "SELECT " + ", ".join(f":{prefix}{i}_{c}" for c in columns) + " WHERE EXISTS (SELECT 1 FROM effect)"
        for i in range(count)
    )


def _in_one(ctes: str, shape: _Shape, types: tuple[tuple[str, Any], ...]) -> Any:
    key = (ctes, shape, tuple((name, repr(type_)) for name, type_ in types))
    statement = _IN_ONE.get(key)
    if statement is None:
        typed = [bindparam(name, type_=type_) for name, type_ in types]
        rows = ""
        if shape.entries:
            columns = shape.entry_columns
            rows += (
                f', audit_rows AS (INSERT INTO "{_AUDIT.name}" ({_names(_AUDIT, columns)})'
                f" {_with_effect('a', shape.entries, columns)})"
            )
            typed += _typed_rows(_AUDIT, "a", shape.entries, columns)
        events, columns = shape.events, shape.event_columns
        if events:
            rows += (
                f', outbox_rows AS (INSERT INTO "{_OUTBOX.name}" ({_names(_OUTBOX, columns)})'
                f" {_with_effect('o', events, columns)} RETURNING seq, event_id)"
            )
            typed += _typed_rows(_OUTBOX, "o", events, columns)
            # the rows written, for the relay they were claimed for (outbox_handoff.py)
            made = (
                ", ARRAY(SELECT seq FROM outbox_rows ORDER BY seq),"
                " ARRAY(SELECT event_id FROM outbox_rows ORDER BY seq)"
            )
        else:
            made = ""
        statement = text(f"WITH {ctes}{rows} SELECT (SELECT count(*) FROM effect){made}").bindparams(*typed)
        _IN_ONE[key] = statement
    return statement


def _trail_insert(shape: _Shape) -> Any:
    """The outbox's INSERT of `shape.events` rows, returning each one's `seq` and `event_id`, with
    the audit entries' and the kept answers' INSERTs (if any) as its data-modifying CTEs, built
    once per shape (its values bound parameters `e{i}_{column}`, `a{i}_{column}`,
    `k{i}_{column}`, typed by their columns). Text: SQLAlchemy cannot cache a multi-row
    `insert().values([...])` (no cache key: it compiled this statement on every commit, about
    half a millisecond), while a text's compiled form is cached like any statement's."""
    statement = _TRAIL_INSERTS.get(shape)
    if statement is None:

        def rows(prefix: str, count: int, columns: tuple[str, ...]) -> str:
            return ", ".join("(" + ", ".join(f":{prefix}{i}_{c}" for c in columns) + ")" for i in range(count))

        ctes = [
            f'{name} AS (INSERT INTO "{table.name}" ({_names(table, columns)}) VALUES {rows(prefix, count, columns)})'
            for name, table, prefix, count, columns in (
                ("audit_rows", _AUDIT, "a", shape.entries, shape.entry_columns),
                ("answer_rows", _ANSWERS, "k", shape.answers, shape.answer_columns),
            )
            if count
        ]
        statement = text(
            ("WITH " + ", ".join(ctes) + " " if ctes else "")
            + f'INSERT INTO "{_OUTBOX.name}" ({_names(_OUTBOX, shape.event_columns)})'
            f" VALUES {rows('e', shape.events, shape.event_columns)} RETURNING seq, event_id"
        ).bindparams(
            *_typed_rows(_AUDIT, "a", shape.entries, shape.entry_columns),
            *_typed_rows(_ANSWERS, "k", shape.answers, shape.answer_columns),
            *_typed_rows(_OUTBOX, "e", shape.events, shape.event_columns),
        )
        _TRAIL_INSERTS[shape] = statement
    return statement
