"""Reading and writing clients; every query is scoped to one company."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shutterbook_clients.storage.models import ClientRow


class ClientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, company_id: str, client_id: str) -> ClientRow | None:
        row: ClientRow | None = await self.session.scalar(
            select(ClientRow).where(ClientRow.company_id == company_id, ClientRow.id == client_id)
        )
        return row

    def add(self, row: ClientRow) -> None:
        self.session.add(row)
