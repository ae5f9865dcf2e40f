"""Reading and writing the clients service's tables; every query is scoped to one company."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook_clients.domain.search import Query, term_phone_digits
from shutterbook_clients.storage.models import (
    ClientGroupRow,
    ClientRow,
    GroupMemberRow,
    MembershipRow,
    OrganizationRow,
    SavedFilterRow,
)
from shutterbook_kit.schema import UtcDateTime


@dataclass(frozen=True)
class ClientSelection:
    """Which clients a list shows; every part set must hold (all live clients when empty)."""

    group_id: str | None = None
    organization_id: str | None = None
    year: int = 0
    query: Query | None = None
    tag_keys: tuple[str, ...] = ()
    referral_key: str = ""
    created_start: datetime | None = None
    created_end: datetime | None = None


def live(company_id: str) -> list[ColumnElement[bool]]:
    return [ClientRow.company_id == company_id, ClientRow.deleted_at.is_(None)]


def text_match(query: Query) -> list[ColumnElement[bool]]:
    """Every term is a fragment of a name or email key, or (phone-like terms) of a phone key."""
    conditions: list[ColumnElement[bool]] = []
    for term in query.terms:
        options = [
            ClientRow.name_key.contains(term, autoescape=True),
            ClientRow.email_key.contains(term, autoescape=True),
        ]
        phone = term_phone_digits(term)
        if phone:
            options.append(ClientRow.phone_key.contains(phone, autoescape=True))
        conditions.append(sa.or_(*options))
    return conditions


def match_score(query: Query) -> ColumnElement[int]:
    """3: the query is a whole name, email or phone; 2: one starts with it; 1: a fragment.
    Computed by the database with the same LIKEs on both backends."""
    q = query.text
    exact = [
        ClientRow.name_key.contains(f"|{q}|", autoescape=True),
        ClientRow.email_key.contains(f"|{q}|", autoescape=True),
    ]
    prefix = [
        ClientRow.name_key.contains(f"|{q}", autoescape=True),
        ClientRow.name_key.contains(f" {q}", autoescape=True),
        ClientRow.email_key.contains(f"|{q}", autoescape=True),
    ]
    if query.phone_digits:
        exact.append(ClientRow.phone_key.contains(f"|{query.phone_digits}|", autoescape=True))
        prefix.append(ClientRow.phone_key.contains(f"|{query.phone_digits}", autoescape=True))
    return sa.case((sa.or_(*exact), 3), (sa.or_(*prefix), 2), else_=1)


class ClientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: str, client_id: str, *, for_update: bool = False) -> ClientRow | None:
        stmt = select(ClientRow).where(ClientRow.company_id == company_id, ClientRow.id == client_id)
        if for_update:
            stmt = stmt.with_for_update()
        row: ClientRow | None = await self.session.scalar(stmt)
        return row

    async def get_live(self, company_id: str, client_id: str, *, for_update: bool = False) -> ClientRow | None:
        row = await self.get(company_id, client_id, for_update=for_update)
        return row if row is not None and row.deleted_at is None else None

    async def live_ids(self, company_id: str, client_ids: Sequence[str]) -> set[str]:
        if not client_ids:
            return set()
        found = await self.session.scalars(
            select(ClientRow.id).where(*live(company_id), ClientRow.id.in_(list(client_ids)))
        )
        return set(found)

    async def by_primary_email(self, company_id: str, key: str) -> ClientRow | None:
        row: ClientRow | None = await self.session.scalar(
            select(ClientRow).where(*live(company_id), ClientRow.primary_email_key == key)
        )
        return row

    def add(self, row: ClientRow) -> None:
        self.session.add(row)

    def selection_filters(self, company_id: str, sel: ClientSelection) -> list[ColumnElement[bool]]:
        where = live(company_id)
        if sel.group_id is not None:
            where.append(
                ClientRow.id.in_(
                    select(GroupMemberRow.client_id).where(
                        GroupMemberRow.company_id == company_id, GroupMemberRow.group_id == sel.group_id
                    )
                )
            )
        if sel.organization_id is not None:
            members = select(MembershipRow.client_id).where(
                MembershipRow.company_id == company_id, MembershipRow.organization_id == sel.organization_id
            )
            if sel.year:
                members = members.where(MembershipRow.year == sel.year)
            where.append(ClientRow.id.in_(members))
        if sel.query is not None:
            where += text_match(sel.query)
        for tag in sel.tag_keys:
            where.append(ClientRow.tags_key.contains(f"|{tag}|", autoescape=True))
        if sel.referral_key:
            where.append(ClientRow.referral_key == sel.referral_key)
        if sel.created_start is not None:
            where.append(ClientRow.created_at >= sel.created_start)
        if sel.created_end is not None:
            where.append(ClientRow.created_at < sel.created_end)
        return where

    async def list_page(
        self, company_id: str, sel: ClientSelection, after: tuple[datetime, str] | None, limit: int
    ) -> list[ClientRow]:
        """Oldest first, keyset-paginated on (created_at, id)."""
        stmt = select(ClientRow).where(*self.selection_filters(company_id, sel))
        if after is not None:
            t, i = after
            # a row-value comparison, so both backends walk the (company, created_at, id) index
            stmt = stmt.where(
                sa.tuple_(ClientRow.created_at, ClientRow.id)
                > sa.tuple_(sa.bindparam(None, t, type_=UtcDateTime()), sa.bindparam(None, i, type_=sa.String()))
            )
        stmt = stmt.order_by(ClientRow.created_at, ClientRow.id).limit(limit)
        return list(await self.session.scalars(stmt))

    async def search_page(
        self, company_id: str, query: Query, after: tuple[int, str, str] | None, limit: int
    ) -> list[tuple[ClientRow, int]]:
        """Best match first, then name, then id; keyset-paginated on that order."""
        score = match_score(query)
        stmt = select(ClientRow, score.label("score")).where(*live(company_id), *text_match(query))
        if after is not None:
            s, k, i = after
            stmt = stmt.where(
                sa.or_(
                    score < s,
                    sa.and_(score == s, ClientRow.sort_key > k),
                    sa.and_(score == s, ClientRow.sort_key == k, ClientRow.id > i),
                )
            )
        stmt = stmt.order_by(score.desc(), ClientRow.sort_key, ClientRow.id).limit(limit)
        result = await self.session.execute(stmt)
        return [(row, int(s)) for row, s in result.tuples()]


class OrganizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: str, org_id: str) -> OrganizationRow | None:
        row: OrganizationRow | None = await self.session.scalar(
            select(OrganizationRow).where(OrganizationRow.company_id == company_id, OrganizationRow.id == org_id)
        )
        return row

    async def get_membership(self, company_id: str, membership_id: str) -> MembershipRow | None:
        row: MembershipRow | None = await self.session.scalar(
            select(MembershipRow).where(MembershipRow.company_id == company_id, MembershipRow.id == membership_id)
        )
        return row


class GroupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: str, group_id: str) -> ClientGroupRow | None:
        row: ClientGroupRow | None = await self.session.scalar(
            select(ClientGroupRow).where(ClientGroupRow.company_id == company_id, ClientGroupRow.id == group_id)
        )
        return row

    async def member_count(self, company_id: str, group_id: str) -> int:
        count = await self.session.scalar(
            select(sa.func.count())
            .select_from(GroupMemberRow)
            .join(ClientRow, ClientRow.id == GroupMemberRow.client_id)
            .where(GroupMemberRow.company_id == company_id, GroupMemberRow.group_id == group_id)
            .where(ClientRow.deleted_at.is_(None))
        )
        return int(count or 0)

    async def member_ids(self, company_id: str, group_id: str, client_ids: Sequence[str]) -> set[str]:
        found = await self.session.scalars(
            select(GroupMemberRow.client_id).where(
                GroupMemberRow.company_id == company_id,
                GroupMemberRow.group_id == group_id,
                GroupMemberRow.client_id.in_(list(client_ids)),
            )
        )
        return set(found)


class SavedFilterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: str, filter_id: str) -> SavedFilterRow | None:
        row: SavedFilterRow | None = await self.session.scalar(
            select(SavedFilterRow).where(SavedFilterRow.company_id == company_id, SavedFilterRow.id == filter_id)
        )
        return row
