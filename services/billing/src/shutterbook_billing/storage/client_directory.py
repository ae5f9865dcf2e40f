"""Reading and writing billing's directory of known clients."""

from __future__ import annotations

from sqlalchemy import select

from shutterbook_billing.storage.models import KnownClientRow
from shutterbook_billing.storage.repository import Repository


class ClientDirectoryRepository(Repository):
    async def get(self, company_id: str, client_id: str) -> KnownClientRow | None:
        return await self.session.get(KnownClientRow, (company_id, client_id))

    def add(self, row: KnownClientRow) -> None:
        self.session.add(row)

    async def name_of(self, company_id: str, client_id: str) -> str:
        found = await self.session.scalar(
            select(KnownClientRow.display_name).where(
                KnownClientRow.company_id == company_id, KnownClientRow.client_id == client_id
            )
        )
        return found or ""
