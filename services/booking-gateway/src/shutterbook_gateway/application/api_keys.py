"""Partner API keys: `sbk_<key id>_<secret>`; the key id finds the row, the secret's hash
must match (compared in constant time), and a revoked key is refused."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from shutterbook_gateway.storage.models import PartnerApiKeyRow
from shutterbook_kit.db import Database
from shutterbook_kit.schema import utcnow
from shutterbook_kit.tenancy import CallContext
from shutterbook_kit.uow import UnitOfWork

PREFIX = "sbk"


@dataclass(frozen=True)
class Partner:
    key_id: str
    company_id: str
    location_ids: tuple[str, ...]

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The gRPC metadata of calls made for this partner: its company, and who called."""
        return CallContext(company_id=self.company_id, caller=f"partner:{self.key_id}").metadata()


def sha256_hex(secret: str) -> str:
    """How the gateway keeps secrets it must recognise (API keys, manage tokens): 256-bit random
    values, so a fast hash is as safe as a slow one."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(raw: str) -> tuple[str, str] | None:
    parts = raw.strip().split("_", 2)  # the secret may itself hold underscores
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


async def issue_key(
    db: Database,
    company_id: str,
    label: str,
    *,
    location_ids: list[str] | None = None,
    key_id: str | None = None,
    secret: str | None = None,
) -> str:
    """Create a key and return it in full: the only time the secret is seen."""
    key_id = key_id or secrets.token_hex(8)
    secret = secret or secrets.token_urlsafe(32)
    async with UnitOfWork(db) as uow:
        uow.session.add(
            PartnerApiKeyRow(
                key_id=key_id,
                company_id=company_id,
                label=label,
                secret_sha256=sha256_hex(secret),
                location_ids=location_ids or [],
                created_at=utcnow(),
            )
        )
        await uow.commit()
    return f"{PREFIX}_{key_id}_{secret}"


async def authenticate(db: Database, raw: str) -> Partner | None:
    parsed = split_key(raw)
    if parsed is None:
        return None
    key_id, secret = parsed
    async with UnitOfWork(db, readonly=True) as uow:
        row = await uow.session.get(PartnerApiKeyRow, key_id)
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_sha256, sha256_hex(secret)):
        return None
    return Partner(key_id=row.key_id, company_id=row.company_id, location_ids=tuple(row.location_ids))


async def list_keys(db: Database, company_id: str | None = None) -> list[PartnerApiKeyRow]:
    """Every key (never its secret), newest first, optionally of one company."""
    query = select(PartnerApiKeyRow).order_by(PartnerApiKeyRow.created_at.desc())
    if company_id:
        query = query.where(PartnerApiKeyRow.company_id == company_id)
    async with UnitOfWork(db, readonly=True) as uow:
        return list((await uow.session.scalars(query)).all())


async def revoke_key(db: Database, key_id: str) -> bool:
    async with UnitOfWork(db) as uow:
        row = await uow.session.get(PartnerApiKeyRow, key_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        await uow.commit()
    return True
