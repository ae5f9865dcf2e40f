"""What billing's repositories share: the session, and reading one of a company's records."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook_billing.storage.models import Base, DepositRow, InvoiceRow, PaymentRow, PriceListItemRow, PromotionRow

Record = TypeVar("Record", InvoiceRow, PaymentRow, DepositRow, PromotionRow, PriceListItemRow)


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def one(
        self, model: type[Record], company_id: str, row_id: str, *, for_update: bool = False
    ) -> Record | None:
        """The company's record with that id (another company's: None). `for_update` locks the row
        (PostgreSQL; SQLite writers are serialized by BEGIN IMMEDIATE)."""
        query = select(model).where(model.company_id == company_id, model.id == row_id)
        if for_update:
            query = query.with_for_update()
        found: Record | None = await self.session.scalar(query)
        return found

    async def insert(self, row: Base) -> None:
        """Write a new row now (a unique key it breaks raises IntegrityError here)."""
        self.session.add(row)
        await self.session.flush()

    async def save(self) -> None:
        """Write the changes made to loaded rows."""
        await self.session.flush()
