"""Tables the kit keeps in every service's database: outbox, inbox, dead letters,
idempotency records and audit entries. Services list `KitBase.metadata` beside their own in
Alembic and create these tables with `create_kit_tables()` in their first migration (and
`create_audit_table()` in the migration that adopts the audit trail)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every backend (SQLite stores naive text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store UTC instants only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def insert_values(row: Any) -> dict[str, Any]:
    """A new ORM row's columns as its INSERT would write them, by column name: the values set,
    and each column default (a scalar, or a callable's value) for an attribute not set, which
    the row takes too (as after a flush). For a statement of the caller's own (kit
    `write_in_one`) that writes the row the ORM would have; a column the database would fill
    (a server default, a SQL expression or a sequence) and not set is refused (ValueError)."""
    state = sa.inspect(row)
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        if attr.key not in state.dict:
            default = column.default
            if column.server_default is not None or (
                default is not None and (default.is_sequence or default.is_clause_element)
            ):  # the database's to give: only the ORM's INSERT leaves the column out
                raise ValueError(f"{column.name} has a default of the database's: set it, or let the ORM insert")
            if default is not None:
                setattr(row, attr.key, default.arg(None) if default.is_callable else default.arg)
        values[column.name] = getattr(row, attr.key)
    return values


class KitBase(DeclarativeBase):
    pass


class OutboxMessage(KitBase):
    """An event written in the same transaction as the change it describes."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_unpublished", "published_at", "seq"),)

    seq: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    company_id: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
    headers: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class InboxEntry(KitBase):
    """An event a consumer has applied; written in the same transaction as its effect."""

    __tablename__ = "inbox_entries"

    consumer: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DeadLetter(KitBase):
    """An event a consumer gave up on (undecodable, or failing past its deliveries). Kept, never dropped."""

    __tablename__ = "dead_letters"
    __table_args__ = (sa.UniqueConstraint("consumer", "event_id", name="uq_dead_letters_consumer_event"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(sa.String(100))
    event_id: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(200))
    stream_seq: Mapped[int] = mapped_column(sa.BigInteger)
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
    headers: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    error: Mapped[str] = mapped_column(sa.Text)
    deliveries: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IdempotencyRecord(KitBase):
    """The first response to a request id: a retry gets it back instead of a second effect."""

    __tablename__ = "idempotency_records"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    request_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    response: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditEntryRow(KitBase):
    """Who changed which record how and when; written in the same transaction as the change
    (`UnitOfWork.audit`), read per record newest first (`shutterbook_kit.audit`)."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_record", "company_id", "record", "occurred_at", "seq"),)

    seq: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    record: Mapped[str] = mapped_column(sa.String(300))
    action: Mapped[str] = mapped_column(sa.String(40))
    caller: Mapped[str] = mapped_column(sa.String(200))
    caller_name: Mapped[str] = mapped_column(sa.String(200))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


def create_kit_tables() -> None:
    """Version 1 of the kit's tables, for a service's first Alembic migration.

    Written out rather than derived from the models above, so that a later change of the
    models comes with its own migration and this one stays what it was."""
    op.create_table(
        "outbox_messages",
        sa.Column("seq", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", UtcDateTime, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_unpublished", "outbox_messages", ["published_at", "seq"])
    op.create_table(
        "inbox_entries",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("stream_seq", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("consumer", "event_id", name="uq_dead_letters_consumer_event"),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("request_id", sa.String(100), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )


def drop_kit_tables() -> None:
    for name in ("idempotency_records", "dead_letters", "inbox_entries", "outbox_messages"):
        op.drop_table(name)


def create_audit_table() -> None:
    """Version 1 of `audit_entries`, for the migration by which a service adopts the audit trail."""
    op.create_table(
        "audit_entries",
        sa.Column("seq", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("record", sa.String(300), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("caller", sa.String(200), nullable=False),
        sa.Column("caller_name", sa.String(200), nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_entries_record", "audit_entries", ["company_id", "record", "occurred_at", "seq"])


def drop_audit_table() -> None:
    op.drop_table("audit_entries")
