"""Reading and writing deposits and their refunds; every query is scoped to one company."""

from __future__ import annotations

from sqlalchemy import select, update

from shutterbook_billing.storage.models import DepositRefundRow, DepositRow
from shutterbook_billing.storage.repository import Repository
from shutterbook_kit.pagination import Page, keyset_page


class DepositRepository(Repository):
    async def get(self, company_id: str, deposit_id: str, *, for_update: bool = False) -> DepositRow | None:
        return await self.one(DepositRow, company_id, deposit_id, for_update=for_update)

    async def method_of(self, company_id: str, deposit_id: str) -> str | None:
        found: str | None = await self.session.scalar(
            select(DepositRow.method).where(DepositRow.company_id == company_id, DepositRow.id == deposit_id)
        )
        return found

    async def page(self, company_id: str, client_id: str | None, page_size: int, page_token: str) -> Page[DepositRow]:
        query = select(DepositRow).where(DepositRow.company_id == company_id)
        if client_id:
            query = query.where(DepositRow.client_id == client_id)
        keys = [DepositRow.created_at, DepositRow.id]
        return await keyset_page(self.session, query, keys, page_size, page_token)

    async def refund_of_request(self, company_id: str, request_id: str) -> DepositRefundRow | None:
        found: DepositRefundRow | None = await self.session.scalar(
            select(DepositRefundRow).where(
                DepositRefundRow.company_id == company_id, DepositRefundRow.request_id == request_id
            )
        )
        return found

    async def refund(self, refund_id: str) -> DepositRefundRow | None:
        return await self.session.get(DepositRefundRow, refund_id)

    async def remove_refund(self, row: DepositRefundRow) -> None:
        await self.session.delete(row)

    async def move_client(self, company_id: str, merged: str, survivor: str) -> None:
        await self.session.execute(
            update(DepositRow)
            .where(DepositRow.company_id == company_id, DepositRow.client_id == merged)
            .values(client_id=survivor)
            .execution_options(synchronize_session=False)
        )
