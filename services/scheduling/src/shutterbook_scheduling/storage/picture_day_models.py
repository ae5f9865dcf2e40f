"""Tables of picture days (issue 21): the day (its settings, title, families' selector, session
template as `template_*` columns and time-slot rows as child rows, as created; with the close's
lease), its slots, its families and their member children, and the families' bookings.

What keeps the day's promises under concurrent families, on SQLite and PostgreSQL alike, is
two conditional UPDATEs in the booking's transaction: a slot is taken only while its
`booking_id` is NULL, and a child only while theirs is; a second family (or a second tab of
the same family) finds the row taken and is refused, never over capacity.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shutterbook_kit.schema import BigIntId, UtcDateTime
from shutterbook_scheduling.storage.bulk_row_columns import TimeSlotRowColumns
from shutterbook_scheduling.storage.models import Base


class PictureDayRow(Base):
    __tablename__ = "picture_days"
    __table_args__ = (sa.Index("ix_picture_days_company_created", "company_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    families_group: Mapped[str] = mapped_column(sa.String(200), default="")
    families_saved_filter: Mapped[str] = mapped_column(sa.String(200), default="")
    families_organization: Mapped[str] = mapped_column(sa.String(200), default="")
    families_year: Mapped[int] = mapped_column(sa.Integer, default=0)
    has_template: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    template_location: Mapped[str] = mapped_column(sa.String(200), default="")
    template_description: Mapped[str] = mapped_column(sa.Text, default="")
    template_session_type: Mapped[str] = mapped_column(sa.String(200), default="")
    template_status: Mapped[str] = mapped_column(sa.String(200), default="")
    template_photographer: Mapped[str] = mapped_column(sa.String(200), default="")
    template_assistant: Mapped[str] = mapped_column(sa.String(200), default="")
    template_camera_room: Mapped[str] = mapped_column(sa.String(200), default="")
    skipped_families: Mapped[int] = mapped_column(sa.Integer, default=0)
    rows: Mapped[list[PictureDayTimeRow]] = relationship(
        "PictureDayTimeRow", order_by="PictureDayTimeRow.position", cascade="all, delete-orphan", lazy="selectin"
    )
    location_id: Mapped[str] = mapped_column(sa.String(36))
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    siblings_per_slot: Mapped[int] = mapped_column(sa.Integer)
    open_at: Mapped[datetime] = mapped_column(UtcDateTime)
    close_at: Mapped[datetime] = mapped_column(UtcDateTime)
    close_action: Mapped[str] = mapped_column(sa.String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PictureDayTimeRow(TimeSlotRowColumns, Base):
    """One time-slot row of a day as given (times in minutes after midnight; NULL: not given)."""

    __tablename__ = "picture_day_rows"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    picture_day_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("picture_days.id", ondelete="CASCADE"), index=True
    )


class PictureDaySlotRow(Base):
    """A slot; `booking_id` names the one booking that has it (NULL: free)."""

    __tablename__ = "picture_day_slots"
    __table_args__ = (sa.Index("ix_picture_day_slots_day_start", "picture_day_id", "start_at", "id"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    picture_day_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("picture_days.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    booking_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)


class PictureDayFamilyRow(Base):
    """A family (client) of the day, as the clients service listed it at creation, with the
    hash of its live access code (NULL: none, or revoked)."""

    __tablename__ = "picture_day_families"
    __table_args__ = (sa.Index("ix_picture_day_families_order", "picture_day_id", "sort_name", "client_id"),)

    picture_day_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("picture_days.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(400))
    sort_name: Mapped[str] = mapped_column(sa.String(400))
    email: Mapped[str] = mapped_column(sa.String(320), default="")
    code_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, unique=True)  # SHA-256 of the code
    code_issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PictureDayChildRow(Base):
    """A member child of a family; `booking_id` names the child's one booking (NULL: none).
    `member_id` is empty for a client who is the child."""

    __tablename__ = "picture_day_children"

    picture_day_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("picture_days.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    display_name: Mapped[str] = mapped_column(sa.String(400))
    booking_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)


class PictureDayBookingRow(Base):
    """A family's booking of a slot; `children` lists the children's keys (see PictureDayChild)
    joined by spaces; a cancelled booking keeps its row and lets go of its slot and children."""

    __tablename__ = "picture_day_bookings"
    __table_args__ = (sa.Index("ix_picture_day_bookings_family", "picture_day_id", "client_id"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    picture_day_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("picture_days.id", ondelete="CASCADE"))
    company_id: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    slot_id: Mapped[str] = mapped_column(sa.String(36))
    children: Mapped[str] = mapped_column(sa.Text)
    session_id: Mapped[str] = mapped_column(sa.String(36))
    cancelled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
