"""Reading and writing invoices and their lines; every query is scoped to one company."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shutterbook_billing.storage.models import InvoiceCounterRow, InvoiceLineRow, InvoiceRow
from shutterbook_billing.storage.repository import Repository
from shutterbook_kit.pagination import Page, keyset_page

# `next_number`'s UPDATE, built once (on every invoice), a Core statement on the table (an
# ORM-enabled one is copied and re-keyed on every execution); its parameter not named as a
# column (an UPDATE's would clash with its SET)
_COUNTERS = InvoiceCounterRow.metadata.tables[InvoiceCounterRow.__tablename__]
_ADVANCE_NUMBER = (
    update(_COUNTERS)
    .where(_COUNTERS.c.company_id == bindparam("company"))
    .values(last_number=_COUNTERS.c.last_number + 1)
    .returning(_COUNTERS.c.last_number)
)


class InvoiceRepository(Repository):
    async def get(self, company_id: str, invoice_id: str, *, for_update: bool = False) -> InvoiceRow | None:
        return await self.one(InvoiceRow, company_id, invoice_id, for_update=for_update)

    async def lines(self, company_id: str, invoice_id: str) -> list[InvoiceLineRow]:
        return list(
            (
                await self.session.scalars(
                    select(InvoiceLineRow)
                    .where(InvoiceLineRow.company_id == company_id, InvoiceLineRow.invoice_id == invoice_id)
                    .order_by(InvoiceLineRow.position)
                )
            ).all()
        )

    async def lines_of(self, company_id: str, invoice_ids: Sequence[str]) -> dict[str, list[InvoiceLineRow]]:
        """The lines of each of the invoices, by invoice id."""
        lines: dict[str, list[InvoiceLineRow]] = {invoice_id: [] for invoice_id in invoice_ids}
        if lines:
            for line in await self.session.scalars(
                select(InvoiceLineRow).where(
                    InvoiceLineRow.company_id == company_id, InvoiceLineRow.invoice_id.in_(list(lines))
                )
            ):
                lines[line.invoice_id].append(line)
        return lines

    async def location_of(self, company_id: str, invoice_id: str) -> str | None:
        found: str | None = await self.session.scalar(
            select(InvoiceRow.location_id).where(InvoiceRow.company_id == company_id, InvoiceRow.id == invoice_id)
        )
        return found

    async def session_fee_invoice_id(self, company_id: str, session_id: str) -> str | None:
        found: str | None = await self.session.scalar(
            select(InvoiceRow.id).where(
                InvoiceRow.company_id == company_id, InvoiceRow.session_fee_session_id == session_id
            )
        )
        return found

    async def appointment_invoice_id(self, company_id: str, appointment_id: str) -> str | None:
        found: str | None = await self.session.scalar(
            select(InvoiceRow.id).where(
                InvoiceRow.company_id == company_id, InvoiceRow.appointment_id == appointment_id
            )
        )
        return found

    async def page(
        self,
        company_id: str,
        *,
        locations: frozenset[str] | None,
        client_id: str | None,
        session_id: str | None,
        page_size: int,
        page_token: str,
    ) -> Page[InvoiceRow]:
        """Newest number first; `locations` (None: all) keeps those and the ones at no location."""
        query = select(InvoiceRow).where(InvoiceRow.company_id == company_id)
        if locations is not None:
            query = query.where(or_(InvoiceRow.location_id == "", InvoiceRow.location_id.in_(sorted(locations))))
        if client_id:
            query = query.where(InvoiceRow.client_id == client_id)
        if session_id:
            query = query.where(InvoiceRow.session_id == session_id)
        return await keyset_page(self.session, query, [InvoiceRow.number.desc()], page_size, page_token)

    async def next_number(self, company_id: str, *, on_sqlite: bool) -> int:
        """The company's next invoice number: the counter advanced by one UPDATE ... RETURNING,
        which locks its row to the end of the transaction (a concurrent invoice's UPDATE waits,
        then advances the committed value: consecutive numbers). The company's first invoice
        makes the row first (a concurrent first creator's INSERT waits on it, then does
        nothing), then advances it."""
        number: int | None = await self.session.scalar(_ADVANCE_NUMBER, {"company": company_id})
        if number is None:
            dialect: Any = sqlite if on_sqlite else postgresql
            await self.session.execute(
                dialect.insert(InvoiceCounterRow).values(company_id=company_id, last_number=0).on_conflict_do_nothing()
            )
            number = await self.session.scalar(_ADVANCE_NUMBER, {"company": company_id})
        assert number is not None
        return number

    async def add(self, row: InvoiceRow, lines: Sequence[InvoiceLineRow]) -> None:
        self.session.add(row)
        await self.session.flush()  # the invoice before its lines (foreign key)
        self.session.add_all(lines)
        await self.session.flush()

    async def delete_line(self, line: InvoiceLineRow) -> None:
        await self.session.delete(line)
        await self.session.flush()

    async def move_client(self, company_id: str, merged: str, survivor: str, display_name: str) -> None:
        """The merged client's invoices bill the survivor, under the survivor's name."""
        await self.session.execute(
            update(InvoiceRow)
            .where(InvoiceRow.company_id == company_id, InvoiceRow.client_id == merged)
            .values(client_id=survivor, client_display_name=display_name)
            .execution_options(synchronize_session=False)
        )
