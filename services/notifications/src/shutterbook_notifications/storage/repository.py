"""Reading and writing the notifications service's tables; every query is scoped to one
company (except the sender's claims, which serve every company)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook_notifications.domain.delivery import State
from shutterbook_notifications.storage.models import (
    ClientPreferenceRow,
    FormLetterRow,
    KnownClientRow,
    KnownSessionRow,
    MessageRow,
    TriggerRow,
)

_Owned = TypeVar("_Owned", FormLetterRow, MessageRow, TriggerRow)


class _Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _of_company(self, model: type[_Owned], key: str, company_id: str) -> _Owned | None:
        """The row with that primary key, if it is the company's."""
        row = await self.session.get(model, key)
        return row if row is not None and row.company_id == company_id else None


class LetterRepository(_Repository):
    async def get(self, company_id: str, letter_id: str) -> FormLetterRow | None:
        return await self._of_company(FormLetterRow, letter_id, company_id)

    async def of_standard_purpose(self, company_id: str, purpose: str) -> FormLetterRow | None:
        row: FormLetterRow | None = await self.session.scalar(
            select(FormLetterRow).where(
                FormLetterRow.company_id == company_id, FormLetterRow.standard_purpose == purpose
            )
        )
        return row

    async def standard_purposes(self, company_id: str) -> set[str]:
        """The standard purposes the company has a letter row for."""
        found = await self.session.scalars(
            select(FormLetterRow.standard_purpose).where(
                FormLetterRow.company_id == company_id, FormLetterRow.standard_purpose.is_not(None)
            )
        )
        return {purpose for purpose in found if purpose is not None}

    async def add_unless_present(self, values: Mapping[str, Any], *, on_sqlite: bool) -> None:
        """Insert a letter row; nothing when one of its unique keys is already taken."""
        dialect: Any = sqlite if on_sqlite else postgresql
        await self.session.execute(dialect.insert(FormLetterRow).values(**values).on_conflict_do_nothing())

    async def all(self, company_id: str) -> list[FormLetterRow]:
        found = await self.session.scalars(select(FormLetterRow).where(FormLetterRow.company_id == company_id))
        return list(found.all())

    async def add(self, row: FormLetterRow) -> None:
        self.session.add(row)
        await self.session.flush()


SESSION_PREFIX = "sessions/"  # how a message names its session (or `appointments/`)


class MessageRepository(_Repository):
    async def get(self, company_id: str, message_id: str, locations: frozenset[str] | None = None) -> MessageRow | None:
        """The message; None also when `locations` (a caller's scope) leave out its session's
        location (the rule of `page`)."""
        row = await self._of_company(MessageRow, message_id, company_id)
        if row is None or locations is None or not row.session_id.startswith(SESSION_PREFIX):
            return row
        where = await self.session.scalar(
            select(KnownSessionRow.location_id).where(
                KnownSessionRow.company_id == company_id,
                KnownSessionRow.session_id == row.session_id.removeprefix(SESSION_PREFIX),
            )
        )
        return None if where is not None and where not in locations else row

    async def by_dedupe_key(self, company_id: str, dedupe_key: str) -> MessageRow | None:
        row: MessageRow | None = await self.session.scalar(
            select(MessageRow).where(MessageRow.company_id == company_id, MessageRow.dedupe_key == dedupe_key)
        )
        return row

    async def add(self, row: MessageRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def newest_first(
        self,
        company_id: str,
        *,
        client_id: str,
        session: str,
        before: tuple[datetime, str] | None,
        limit: int,
        channel: str = "",
        locations: frozenset[str] | None = None,
    ) -> list[MessageRow]:
        """Newest first, only the client's, the session's and the channel's when given, after the
        cursor `before`. `locations` (a caller's scope; None: every location): leaves out the
        messages of sessions known to be at another location (a client's own messages, and an
        appointment's, stay)."""
        stmt = select(MessageRow).where(MessageRow.company_id == company_id)
        if locations is not None:
            elsewhere = (
                select(KnownSessionRow.session_id)
                .where(
                    KnownSessionRow.company_id == MessageRow.company_id,
                    KnownSessionRow.session_id == func.substr(MessageRow.session_id, len(SESSION_PREFIX) + 1),
                    KnownSessionRow.location_id.not_in(sorted(locations)),
                )
                .exists()
            )
            stmt = stmt.where(~and_(MessageRow.session_id.startswith(SESSION_PREFIX), elsewhere))
        if channel:
            stmt = stmt.where(MessageRow.channel == channel)
        if client_id:
            stmt = stmt.where(MessageRow.client_id == client_id)
        if session:
            stmt = stmt.where(MessageRow.session_id == session)
        if before is not None:
            at, message_id = before
            stmt = stmt.where(
                or_(MessageRow.created_at < at, and_(MessageRow.created_at == at, MessageRow.id < message_id))
            )
        stmt = stmt.order_by(MessageRow.created_at.desc(), MessageRow.id.desc()).limit(limit)
        return list((await self.session.scalars(stmt)).all())

    @staticmethod
    def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
        return (
            MessageRow.state == State.QUEUED.value,
            MessageRow.next_attempt_at <= now,
            or_(MessageRow.claimed_until.is_(None), MessageRow.claimed_until < now),
        )

    async def any_due(self, now: datetime) -> bool:
        return await self.session.scalar(select(MessageRow.id).where(*self._due(now)).limit(1)) is not None

    async def claim_due(self, now: datetime, worker_id: str, until: datetime, limit: int) -> list[MessageRow]:
        """Lease up to `limit` due messages, oldest due first (skipping those locked by others)."""
        ids = list(
            (
                await self.session.scalars(
                    select(MessageRow.id)
                    .where(*self._due(now))
                    .order_by(MessageRow.next_attempt_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        if not ids:
            return []
        await self.session.execute(
            update(MessageRow).where(MessageRow.id.in_(ids)).values(claimed_by=worker_id, claimed_until=until)
        )
        return list((await self.session.scalars(select(MessageRow).where(MessageRow.id.in_(ids)))).all())

    async def renew(self, message_id: str, worker_id: str, until: datetime) -> bool:
        """Extend this worker's lease on a queued message; False when another worker has claimed
        it since (its lease ran out) or it is no longer queued. One atomic compare-and-set."""
        result = await self.session.execute(
            update(MessageRow)
            .where(
                MessageRow.id == message_id,
                MessageRow.claimed_by == worker_id,
                MessageRow.state == State.QUEUED.value,
            )
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def record_attempt(self, message_id: str, worker_id: str, values: Mapping[str, object]) -> bool:
        """Write an attempt's outcome, if the lease is still this worker's."""
        result = await self.session.execute(
            update(MessageRow)
            .where(MessageRow.id == message_id, MessageRow.claimed_by == worker_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


class TriggerRepository(_Repository):
    async def get(self, company_id: str, trigger_id: str) -> TriggerRow | None:
        return await self._of_company(TriggerRow, trigger_id, company_id)

    async def add(self, row: TriggerRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def remove(self, row: TriggerRow) -> None:
        await self.session.delete(row)

    async def by_id(self, company_id: str, after_id: str, limit: int) -> list[TriggerRow]:
        """In id order, those after `after_id` (empty: from the first)."""
        stmt = select(TriggerRow).where(TriggerRow.company_id == company_id)
        if after_id:
            stmt = stmt.where(TriggerRow.id > after_id)
        return list((await self.session.scalars(stmt.order_by(TriggerRow.id).limit(limit))).all())

    async def matching(self, company_id: str, kind: str, match_id: str) -> list[TriggerRow]:
        found = await self.session.scalars(
            select(TriggerRow).where(
                TriggerRow.company_id == company_id,
                TriggerRow.kind == kind,
                TriggerRow.match_id == match_id,
                TriggerRow.disabled.is_(False),
            )
        )
        return list(found.all())


class SessionRepository(_Repository):
    async def get(self, company_id: str, session_id: str) -> KnownSessionRow | None:
        return await self.session.get(KnownSessionRow, (company_id, session_id))

    def add(self, row: KnownSessionRow) -> None:
        self.session.add(row)

    async def save(self) -> None:
        """Write the changes made to loaded rows."""
        await self.session.flush()


class ClientDirectoryRepository(_Repository):
    async def get(self, company_id: str, client_id: str) -> KnownClientRow | None:
        return await self.session.get(KnownClientRow, (company_id, client_id))

    def add(self, row: KnownClientRow) -> None:
        self.session.add(row)

    async def preference(self, company_id: str, client_id: str) -> ClientPreferenceRow | None:
        return await self.session.get(ClientPreferenceRow, (company_id, client_id))

    def add_preference(self, row: ClientPreferenceRow) -> None:
        self.session.add(row)

    async def move_records(self, company_id: str, merged: str, survivor: str) -> None:
        """The merged client's sessions and messages become the survivor's."""
        for model in (KnownSessionRow, MessageRow):
            await self.session.execute(
                update(model)
                .where(model.company_id == company_id, model.client_id == merged)
                .values(client_id=survivor)
                .execution_options(synchronize_session=False)
            )
