"""The gateway's own tables: partner API keys (stored hashed), idempotency keys, online bookings."""

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
    # "secret" (sbk_: partner servers, every route) or "publishable" (pbk_: booking pages, the
    # booking routes only, from `allowed_origins`)
    kind: Mapped[str] = mapped_column(sa.String(16), default="secret", server_default="secret")
    allowed_origins: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # a publishable key in full (public by design: booking URLs carry it); "" for secret keys
    # and for publishable keys issued before it was kept
    publishable_key: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")


class IdempotencyKeyRow(Base):
    """A POST seen with an Idempotency-Key, per partner key: in progress (leased), or done
    with its response kept for replay. Shared by every gateway replica through the database."""

    __tablename__ = "gateway_idempotency_keys"

    owner: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16))  # "in_progress" | "done" | "free" (never deleted)
    locked_until: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int] = mapped_column(sa.Integer, default=0)
    content_type: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[bytes] = mapped_column(sa.LargeBinary, default=b"")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OnlineBookingRow(Base):
    """One booking made through the gateway, and its saga's progress: written before the first
    step that can take money, so recovery finds every booking a crash or an unreachable service
    left half done. The manage token is kept only as its SHA-256."""

    __tablename__ = "online_bookings"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # = the session / appointment id
    company_id: Mapped[str] = mapped_column(sa.String(64))
    key_id: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(16))  # "session" | "appointment"
    request_id: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16))
    type_id: Mapped[str] = mapped_column(sa.String(36))
    slot_id: Mapped[str] = mapped_column(sa.String(36))
    location_id: Mapped[str] = mapped_column(sa.String(36))
    client: Mapped[str] = mapped_column(sa.String(80))
    hold: Mapped[str] = mapped_column(sa.String(80), default="")
    payment_option: Mapped[str] = mapped_column(sa.String(32), default="none")
    payment_kind: Mapped[str] = mapped_column(sa.String(16), default="none")
    promo_code: Mapped[str] = mapped_column(sa.String(64), default="")
    currency_code: Mapped[str] = mapped_column(sa.String(3), default="USD")
    charged_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # refunded by the cancellation policy when cancelled online; None: not cancelled (or not yet settled)
    cancel_refund_minor: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True, default=None)
    invoice: Mapped[str] = mapped_column(sa.String(80), default="")
    payment: Mapped[str] = mapped_column(sa.String(80), default="")
    deposit: Mapped[str] = mapped_column(sa.String(80), default="")
    manage_token_sha256: Mapped[str] = mapped_column(sa.String(64))
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    lease_until: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        sa.UniqueConstraint("company_id", "request_id", name="uq_online_bookings_request"),
        sa.Index("ix_online_bookings_open", "state", "lease_until"),
    )


class CalendarFeedRow(Base):
    """A secret subscription URL of one schedule's calendar, or of a staff member's across every
    schedule they are on (`/calendars/{id}/{secret}.ics`), polled by calendar apps; only the
    SHA-256 of the secret is kept; revocable."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    schedule_id: Mapped[str] = mapped_column(sa.String(36), default="")  # "" for a staff member's feed
    staff_member_id: Mapped[str] = mapped_column(sa.String(36), default="")  # "" for a schedule's feed
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
