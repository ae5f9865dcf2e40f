"""Tables of online time slots and holds (issue 6).

- `online_time_slots`: one row per slot (`is_appointment`: it sells an appointment type, else a
  session type; the local date, start and end as given); `booked_session_id` is "" until a
  booking takes it with a conditional UPDATE (so a slot is booked at most once).
- `online_slot_schedules`: the schedules a slot occupies, in order (for overlap queries).
- `online_slot_removals`: which slots a booking auto-removed (a slot is removed while any row
  names it), so cancelling restores exactly those.
- `online_holds` and `online_hold_blocks`: a hold and the schedule time it occupies until
  `expires_at` (a booking straight from a slot has a hold row, booked, and no blocks). On
  PostgreSQL an exclusion constraint (migration 0003_online) forbids two overlapping hold
  blocks on one schedule; expired blocks are deleted in the write path before new ones are
  inserted, and every read ignores them by comparing `expires_at` with now.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shutterbook_kit.schema import BigIntId, UtcDateTime
from shutterbook_scheduling.storage.models import Base


class TimeSlotRow(Base):
    __tablename__ = "online_time_slots"
    __table_args__ = (
        sa.Index("ix_online_time_slots_open", "company_id", "location_id", "type_id", "start_at"),
        sa.Index("ix_online_time_slots_start", "company_id", "start_at"),
        sa.Index("ix_online_time_slots_booked", "company_id", "booked_session_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    location_id: Mapped[str] = mapped_column(sa.String(36))
    type_id: Mapped[str] = mapped_column(sa.String(36))
    is_appointment: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="")
    local_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    start_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    end_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published: Mapped[bool] = mapped_column(sa.Boolean)
    minimum_notice_minutes: Mapped[int] = mapped_column(sa.Integer, default=0)
    maximum_advance_days: Mapped[int] = mapped_column(sa.Integer, default=0)
    booked_session_id: Mapped[str] = mapped_column(sa.String(36), default="")
    schedules: Mapped[list[TimeSlotScheduleRow]] = relationship(
        "TimeSlotScheduleRow",
        primaryjoin="foreign(TimeSlotScheduleRow.slot_id) == TimeSlotRow.id",
        order_by="TimeSlotScheduleRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TimeSlotScheduleRow(Base):
    __tablename__ = "online_slot_schedules"
    __table_args__ = (sa.Index("ix_online_slot_schedules_time", "company_id", "schedule_id", "end_at", "start_at"),)

    slot_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    schedule_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SlotRemovalRow(Base):
    __tablename__ = "online_slot_removals"
    __table_args__ = (sa.Index("ix_online_slot_removals_slot", "slot_id"),)

    session_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    slot_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))


class SlotHoldRow(Base):
    __tablename__ = "online_holds"
    __table_args__ = (
        sa.Index("ix_online_holds_slot", "slot_id"),
        # a client's live holds, counted by HoldSlot (migration 0005)
        sa.Index("ix_online_holds_client", "company_id", "client_id", "state", "expires_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    slot_id: Mapped[str] = mapped_column(sa.String(36))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    state: Mapped[int] = mapped_column(sa.Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    session_id: Mapped[str] = mapped_column(sa.String(36), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HoldBlockRow(Base):
    __tablename__ = "online_hold_blocks"
    __table_args__ = (
        sa.Index("ix_online_hold_blocks_schedule", "schedule_id", "occupied_end", "occupied_start"),
        sa.Index("ix_online_hold_blocks_hold", "hold_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    hold_id: Mapped[str] = mapped_column(sa.String(36))
    company_id: Mapped[str] = mapped_column(sa.String(64))
    schedule_id: Mapped[str] = mapped_column(sa.String(36))
    occupied_start: Mapped[datetime] = mapped_column(UtcDateTime)
    occupied_end: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
