"""The gateway's own tables: partner API keys (stored hashed)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_kit.schema import UtcDateTime


class Base(DeclarativeBase):
    pass


class PartnerApiKeyRow(Base):
    """A partner's key: scoped to one company and optionally some locations, revocable.

    Only the SHA-256 of the secret part is kept: keys are 256-bit random, so a fast hash is
    as safe as a slow one and keeps the per-request check cheap.
    """

    __tablename__ = "partner_api_keys"

    key_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    location_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class IdempotencyKeyRow(Base):
    """A POST seen with an Idempotency-Key, per partner key: in progress (leased), or done
    with its response kept for replay. Shared by every gateway replica through the database."""

    __tablename__ = "gateway_idempotency_keys"

    owner: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16))  # "in_progress" | "done"
    locked_until: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int] = mapped_column(sa.Integer, default=0)
    content_type: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[bytes] = mapped_column(sa.LargeBinary, default=b"")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
