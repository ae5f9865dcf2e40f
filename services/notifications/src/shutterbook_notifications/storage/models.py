"""Tables of the notifications service (plus the kit's outbox, inbox, dead letters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_kit.schema import UtcDateTime


class Base(DeclarativeBase):
    pass


class FormLetterRow(Base):
    """A company's letter. `standard_purpose` is set for the one letter of a standard purpose
    (unique per company), NULL for custom letters."""

    __tablename__ = "form_letters"
    __table_args__ = (sa.UniqueConstraint("company_id", "standard_purpose", name="uq_form_letters_company_purpose"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(40))
    standard_purpose: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.Text)
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    built_in: Mapped[bool] = mapped_column(sa.Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TriggerRow(Base):
    __tablename__ = "triggers"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # session_status | session_type
    match_id: Mapped[str] = mapped_column(sa.String(64))  # the status or type id
    form_letter_id: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delay_minutes: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    channel: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")  # "" | email | sms
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())


class KnownClientRow(Base):
    """The clients directory, from clients.client.* events."""

    __tablename__ = "known_clients"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    given_name: Mapped[str] = mapped_column(sa.String(200))
    family_name: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(320))
    phone: Mapped[str] = mapped_column(sa.String(40))
    deleted: Mapped[bool] = mapped_column(sa.Boolean)
    source_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ClientPreferenceRow(Base):
    """Notification preferences of a client; kept here (the clients service has no such flag)."""

    __tablename__ = "client_preferences"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    reminder_opt_out: Mapped[bool] = mapped_column(sa.Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class KnownSessionRow(Base):
    """The sessions projection, from scheduling.session.* events (newest event wins)."""

    __tablename__ = "known_sessions"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(36))
    session_number: Mapped[str] = mapped_column(sa.String(40))
    session_type_id: Mapped[str] = mapped_column(sa.String(64))
    type_name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    status_id: Mapped[str] = mapped_column(sa.String(64))
    status_name: Mapped[str] = mapped_column(sa.String(200))
    location_id: Mapped[str] = mapped_column(sa.String(64))
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    start_time: Mapped[datetime] = mapped_column(UtcDateTime)
    end_time: Mapped[datetime] = mapped_column(UtcDateTime)
    on_hold: Mapped[bool] = mapped_column(sa.Boolean)
    cancelled: Mapped[bool] = mapped_column(sa.Boolean)
    source_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MessageRow(Base):
    """One message: written with the inbox entry of the event that caused it, sent by the
    sender worker under a lease, never deleted (the communication log)."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.UniqueConstraint("company_id", "dedupe_key", name="uq_messages_company_dedupe"),
        sa.Index("ix_messages_due", "state", "next_attempt_at"),
        sa.Index("ix_messages_client", "company_id", "client_id", "created_at"),
        sa.Index("ix_messages_session", "company_id", "session_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(10))
    purpose: Mapped[str] = mapped_column(sa.String(40))
    form_letter_id: Mapped[str] = mapped_column(sa.String(36))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    session_id: Mapped[str] = mapped_column(sa.String(80))  # sessions/{id} or appointments/{id}
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    dedupe_key: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(10))
    attempts: Mapped[int] = mapped_column(sa.Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
