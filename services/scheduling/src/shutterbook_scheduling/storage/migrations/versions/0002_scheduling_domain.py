"""The scheduling domain: locations, staff, schedules, types, statuses, preferences,
sessions, appointments and calendar blocks (with the no-overlap exclusion constraint on
PostgreSQL); family members and delete/merge marks on the known-clients projection.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import BigIntId, UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _document_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False, index=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    ]


def upgrade() -> None:
    is_postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column("known_clients", sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("known_clients", sa.Column("merged_into", sa.String(36), nullable=False, server_default=""))
    op.create_table(
        "known_family_members",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("member_id", sa.String(36), primary_key=True),
        sa.Column("display_name", sa.String(400), nullable=False),
    )
    op.create_table("locations", *_document_columns(), sa.Column("time_zone", sa.String(64), nullable=False))
    op.create_table("staff_members", *_document_columns())
    op.create_table(
        "schedules",
        *_document_columns(),
        sa.Column("location_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.Integer, nullable=False),
    )
    op.create_table(
        "booking_types",
        *_document_columns(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.UniqueConstraint("company_id", "kind", "display_name", name="uq_booking_types_name"),
    )
    op.create_table(
        "session_statuses",
        *_document_columns(),
        sa.Column("due_in_days", sa.Integer, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.UniqueConstraint("company_id", "display_name", name="uq_session_statuses_name"),
    )
    op.create_table(
        "company_preferences",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("next_session_number", sa.BigInteger, nullable=False),
        sa.Column("session_number_prefix", sa.String(20), nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("session_number", sa.String(40), nullable=False),
        sa.Column("type_id", sa.String(36), nullable=False),
        sa.Column("location_id", sa.String(36), nullable=False),
        sa.Column("status_id", sa.String(36), nullable=False),
        sa.Column("start_at", UtcDateTime, nullable=False),
        sa.Column("end_at", UtcDateTime, nullable=False),
        sa.Column("on_hold", sa.Boolean, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("reminder_at", UtcDateTime, nullable=True),
        sa.Column("reminder_emitted_at", UtcDateTime, nullable=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("company_id", "session_number", name="uq_sessions_number"),
    )
    op.create_index("ix_sessions_client", "sessions", ["company_id", "client_id", "start_at"])
    op.create_index("ix_sessions_location", "sessions", ["company_id", "location_id", "start_at"])
    op.create_index("ix_sessions_reminder", "sessions", ["reminder_emitted_at", "reminder_at"])
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("type_id", sa.String(36), nullable=False),
        sa.Column("location_id", sa.String(36), nullable=False),
        sa.Column("start_at", UtcDateTime, nullable=False),
        sa.Column("end_at", UtcDateTime, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_appointments_client", "appointments", ["company_id", "client_id", "start_at"])
    op.create_index("ix_appointments_location", "appointments", ["company_id", "location_id", "start_at"])
    op.create_table(
        "calendar_blocks",
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("schedule_id", sa.String(36), nullable=False),
        sa.Column("location_id", sa.String(36), nullable=False),
        sa.Column("entry_kind", sa.String(16), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=False),
        sa.Column("block_index", sa.Integer, nullable=False),
        sa.Column("start_at", UtcDateTime, nullable=False),
        sa.Column("end_at", UtcDateTime, nullable=False),
        sa.Column("occupied_start", UtcDateTime, nullable=False),
        sa.Column("occupied_end", UtcDateTime, nullable=False),
        sa.Column("occupies", sa.Boolean, nullable=False),
        sa.Column("allow_conflict", sa.Boolean, nullable=False),
    )
    op.create_index("ix_calendar_blocks_schedule", "calendar_blocks", ["schedule_id", "occupied_start", "occupied_end"])
    op.create_index("ix_calendar_blocks_entry", "calendar_blocks", ["entry_id"])
    op.create_index("ix_calendar_blocks_location", "calendar_blocks", ["company_id", "location_id", "start_at"])
    if is_postgres:
        # The database itself refuses two overlapping occupying blocks on one schedule
        # (half-open ranges: back-to-back blocks do not overlap), whatever the concurrency.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE calendar_blocks ADD COLUMN during tstzrange "
            "GENERATED ALWAYS AS (tstzrange(occupied_start, occupied_end, '[)')) STORED"
        )
        op.execute(
            "ALTER TABLE calendar_blocks ADD CONSTRAINT ex_calendar_blocks_no_overlap "
            "EXCLUDE USING gist (schedule_id WITH =, during WITH &&) WHERE (occupies AND NOT allow_conflict)"
        )


def downgrade() -> None:
    for table in (
        "calendar_blocks",
        "appointments",
        "sessions",
        "company_preferences",
        "session_statuses",
        "booking_types",
        "schedules",
        "staff_members",
        "locations",
        "known_family_members",
    ):
        op.drop_table(table)
    with op.batch_alter_table("known_clients") as batch:
        batch.drop_column("merged_into")
        batch.drop_column("deleted")
