"""Reading and writing price list items; every query is scoped to one company."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from shutterbook_billing.storage.models import PriceListItemRow
from shutterbook_billing.storage.repository import Repository
from shutterbook_kit.pagination import Page, keyset_page


class PriceListRepository(Repository):
    async def get(self, company_id: str, item_id: str) -> PriceListItemRow | None:
        return await self.one(PriceListItemRow, company_id, item_id)

    async def by_ids(self, company_id: str, ids: Sequence[str]) -> dict[str, PriceListItemRow]:
        if not ids:
            return {}
        rows = await self.session.scalars(
            select(PriceListItemRow).where(PriceListItemRow.company_id == company_id, PriceListItemRow.id.in_(ids))
        )
        return {row.id: row for row in rows}

    async def sku_taken(self, company_id: str, sku: str) -> bool:
        taken = await self.session.scalar(
            select(PriceListItemRow.id).where(PriceListItemRow.company_id == company_id, PriceListItemRow.sku == sku)
        )
        return taken is not None

    async def page(self, company_id: str, page_size: int, page_token: str) -> Page[PriceListItemRow]:
        query = select(PriceListItemRow).where(PriceListItemRow.company_id == company_id)
        keys = [PriceListItemRow.sku, PriceListItemRow.id]
        return await keyset_page(self.session, query, keys, page_size, page_token)
