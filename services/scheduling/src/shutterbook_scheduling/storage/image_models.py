"""The marketing images uploaded for session and appointment types: one a type, its bytes kept
apart from the type's row (a type is read far more often than its image is served)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shutterbook_kit.schema import UtcDateTime
from shutterbook_scheduling.storage.models import Base


class MarketingImageRow(Base):
    __tablename__ = "marketing_images"

    type_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("booking_types.id", ondelete="CASCADE"), primary_key=True
    )
    company_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    etag: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
