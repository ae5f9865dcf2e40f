"""Reading and writing billing's directory of known clients."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text

from shutterbook_billing.storage.models import KnownClientRow
from shutterbook_billing.storage.repository import Repository
from shutterbook_kit.schema import UtcDateTime

# A client version applied in one statement (PostgreSQL and SQLite alike): inserted, or the row
# held takes it unless it holds a newer one. Text, so that SQLAlchemy caches it (its dialects'
# `ON CONFLICT` inserts are compiled anew each time).
_APPLY_SQL = (
    f"INSERT INTO {KnownClientRow.__tablename__} (company_id, client_id, display_name, source_updated_at)"
    " VALUES (:company_id, :client_id, :display_name, :version)"
    " ON CONFLICT (company_id, client_id) DO UPDATE"
    " SET display_name = excluded.display_name, source_updated_at = excluded.source_updated_at"
    f" WHERE {KnownClientRow.__tablename__}.source_updated_at <= excluded.source_updated_at"
)
_APPLY = text(_APPLY_SQL).bindparams(bindparam("version", type_=UtcDateTime))
# the same as an event consumer's one statement (kit `OneStatement`: its parameters as `apply`'s,
# a row returned when the version was taken or the client made; harmless when an event comes
# again: a version not newer changes nothing)
APPLY_IN_ONE_CTES = f"effect AS ({_APPLY_SQL} RETURNING 1)"
APPLY_TYPES = {"version": UtcDateTime()}


def apply_params(company_id: str, client_id: str, display_name: str, version: datetime) -> dict[str, Any]:
    """`apply`'s statement's parameters (`APPLY_IN_ONE_CTES`'s too)."""
    return {"company_id": company_id, "client_id": client_id, "display_name": display_name, "version": version}


class ClientDirectoryRepository(Repository):
    async def get(self, company_id: str, client_id: str) -> KnownClientRow | None:
        return await self.session.get(KnownClientRow, (company_id, client_id))

    async def apply(self, company_id: str, client_id: str, display_name: str, version: datetime) -> None:
        """The client's name as of `version`; an older version than the one held changes nothing."""
        await self.session.execute(_APPLY, apply_params(company_id, client_id, display_name, version))

    async def name_of(self, company_id: str, client_id: str) -> str:
        found = await self.session.scalar(
            select(KnownClientRow.display_name).where(
                KnownClientRow.company_id == company_id, KnownClientRow.client_id == client_id
            )
        )
        return found or ""
