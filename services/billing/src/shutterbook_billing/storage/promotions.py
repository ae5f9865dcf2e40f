"""Reading and writing promotions; every query is scoped to one company."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import or_, select, update

from shutterbook_billing.storage.models import PromotionRow
from shutterbook_billing.storage.repository import Repository
from shutterbook_kit.pagination import Page, keyset_page


class PromotionRepository(Repository):
    async def get(self, company_id: str, promotion_id: str) -> PromotionRow | None:
        return await self.one(PromotionRow, company_id, promotion_id)

    async def page(self, company_id: str, page_size: int, page_token: str, session_type_id: str) -> Page[PromotionRow]:
        """By code; with `session_type_id` (a UUID) only those for any invoice or naming it."""
        query = select(PromotionRow).where(PromotionRow.company_id == company_id)
        if session_type_id:
            types = sa.cast(PromotionRow.eligible_session_types, sa.Text)
            query = query.where(or_(types == "[]", types.contains(f'"{session_type_id}"', autoescape=True)))
        return await keyset_page(self.session, query, [PromotionRow.code, PromotionRow.id], page_size, page_token)

    async def by_code(self, company_id: str, code: str) -> PromotionRow | None:
        found: PromotionRow | None = await self.session.scalar(
            select(PromotionRow).where(PromotionRow.company_id == company_id, PromotionRow.code == code)
        )
        return found

    async def code_taken(self, company_id: str, code: str) -> bool:
        taken = await self.session.scalar(
            select(PromotionRow.id).where(PromotionRow.company_id == company_id, PromotionRow.code == code)
        )
        return taken is not None

    async def count_use(self, company_id: str, promotion_id: str) -> bool:
        """Count one use while below the limit, in this transaction; False when used up.
        (PostgreSQL re-evaluates the condition after a concurrent use commits.)"""
        counted = await self.session.execute(
            update(PromotionRow)
            .where(
                PromotionRow.company_id == company_id,
                PromotionRow.id == promotion_id,
                or_(PromotionRow.usage_limit == 0, PromotionRow.usage_count < PromotionRow.usage_limit),
            )
            .values(usage_count=PromotionRow.usage_count + 1)
            .execution_options(synchronize_session=False)
        )
        return counted.rowcount == 1  # type: ignore[attr-defined,no-any-return]
