"""The scheduling service's tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


def _children(target: str, *, order: str = "position") -> Any:
    """A parent's ordered child rows, loaded with it (selectin) and replaced as a whole."""
    return relationship(target, order_by=f"{target}.{order}", cascade="all, delete-orphan", lazy="selectin")


def _parent(table: str) -> Any:
    return mapped_column(sa.String(36), sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True)


class ConfigurationMixin:
    """A configuration resource: its id, company, display name and times."""

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WeeklyHoursMixin:
    """Hours on one day of the week; a start or end never given is NULL (minutes after midnight)."""

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    day: Mapped[int] = mapped_column(sa.Integer)
    start_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    end_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)


class LocationRow(ConfigurationMixin, Base):
    """A studio. `has_address` keeps whether an address was given at all."""

    __tablename__ = "locations"

    time_zone: Mapped[str] = mapped_column(sa.String(64))
    has_address: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    address_locality: Mapped[str] = mapped_column(sa.String(200), default="")
    address_administrative_area: Mapped[str] = mapped_column(sa.String(200), default="")
    address_postal_code: Mapped[str] = mapped_column(sa.String(40), default="")
    address_region_code: Mapped[str] = mapped_column(sa.String(8), default="")
    address_lines: Mapped[list[LocationAddressLineRow]] = _children("LocationAddressLineRow")
    hours: Mapped[list[LocationHoursRow]] = _children("LocationHoursRow")


class LocationAddressLineRow(Base):
    __tablename__ = "location_address_lines"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    location_id: Mapped[str] = _parent("locations")
    position: Mapped[int] = mapped_column(sa.Integer)
    line: Mapped[str] = mapped_column(sa.Text)


class LocationHoursRow(WeeklyHoursMixin, Base):
    """Studio hours (`kind` "studio") and lunch periods ("lunch") of a location."""

    __tablename__ = "location_hours"

    location_id: Mapped[str] = _parent("locations")
    kind: Mapped[str] = mapped_column(sa.String(8))


class StaffMemberRow(ConfigurationMixin, Base):
    __tablename__ = "staff_members"

    email: Mapped[str] = mapped_column(sa.String(320), default="")
    roles: Mapped[list[StaffRoleRow]] = _children("StaffRoleRow")


class StaffRoleRow(Base):
    __tablename__ = "staff_member_roles"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    staff_member_id: Mapped[str] = _parent("staff_members")
    position: Mapped[int] = mapped_column(sa.Integer)
    role: Mapped[int] = mapped_column(sa.Integer)


class ScheduleRow(ConfigurationMixin, Base):
    """A staff member's or a resource's calendar at one location."""

    __tablename__ = "schedules"
    __table_args__ = (sa.Index("ix_schedules_location", "company_id", "location_id"),)

    location_id: Mapped[str] = mapped_column(sa.String(36))
    kind: Mapped[int] = mapped_column(sa.Integer)
    staff_member_id: Mapped[str] = mapped_column(sa.String(36), default="", index=True)
    working_hours: Mapped[list[ScheduleHoursRow]] = _children("ScheduleHoursRow")
    time_off: Mapped[list[TimeOffRow]] = _children("TimeOffRow")


class ScheduleHoursRow(WeeklyHoursMixin, Base):
    __tablename__ = "schedule_working_hours"

    schedule_id: Mapped[str] = _parent("schedules")


class TimeOffRow(Base):
    """A period a schedule is away (its calendar blocks are written beside it)."""

    __tablename__ = "schedule_time_off"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = _parent("schedules")
    position: Mapped[int] = mapped_column(sa.Integer)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(sa.String(400), default="")


class BookingTypeRow(ConfigurationMixin, Base):
    """Session types (`kind` "session") and appointment types (`kind` "appointment").

    The online booking settings are columns prefixed `online_` (`has_online`: whether they
    were given); money is minor units plus currency, NULL minor units meaning "not set".
    """

    __tablename__ = "booking_types"
    __table_args__ = (sa.UniqueConstraint("company_id", "kind", "display_name", name="uq_booking_types_name"),)

    kind: Mapped[str] = mapped_column(sa.String(16))
    color: Mapped[str] = mapped_column(sa.String(16), default="")
    default_duration_minutes: Mapped[int] = mapped_column(sa.Integer, default=0)
    buffer_before_minutes: Mapped[int] = mapped_column(sa.Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(sa.Integer, default=0)
    default_status_id: Mapped[str] = mapped_column(sa.String(36), default="")
    auto_create_invoice: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    linked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    has_online: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    online_available: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    online_description: Mapped[str] = mapped_column(sa.String(400), default="")
    online_marketing_description: Mapped[str] = mapped_column(sa.Text, default="")
    online_auto_remove_conflicting_slots: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    online_display_price_minor: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    online_display_price_currency: Mapped[str] = mapped_column(sa.String(8), default="")
    online_payment: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    online_payment_option: Mapped[int] = mapped_column(sa.Integer, default=0)
    online_payment_amount_minor: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    online_payment_amount_currency: Mapped[str] = mapped_column(sa.String(8), default="")
    online_booked_status_id: Mapped[str] = mapped_column(sa.String(36), default="")
    online_cancelled_status_id: Mapped[str] = mapped_column(sa.String(36), default="")
    online_rescheduled_status_id: Mapped[str] = mapped_column(sa.String(36), default="")
    online_location_id: Mapped[str] = mapped_column(sa.String(36), default="")
    online_location_text: Mapped[str] = mapped_column(sa.String(400), default="")
    online_marketing_image_uri: Mapped[str] = mapped_column(sa.Text, default="")
    # the uploaded image's SHA-256 (marketing_images), "" without one; written by its use case only
    online_marketing_image_etag: Mapped[str] = mapped_column(sa.String(64), default="")
    online_cancellation_policy: Mapped[int] = mapped_column(sa.Integer, default=0)
    online_cancellation_fee_minor: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    online_cancellation_fee_currency: Mapped[str] = mapped_column(sa.String(8), default="")
    price_list_items: Mapped[list[PriceListItemRow]] = _children("PriceListItemRow")
    online_promotions: Mapped[list[OnlinePromotionRow]] = _children("OnlinePromotionRow")


class PriceListItemRow(Base):
    """Billing's price list item (`priceListItems/{item_id}`) on a type."""

    __tablename__ = "booking_type_price_list_items"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    type_id: Mapped[str] = _parent("booking_types")
    position: Mapped[int] = mapped_column(sa.Integer)
    item_id: Mapped[str] = mapped_column(sa.String(36))


class OnlinePromotionRow(Base):
    __tablename__ = "booking_type_online_promotions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    type_id: Mapped[str] = _parent("booking_types")
    position: Mapped[int] = mapped_column(sa.Integer)
    promotion: Mapped[str] = mapped_column(sa.String(200))


class SessionStatusRow(ConfigurationMixin, Base):
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


class WallClockMixin:
    """The local date, start and end as given (minutes after midnight; NULL: not given)."""

    local_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    start_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    end_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)


class SessionRow(WallClockMixin, Base):
    """A session (reference page 02): every field a column, participants and time blocks child
    rows. Indexes serve the console's filters and the reminder claim."""

    __tablename__ = "sessions"
    __table_args__ = (
        sa.UniqueConstraint("company_id", "session_number", name="uq_sessions_number"),
        sa.Index("ix_sessions_client", "company_id", "client_id", "start_at"),
        sa.Index("ix_sessions_location", "company_id", "location_id", "start_at"),
        sa.Index("ix_sessions_reminder", "reminder_emitted_at", "reminder_at"),
        sa.Index("ix_sessions_status", "company_id", "status_id", "start_at"),
        sa.Index("ix_sessions_photographer", "company_id", "photographer_id", "start_at"),
        sa.Index("ix_sessions_type", "company_id", "type_id", "start_at"),
        sa.Index("ix_sessions_due", "company_id", "status_due_date"),
        sa.Index("ix_sessions_file_number", "company_id", "file_number"),
        sa.Index("ix_sessions_flags", "company_id", "confirmed", "no_show", "redo", "on_hold", "start_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="")
    client_id: Mapped[str] = mapped_column(sa.String(36))
    session_number: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    type_id: Mapped[str] = mapped_column(sa.String(36))
    location_id: Mapped[str] = mapped_column(sa.String(36))
    status_id: Mapped[str] = mapped_column(sa.String(36))
    status_due_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    photographer_id: Mapped[str] = mapped_column(sa.String(36), default="")
    assistant_id: Mapped[str] = mapped_column(sa.String(36), default="")
    camera_room_id: Mapped[str] = mapped_column(sa.String(36), default="")
    camera_room_text: Mapped[str] = mapped_column(sa.String(400), default="")
    booked_by: Mapped[str] = mapped_column(sa.String(200), default="")
    booked_on: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    file_number: Mapped[str] = mapped_column(sa.String(100), default="")
    reminder_minutes: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    confirmed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    no_show: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    redo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    on_hold: Mapped[bool] = mapped_column(sa.Boolean)
    cancelled: Mapped[bool] = mapped_column(sa.Boolean)
    use_advanced_calendar: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    booked_online: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    reminder_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reminder_emitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    participants: Mapped[list[ParticipantRow]] = _children("ParticipantRow")
    time_blocks: Mapped[list[TimeBlockRow]] = _children("TimeBlockRow")


class ParticipantRow(Base):
    """A family member taking part in a session: `clients/{client_id}/familyMembers/{member_id}`."""

    __tablename__ = "session_participants"
    __table_args__ = (sa.Index("ix_session_participants_member", "client_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = _parent("sessions")
    position: Mapped[int] = mapped_column(sa.Integer)
    client_id: Mapped[str] = mapped_column(sa.String(36))
    member_id: Mapped[str] = mapped_column(sa.String(36))


class TimeBlockRow(WallClockMixin, Base):
    """One time block of a session, as given and as planned (its schedules are child rows)."""

    __tablename__ = "session_time_blocks"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = _parent("sessions")
    position: Mapped[int] = mapped_column(sa.Integer)
    location_id: Mapped[str] = mapped_column(sa.String(36), default="")
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    end_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    schedules: Mapped[list[TimeBlockScheduleRow]] = relationship(
        "TimeBlockScheduleRow",
        order_by="TimeBlockScheduleRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class TimeBlockScheduleRow(Base):
    __tablename__ = "session_time_block_schedules"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    block_id: Mapped[int] = mapped_column(
        BigIntId, sa.ForeignKey("session_time_blocks.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer)
    schedule_id: Mapped[str] = mapped_column(sa.String(36))


class AppointmentRow(WallClockMixin, Base):
    __tablename__ = "appointments"
    __table_args__ = (
        sa.Index("ix_appointments_client", "company_id", "client_id", "start_at"),
        sa.Index("ix_appointments_location", "company_id", "location_id", "start_at"),
        sa.Index("ix_appointments_session", "company_id", "session_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="")
    client_id: Mapped[str] = mapped_column(sa.String(36))
    session_id: Mapped[str] = mapped_column(sa.String(36))
    type_id: Mapped[str] = mapped_column(sa.String(36))
    location_id: Mapped[str] = mapped_column(sa.String(36))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(sa.Boolean)
    reminder_minutes: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    booked_by: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    schedules: Mapped[list[AppointmentScheduleRow]] = _children("AppointmentScheduleRow")


class AppointmentScheduleRow(Base):
    __tablename__ = "appointment_schedules"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    appointment_id: Mapped[str] = _parent("appointments")
    position: Mapped[int] = mapped_column(sa.Integer)
    schedule_id: Mapped[str] = mapped_column(sa.String(36))


# Blocks longer than 23 hours, per backend (the partial index of long blocks and the open-slot
# read's probe repeat this text; an hour to spare for SQLite's floating-point julianday).
LONG_BLOCK_SQLITE = "julianday(occupied_end) - julianday(occupied_start) > 0.9583"
LONG_BLOCK_POSTGRESQL = "occupied_end - occupied_start > interval '23 hours'"


class CalendarBlockRow(Base):
    """One block of a session or appointment on one schedule: what the calendar shows and
    what conflicts are checked against. `occupied_*` include the type's buffers.

    On PostgreSQL an exclusion constraint (migration 0002) forbids two overlapping blocks on
    one schedule where both `occupies` (not on hold, not cancelled) and not `allow_conflict`;
    on SQLite the check runs inside the BEGIN IMMEDIATE write transaction.
    """

    __tablename__ = "calendar_blocks"
    __table_args__ = (
        # end first: a busy check's range scan starts at its window's start and never walks the
        # schedule's past (migration 0007)
        sa.Index("ix_calendar_blocks_schedule", "schedule_id", "occupied_end", "occupied_start"),
        sa.Index("ix_calendar_blocks_entry", "entry_id"),
        sa.Index("ix_calendar_blocks_location", "company_id", "location_id", "start_at"),
        # blocks longer than a day (time off, long sessions): the open-slot read's busy probe
        # bounds its scan by `occupied_end < slot end + 1 day` and finds these apart (migration 0011)
        sa.Index(
            "ix_calendar_blocks_long",
            "schedule_id",
            "occupied_end",
            sqlite_where=sa.text(LONG_BLOCK_SQLITE),
            postgresql_where=sa.text(LONG_BLOCK_POSTGRESQL),
        ),
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
