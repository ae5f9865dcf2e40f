"""The billing service's tables. Money is integer minor units plus an ISO currency code."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_kit.schema import UtcDateTime


class Base(DeclarativeBase):
    pass


class PriceListItemRow(Base):
    __tablename__ = "price_list_items"
    __table_args__ = (sa.UniqueConstraint("company_id", "sku", name="uq_price_list_items_company_sku"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    sku: Mapped[str] = mapped_column(sa.String(64))
    currency_code: Mapped[str] = mapped_column(sa.String(3))
    unit_price_minor: Mapped[int] = mapped_column(sa.BigInteger)
    tax_rate_bps: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
