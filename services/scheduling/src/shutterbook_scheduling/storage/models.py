"""The scheduling service's tables."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_kit.schema import BigIntId, UtcDateTime


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
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    merged_into: Mapped[str] = mapped_column(sa.String(36), default="")


class KnownFamilyMemberRow(Base):
    """A family member of a known client (who sessions may list as participants)."""

    __tablename__ = "known_family_members"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(400))


class DocumentMixin:
    """A configuration resource kept as its protobuf message (`data`, the source of truth for
    reads) plus the columns queries and constraints need, written together from one message."""

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LocationRow(DocumentMixin, Base):
    __tablename__ = "locations"

    time_zone: Mapped[str] = mapped_column(sa.String(64))


class StaffMemberRow(DocumentMixin, Base):
    __tablename__ = "staff_members"


class ScheduleRow(DocumentMixin, Base):
    __tablename__ = "schedules"

    location_id: Mapped[str] = mapped_column(sa.String(36))
    kind: Mapped[int] = mapped_column(sa.Integer)


class BookingTypeRow(DocumentMixin, Base):
    """Session types (`kind` "session") and appointment types (`kind` "appointment")."""

    __tablename__ = "booking_types"
    __table_args__ = (sa.UniqueConstraint("company_id", "kind", "display_name", name="uq_booking_types_name"),)

    kind: Mapped[str] = mapped_column(sa.String(16))


class SessionStatusRow(DocumentMixin, Base):
    __tablename__ = "session_statuses"
    __table_args__ = (sa.UniqueConstraint("company_id", "display_name", name="uq_session_statuses_name"),)

    due_in_days: Mapped[int] = mapped_column(sa.Integer)
    is_default: Mapped[bool] = mapped_column(sa.Boolean)


class CompanyPreferencesRow(Base):
    """Per-company scheduling preferences: session numbering."""

    __tablename__ = "company_preferences"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    next_session_number: Mapped[int] = mapped_column(sa.BigInteger)
    session_number_prefix: Mapped[str] = mapped_column(sa.String(20))


class SessionRow(Base):
    """A session: its Session message in `data`, and the columns queries and constraints use."""

    __tablename__ = "sessions"
    __table_args__ = (
        sa.UniqueConstraint("company_id", "session_number", name="uq_sessions_number"),
        sa.Index("ix_sessions_client", "company_id", "client_id", "start_at"),
        sa.Index("ix_sessions_location", "company_id", "location_id", "start_at"),
        sa.Index("ix_sessions_reminder", "reminder_emitted_at", "reminder_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    session_number: Mapped[str] = mapped_column(sa.String(40))
    type_id: Mapped[str] = mapped_column(sa.String(36))
    location_id: Mapped[str] = mapped_column(sa.String(36))
    status_id: Mapped[str] = mapped_column(sa.String(36))
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    on_hold: Mapped[bool] = mapped_column(sa.Boolean)
    cancelled: Mapped[bool] = mapped_column(sa.Boolean)
    reminder_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reminder_emitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AppointmentRow(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        sa.Index("ix_appointments_client", "company_id", "client_id", "start_at"),
        sa.Index("ix_appointments_location", "company_id", "location_id", "start_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    session_id: Mapped[str] = mapped_column(sa.String(36))
    type_id: Mapped[str] = mapped_column(sa.String(36))
    location_id: Mapped[str] = mapped_column(sa.String(36))
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancelled: Mapped[bool] = mapped_column(sa.Boolean)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CalendarBlockRow(Base):
    """One block of a session or appointment on one schedule: what the calendar shows and
    what conflicts are checked against. `occupied_*` include the type's buffers.

    On PostgreSQL an exclusion constraint (migration 0002) forbids two overlapping blocks on
    one schedule where both `occupies` (not on hold, not cancelled) and not `allow_conflict`;
    on SQLite the check runs inside the BEGIN IMMEDIATE write transaction.
    """

    __tablename__ = "calendar_blocks"
    __table_args__ = (
        sa.Index("ix_calendar_blocks_schedule", "schedule_id", "occupied_start", "occupied_end"),
        sa.Index("ix_calendar_blocks_entry", "entry_id"),
        sa.Index("ix_calendar_blocks_location", "company_id", "location_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    schedule_id: Mapped[str] = mapped_column(sa.String(36))
    location_id: Mapped[str] = mapped_column(sa.String(36))
    entry_kind: Mapped[str] = mapped_column(sa.String(16))
    entry_id: Mapped[str] = mapped_column(sa.String(36))
    block_index: Mapped[int] = mapped_column(sa.Integer)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    occupied_start: Mapped[datetime] = mapped_column(UtcDateTime)
    occupied_end: Mapped[datetime] = mapped_column(UtcDateTime)
    occupies: Mapped[bool] = mapped_column(sa.Boolean)
    allow_conflict: Mapped[bool] = mapped_column(sa.Boolean)
