"""The clients service's tables.

Search and filter keys are kept in columns beside the values they come from (lowercase,
transliterated to ASCII with `anyascii`, phones as digits only), so that a plain LIKE on
them gives the same answers on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shutterbook_kit.schema import UtcDateTime

LIVE = sa.text("deleted_at IS NULL")
# A client's last session time when it has none: before any real one, so "latest session
# first" puts such clients last (pagination keys are never NULL).
NO_SESSION = datetime(1970, 1, 1, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class ClientRow(Base):
    __tablename__ = "clients"
    __table_args__ = (
        sa.Index("ix_clients_company_created", "company_id", "created_at", "id"),
        sa.Index("ix_clients_company_sort", "company_id", "sort_key", "id"),
        sa.Index("ix_clients_company_last_session", "company_id", "last_session_at", "id"),
        # One live client per primary email: what makes find-or-create race-free.
        sa.Index(
            "uq_clients_live_primary_email",
            "company_id",
            "primary_email_key",
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL AND primary_email_key IS NOT NULL"),
            postgresql_where=sa.text("deleted_at IS NULL AND primary_email_key IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    given_name: Mapped[str] = mapped_column(sa.String(200), default="")
    family_name: Mapped[str] = mapped_column(sa.String(200), default="")
    household_name: Mapped[str] = mapped_column(sa.String(200), default="")
    emails: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    phones: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    postal_address: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    referral_source: Mapped[str] = mapped_column(sa.String(200), default="")
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    merged_into_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    # start of the latest session not cancelled (kept from scheduling's events); NO_SESSION: none
    last_session_at: Mapped[datetime] = mapped_column(UtcDateTime, default=lambda: NO_SESSION)
    # derived keys (see domain.search)
    name_key: Mapped[str] = mapped_column(sa.String(1000), default="")
    sort_key: Mapped[str] = mapped_column(sa.String(500), default="")
    email_key: Mapped[str] = mapped_column(sa.String(3000), default="")
    phone_key: Mapped[str] = mapped_column(sa.String(500), default="")
    primary_email_key: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)
    tags_key: Mapped[str] = mapped_column(sa.String(3000), default="")
    referral_key: Mapped[str] = mapped_column(sa.String(200), default="")

    family_members: Mapped[list[FamilyMemberRow]] = relationship(
        order_by="FamilyMemberRow.position", cascade="all, delete-orphan", lazy="selectin"
    )


class FamilyMemberRow(Base):
    __tablename__ = "family_members"
    __table_args__ = (sa.Index("ix_family_members_client", "client_id", "position"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("clients.id"))
    position: Mapped[int] = mapped_column(sa.Integer)
    given_name: Mapped[str] = mapped_column(sa.String(200))
    family_name: Mapped[str] = mapped_column(sa.String(200))
    relationship: Mapped[int] = mapped_column(sa.Integer)
    birth_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)


class OrganizationRow(Base):
    __tablename__ = "organizations"
    __table_args__ = (sa.UniqueConstraint("company_id", "name_key", name="uq_organizations_name"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(400))
    kind: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MembershipRow(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("company_id", "organization_id", "client_id", "year", name="uq_memberships"),
        sa.Index("ix_memberships_org_year", "company_id", "organization_id", "year", "client_id"),
        sa.Index("ix_memberships_client", "company_id", "client_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    organization_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("organizations.id"))
    client_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("clients.id"))
    year: Mapped[int] = mapped_column(sa.Integer)
    role: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ClientGroupRow(Base):
    __tablename__ = "client_groups"
    __table_args__ = (sa.UniqueConstraint("company_id", "name_key", name="uq_client_groups_name"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(400))
    description: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GroupMemberRow(Base):
    __tablename__ = "client_group_members"
    __table_args__ = (sa.Index("ix_client_group_members_client", "company_id", "client_id"),)

    group_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("client_groups.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("clients.id"), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SavedFilterRow(Base):
    __tablename__ = "saved_filters"
    __table_args__ = (sa.UniqueConstraint("company_id", "name_key", name="uq_saved_filters_name"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(400))
    # the ClientCriteria message, serialized (deterministic)
    criteria: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ClientSessionRow(Base):
    """A session of a client as scheduling's events last told it: what a client's last session
    time is computed from (a cancelled or moved session changes it)."""

    __tablename__ = "client_sessions"
    __table_args__ = (sa.Index("ix_client_sessions_client", "company_id", "client_id", "start_at"),)

    session_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancelled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # when scheduling made the change the row holds (its event's occur_time): an older event
    # delivered late does not overwrite a newer one
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
