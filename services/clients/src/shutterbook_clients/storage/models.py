"""The clients service's tables."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_kit.schema import UtcDateTime


class Base(DeclarativeBase):
    pass


class ClientRow(Base):
    __tablename__ = "clients"
    __table_args__ = (sa.Index("ix_clients_company_created", "company_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    given_name: Mapped[str] = mapped_column(sa.String(200), default="")
    family_name: Mapped[str] = mapped_column(sa.String(200), default="")
    household_name: Mapped[str] = mapped_column(sa.String(200), default="")
    emails: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    phones: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
