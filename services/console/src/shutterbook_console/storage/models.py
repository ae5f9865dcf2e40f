"""The console's own tables: staff accounts, login sessions, password resets, login throttles,
OpenID Connect providers and pending OIDC logins, and the console's signing secret.

Session ids, reset tokens and OIDC states are 256-bit random values kept only as their SHA-256:
a leaked table holds nothing a browser could present.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_kit.schema import UtcDateTime


class Base(DeclarativeBase):
    pass


class StaffAccountRow(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    email_key: Mapped[str] = mapped_column(sa.String(254), index=True)  # lower-cased, for lookups
    password_hash: Mapped[str] = mapped_column(sa.String(200))  # argon2id (PHC string)
    roles: Mapped[list[str]] = mapped_column(sa.JSON)
    location_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    staff_schedule_id: Mapped[str] = mapped_column(sa.String(36), default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (sa.UniqueConstraint("company_id", "email_key", name="uq_staff_accounts_email"),)


class ConsoleSessionRow(Base):
    __tablename__ = "console_sessions"

    id_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("staff_accounts.id"), index=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    method: Mapped[str] = mapped_column(sa.String(16))  # "password" | "oidc"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PasswordResetRow(Base):
    __tablename__ = "password_resets"

    token_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("staff_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LoginThrottleRow(Base):
    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OidcProviderRow(Base):
    """A company's identity provider. Its id token's verified email picks an existing active account."""

    __tablename__ = "oidc_providers"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    issuer: Mapped[str] = mapped_column(sa.String(500))
    client_id: Mapped[str] = mapped_column(sa.String(500))
    client_secret: Mapped[str] = mapped_column(sa.String(500))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OidcLoginRow(Base):
    """An authorization request under way: its state (hashed), nonce and PKCE verifier, single use."""

    __tablename__ = "oidc_logins"

    state_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    nonce: Mapped[str] = mapped_column(sa.String(100))
    code_verifier: Mapped[str] = mapped_column(sa.String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConsoleSecretRow(Base):
    __tablename__ = "console_secrets"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200))
