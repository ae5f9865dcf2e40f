"""The unit of work: one transaction, rolled back unless committed, in which a change and
the events describing it are written together (the outbox)."""

from __future__ import annotations

import uuid
from types import TracebackType

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook.common.v1 import events_pb2
from shutterbook_kit.db import READONLY, Database
from shutterbook_kit.schema import OutboxMessage, utcnow
from shutterbook_kit.telemetry import inject_headers


class UnitOfWork:
    """`async with UnitOfWork(db) as uow: ...; await uow.commit()`.

    Leaving the block without `commit()` (an exception, an early return) rolls back, so a
    failed request never leaves a half-written record. On SQLite the transaction is opened
    with BEGIN IMMEDIATE unless `readonly`, which serializes writers.
    """

    def __init__(self, db: Database, *, source: str = "", readonly: bool = False) -> None:
        self.db = db
        self.source = source
        self.readonly = readonly
        self._session: AsyncSession | None = None
        self._wrote_events = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work not entered")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self.db.sessions()
        await self._session.connection(execution_options={READONLY: self.readonly})
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed, and (unlike rollback()) leaves the
        # rows already loaded readable, so a read-only unit of work can return them.
        await self.session.close()
        self._session = None

    def emit(self, subject: str, company_id: str, event: Message) -> str:
        """Record an event to publish once this unit of work commits. Returns its event id."""
        if self.readonly:
            raise RuntimeError("a read-only unit of work cannot emit events")
        event_id = str(uuid.uuid4())
        envelope = events_pb2.EventEnvelope(
            event_id=event_id,
            subject=subject,
            company_id=company_id,
            occur_time=timestamp_pb2.Timestamp(),
            source=self.source,
        )
        envelope.occur_time.FromDatetime(utcnow())
        envelope.payload.Pack(event)
        headers: dict[str, str] = {}
        inject_headers(headers)  # the producing request's trace continues in the relay and consumers
        self.session.add(
            OutboxMessage(
                event_id=event_id,
                subject=subject,
                company_id=company_id,
                payload=envelope.SerializeToString(deterministic=True),
                headers=headers,
                created_at=utcnow(),
                attempts=0,
            )
        )
        self._wrote_events = True
        return event_id

    async def commit(self) -> None:
        await self.session.commit()
        if self._wrote_events:
            self.db.outbox_written.set()
            self._wrote_events = False
