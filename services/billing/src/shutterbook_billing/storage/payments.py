"""Reading and writing payments and their refunds; every query is scoped to one company."""

from __future__ import annotations

from sqlalchemy import func, select, update

from shutterbook_billing.storage.models import PaymentRow, RefundRow
from shutterbook_billing.storage.repository import Repository
from shutterbook_kit.pagination import Page, keyset_page


class PaymentRepository(Repository):
    async def get(self, company_id: str, payment_id: str, *, for_update: bool = False) -> PaymentRow | None:
        return await self.one(PaymentRow, company_id, payment_id, for_update=for_update)

    async def page_of_invoice(
        self, company_id: str, invoice_id: str, page_size: int, page_token: str
    ) -> Page[PaymentRow]:
        query = select(PaymentRow).where(PaymentRow.company_id == company_id, PaymentRow.invoice_id == invoice_id)
        keys = [PaymentRow.created_at, PaymentRow.id]
        return await keyset_page(self.session, query, keys, page_size, page_token)

    async def refunded_on_invoice(self, company_id: str, invoice_id: str) -> int:
        """What the payments of an invoice have had refunded, together."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(PaymentRow.refunded_minor), 0)).where(
                PaymentRow.company_id == company_id, PaymentRow.invoice_id == invoice_id
            )
        )
        return int(total or 0)

    def add(self, row: PaymentRow) -> None:
        self.session.add(row)

    def add_refund(self, row: RefundRow) -> None:
        self.session.add(row)

    async def move_client(self, company_id: str, merged: str, survivor: str) -> None:
        await self.session.execute(
            update(PaymentRow)
            .where(PaymentRow.company_id == company_id, PaymentRow.client_id == merged)
            .values(client_id=survivor)
            .execution_options(synchronize_session=False)
        )
