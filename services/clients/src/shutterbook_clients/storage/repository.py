"""Reading and writing the clients service's tables; every query is scoped to one company."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import ColumnElement, bindparam, delete, select
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
from shutterbook_kit.pagination import Key, Page, keyset_page


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


# `by_primary_email`'s statement, built once (every online booking finds its client by it)
_BY_PRIMARY_EMAIL = select(ClientRow).where(
    ClientRow.company_id == bindparam("company_id"),
    ClientRow.deleted_at.is_(None),
    ClientRow.primary_email_key == bindparam("key"),
)


# FindOrCreateClient's new client on PostgreSQL, with its event and audit entry (kit
# `write_in_one`): the row as the ORM would write it (`schema.insert_values`, parameters
# `c_{column}`), unless a live client holds its primary email by then (the unique index): then
# nothing is written and the caller finds that client. Built once from the table's columns.
_CLIENT_COLUMNS = [column for column in ClientRow.__table__.columns]
NEW_CLIENT_CTES = (
    f"effect AS (INSERT INTO {ClientRow.__tablename__} ("
    + ", ".join(f'"{column.name}"' for column in _CLIENT_COLUMNS)
    + ") VALUES ("
    + ", ".join(f":c_{column.name}" for column in _CLIENT_COLUMNS)
    + ") ON CONFLICT DO NOTHING RETURNING 1)"
)
NEW_CLIENT_TYPES = {f"c_{column.name}": column.type for column in _CLIENT_COLUMNS}


def new_client_params(values: dict[str, object]) -> dict[str, object]:
    """`NEW_CLIENT_CTES`' parameters from the row's INSERT values."""
    return {f"c_{name}": value for name, value in values.items()}


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
        row: ClientRow | None = await self.session.scalar(_BY_PRIMARY_EMAIL, {"company_id": company_id, "key": key})
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
        self, company_id: str, sel: ClientSelection, page_size: int, page_token: str, *, order: str = "create_time"
    ) -> Page[ClientRow]:
        """In `order` (domain.clients.LIST_ORDERS), keyset-paginated with the id last: oldest
        first on (created_at, id), newest first on both descending, by name on (sort_key, id), latest
        session first on (last_session_at, id) descending."""
        stmt = select(ClientRow).where(*self.selection_filters(company_id, sel))
        keys: list[Key] = [ClientRow.created_at, ClientRow.id]
        if order == "create_time desc":
            keys = [ClientRow.created_at.desc(), ClientRow.id.desc()]
        elif order == "family_name":
            keys = [ClientRow.sort_key, ClientRow.id]
        elif order == "last_session_time desc":  # clients without a session (NO_SESSION) last
            keys = [ClientRow.last_session_at.desc(), ClientRow.id.desc()]
        return await keyset_page(self.session, stmt, keys, page_size, page_token)

    async def search_page(
        self, company_id: str, query: Query, page_size: int, page_token: str
    ) -> Page[tuple[ClientRow, int]]:
        """Best match first, then name, then id; keyset-paginated on that order."""
        score = match_score(query)
        stmt = select(ClientRow, score.label("score")).where(*live(company_id), *text_match(query))
        return await keyset_page(
            self.session, stmt, [score.desc(), ClientRow.sort_key, ClientRow.id], page_size, page_token
        )


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

    async def list_page(self, company_id: str, page_size: int, page_token: str) -> Page[OrganizationRow]:
        """By name, then id."""
        stmt = select(OrganizationRow).where(OrganizationRow.company_id == company_id)
        keys = [OrganizationRow.name_key, OrganizationRow.id]
        return await keyset_page(self.session, stmt, keys, page_size, page_token)

    async def memberships_page(
        self,
        company_id: str,
        *,
        organization_id: str | None,
        client_id: str | None,
        year: int,
        page_size: int,
        page_token: str,
    ) -> Page[MembershipRow]:
        """Oldest first; only those of the organization, client and year given."""
        stmt = select(MembershipRow).where(MembershipRow.company_id == company_id)
        if organization_id is not None:
            stmt = stmt.where(MembershipRow.organization_id == organization_id)
        if client_id is not None:
            stmt = stmt.where(MembershipRow.client_id == client_id)
        if year:
            stmt = stmt.where(MembershipRow.year == year)
        keys = [MembershipRow.created_at, MembershipRow.id]
        return await keyset_page(self.session, stmt, keys, page_size, page_token)

    async def memberships_of_client(self, company_id: str, client_id: str) -> list[MembershipRow]:
        found = await self.session.scalars(
            select(MembershipRow).where(MembershipRow.company_id == company_id, MembershipRow.client_id == client_id)
        )
        return list(found)

    async def memberships_of_organization(self, company_id: str, org_id: str) -> list[MembershipRow]:
        found = await self.session.scalars(
            select(MembershipRow).where(MembershipRow.company_id == company_id, MembershipRow.organization_id == org_id)
        )
        return list(found)

    async def delete_memberships_of_organization(self, company_id: str, org_id: str) -> None:
        await self.session.execute(
            delete(MembershipRow).where(MembershipRow.company_id == company_id, MembershipRow.organization_id == org_id)
        )


class GroupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: str, group_id: str) -> ClientGroupRow | None:
        row: ClientGroupRow | None = await self.session.scalar(
            select(ClientGroupRow).where(ClientGroupRow.company_id == company_id, ClientGroupRow.id == group_id)
        )
        return row

    async def list_page(
        self, company_id: str, page_size: int, page_token: str, *, client_id: str | None = None
    ) -> Page[ClientGroupRow]:
        """By name, then id; with `client_id`, only the groups that client is in."""
        stmt = select(ClientGroupRow).where(ClientGroupRow.company_id == company_id)
        if client_id is not None:
            members = select(GroupMemberRow.group_id).where(
                GroupMemberRow.company_id == company_id, GroupMemberRow.client_id == client_id
            )
            stmt = stmt.where(ClientGroupRow.id.in_(members))
        keys = [ClientGroupRow.name_key, ClientGroupRow.id]
        return await keyset_page(self.session, stmt, keys, page_size, page_token)

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

    async def group_ids_of_client(self, company_id: str, client_id: str) -> set[str]:
        found = await self.session.scalars(
            select(GroupMemberRow.group_id).where(
                GroupMemberRow.company_id == company_id, GroupMemberRow.client_id == client_id
            )
        )
        return set(found)

    async def memberships_of_client(self, company_id: str, client_id: str) -> list[GroupMemberRow]:
        found = await self.session.scalars(
            select(GroupMemberRow).where(GroupMemberRow.company_id == company_id, GroupMemberRow.client_id == client_id)
        )
        return list(found)

    async def remove_members(self, company_id: str, group_id: str, client_ids: Sequence[str] | None = None) -> None:
        """Remove those clients from the group (None: every member)."""
        stmt = delete(GroupMemberRow).where(
            GroupMemberRow.company_id == company_id, GroupMemberRow.group_id == group_id
        )
        if client_ids is not None:
            stmt = stmt.where(GroupMemberRow.client_id.in_(list(client_ids)))
        await self.session.execute(stmt)


class SavedFilterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: str, filter_id: str) -> SavedFilterRow | None:
        row: SavedFilterRow | None = await self.session.scalar(
            select(SavedFilterRow).where(SavedFilterRow.company_id == company_id, SavedFilterRow.id == filter_id)
        )
        return row

    async def list_page(self, company_id: str, page_size: int, page_token: str) -> Page[SavedFilterRow]:
        """By name, then id."""
        stmt = select(SavedFilterRow).where(SavedFilterRow.company_id == company_id)
        keys = [SavedFilterRow.name_key, SavedFilterRow.id]
        return await keyset_page(self.session, stmt, keys, page_size, page_token)
