"""The company's profile (studio setup, company): one row a company, its logo's bytes in a
deferred column (the profile is read more often than the logo is served)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from shutterbook_kit.schema import UtcDateTime
from shutterbook_scheduling.storage.models import Base


class CompanyProfileRow(Base):
    __tablename__ = "company_profiles"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(120), default="")
    address_lines: Mapped[str] = mapped_column(sa.Text, default="")  # one line a line
    locality: Mapped[str] = mapped_column(sa.String(80), default="")
    administrative_area: Mapped[str] = mapped_column(sa.String(80), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(80), default="")
    region_code: Mapped[str] = mapped_column(sa.String(2), default="")
    phone_number: Mapped[str] = mapped_column(sa.String(40), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    website_uri: Mapped[str] = mapped_column(sa.String(500), default="")
    brand_color: Mapped[str] = mapped_column(sa.String(7), default="")
    currency_code: Mapped[str] = mapped_column(sa.String(3), default="")
    default_tax_rate_bps: Mapped[int] = mapped_column(sa.Integer, default=0)
    logo_content_type: Mapped[str] = mapped_column(sa.String(40), default="")
    logo_etag: Mapped[str] = mapped_column(sa.String(64), default="")
    logo_data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary, nullable=True))
    logo_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
