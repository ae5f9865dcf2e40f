"""Queries of the console's tables (the only place with SQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook_console.domain.staff import StaffAccount
from shutterbook_console.storage.models import (
    ConsoleSecretRow,
    ConsoleSessionRow,
    LoginThrottleRow,
    OidcLoginRow,
    OidcProviderRow,
    PasswordResetRow,
    StaffAccountRow,
)
from shutterbook_kit.identity import Role


def to_account(row: StaffAccountRow) -> StaffAccount:
    return StaffAccount(
        id=row.id,
        company_id=row.company_id,
        name=row.name,
        email=row.email,
        roles=frozenset(Role(r) for r in row.roles),
        location_ids=tuple(row.location_ids),
        staff_schedule_id=row.staff_schedule_id,
        active=row.active,
    )


class StaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: str, staff_id: str, *, lock: bool = False) -> StaffAccountRow | None:
        query = sa.select(StaffAccountRow).where(
            StaffAccountRow.company_id == company_id, StaffAccountRow.id == staff_id
        )
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_id(self, staff_id: str) -> StaffAccountRow | None:
        return await self.session.get(StaffAccountRow, staff_id, with_for_update=True)

    async def by_email(self, email_key: str, company_id: str | None = None) -> list[StaffAccountRow]:
        query = sa.select(StaffAccountRow).where(StaffAccountRow.email_key == email_key)
        if company_id is not None:
            query = query.where(StaffAccountRow.company_id == company_id)
        return list((await self.session.execute(query.order_by(StaffAccountRow.id).limit(20))).scalars())

    async def email_taken(self, company_id: str, email_key: str, except_id: str = "") -> bool:
        query = sa.select(sa.func.count()).where(
            StaffAccountRow.company_id == company_id,
            StaffAccountRow.email_key == email_key,
            StaffAccountRow.id != except_id,
        )
        return bool((await self.session.execute(query)).scalar_one())

    async def page(self, company_id: str, size: int, after: dict[str, Any] | None) -> list[StaffAccountRow]:
        query = sa.select(StaffAccountRow).where(StaffAccountRow.company_id == company_id)
        if after:
            query = query.where(
                sa.tuple_(StaffAccountRow.email_key, StaffAccountRow.id) > (str(after["e"]), str(after["i"]))
            )
        query = query.order_by(StaffAccountRow.email_key, StaffAccountRow.id).limit(size + 1)
        return list((await self.session.execute(query)).scalars())

    async def active_owners(self, company_id: str) -> list[StaffAccountRow]:
        """Every active owner of the company, locked (the last-owner rule is checked under this lock)."""
        query = (
            sa.select(StaffAccountRow)
            .where(StaffAccountRow.company_id == company_id, StaffAccountRow.active.is_(True))
            .with_for_update()
        )
        rows = (await self.session.execute(query)).scalars()
        return [row for row in rows if Role.OWNER.value in row.roles]


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id_sha256: str) -> ConsoleSessionRow | None:
        return await self.session.get(ConsoleSessionRow, id_sha256)

    async def end_for_staff(self, staff_id: str, *, keep: str = "") -> None:
        await self.session.execute(
            sa.delete(ConsoleSessionRow).where(
                ConsoleSessionRow.staff_id == staff_id, ConsoleSessionRow.id_sha256 != keep
            )
        )

    async def end(self, id_sha256: str) -> None:
        await self.session.execute(sa.delete(ConsoleSessionRow).where(ConsoleSessionRow.id_sha256 == id_sha256))

    async def purge_expired(self, now: datetime) -> None:
        await self.session.execute(sa.delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at < now))


class ResetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, token_sha256: str) -> PasswordResetRow | None:
        query = sa.select(PasswordResetRow).where(PasswordResetRow.token_sha256 == token_sha256).with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def open_count(self, staff_id: str, now: datetime) -> int:
        query = sa.select(sa.func.count()).where(
            PasswordResetRow.staff_id == staff_id,
            PasswordResetRow.used_at.is_(None),
            PasswordResetRow.expires_at > now,
        )
        return int((await self.session.execute(query)).scalar_one())

    async def spend_others(self, staff_id: str, now: datetime) -> None:
        """Every other open link of the account stops working once one is used."""
        await self.session.execute(
            sa.update(PasswordResetRow)
            .where(PasswordResetRow.staff_id == staff_id, PasswordResetRow.used_at.is_(None))
            .values(used_at=now)
        )


class ThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> LoginThrottleRow | None:
        return await self.session.get(LoginThrottleRow, key)

    async def clear(self, key: str) -> None:
        await self.session.execute(sa.delete(LoginThrottleRow).where(LoginThrottleRow.key == key))


class OidcRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def provider(self, company_id: str) -> OidcProviderRow | None:
        return await self.session.get(OidcProviderRow, company_id)

    async def take_login(self, state_sha256: str) -> OidcLoginRow | None:
        """The pending login of this state, removed (a state is good once)."""
        row = await self.session.get(OidcLoginRow, state_sha256)
        if row is not None:
            await self.session.delete(row)
        return row

    async def purge_expired(self, now: datetime) -> None:
        await self.session.execute(sa.delete(OidcLoginRow).where(OidcLoginRow.expires_at < now))


async def get_secret(session: AsyncSession, name: str) -> str | None:
    row = await session.get(ConsoleSecretRow, name)
    return row.value if row else None


def add_secret(session: AsyncSession, name: str, value: str) -> None:
    session.add(ConsoleSecretRow(name=name, value=value))
