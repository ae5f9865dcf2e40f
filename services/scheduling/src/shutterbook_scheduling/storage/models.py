"""The scheduling service's tables."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_kit.schema import UtcDateTime


class Base(DeclarativeBase):
    pass


class KnownClientRow(Base):
    """Scheduling's projection of a client of the clients service (fed by its events).

    `revision` counts the client events applied to this row: an event applied twice would
    show as one revision too many, which the reliability tests check.
    """

    __tablename__ = "known_clients"
    __table_args__ = (sa.Index("ix_known_clients_company_learned", "company_id", "learned_at", "client_id"),)

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(400))
    primary_email: Mapped[str] = mapped_column(sa.String(320), default="")
    source_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revision: Mapped[int] = mapped_column(sa.Integer, default=0)
