"""Online time slots, auto-removals, holds and hold blocks (with a no-overlap exclusion
constraint on PostgreSQL).

Revision ID: 0003_online
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import BigIntId, UtcDateTime

revision: str = "0003_online"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "online_time_slots",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("location_id", sa.String(36), nullable=False),
        sa.Column("type_id", sa.String(36), nullable=False),
        sa.Column("start_at", UtcDateTime, nullable=False),
        sa.Column("end_at", UtcDateTime, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("booked_session_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index(
        "ix_online_time_slots_open", "online_time_slots", ["company_id", "location_id", "type_id", "start_at"]
    )
    op.create_index("ix_online_time_slots_start", "online_time_slots", ["company_id", "start_at"])
    op.create_index("ix_online_time_slots_booked", "online_time_slots", ["company_id", "booked_session_id"])
    op.create_table(
        "online_slot_schedules",
        sa.Column("slot_id", sa.String(36), primary_key=True),
        sa.Column("schedule_id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("start_at", UtcDateTime, nullable=False),
        sa.Column("end_at", UtcDateTime, nullable=False),
    )
    op.create_index(
        "ix_online_slot_schedules_time", "online_slot_schedules", ["company_id", "schedule_id", "start_at", "end_at"]
    )
    op.create_table(
        "online_slot_removals",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("slot_id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_online_slot_removals_slot", "online_slot_removals", ["slot_id"])
    op.create_table(
        "online_holds",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("slot_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("state", sa.Integer, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("session_id", sa.String(36), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_online_holds_slot", "online_holds", ["slot_id"])
    op.create_table(
        "online_hold_blocks",
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("hold_id", sa.String(36), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("schedule_id", sa.String(36), nullable=False),
        sa.Column("occupied_start", UtcDateTime, nullable=False),
        sa.Column("occupied_end", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
    )
    op.create_index(
        "ix_online_hold_blocks_schedule", "online_hold_blocks", ["schedule_id", "occupied_start", "occupied_end"]
    )
    op.create_index("ix_online_hold_blocks_hold", "online_hold_blocks", ["hold_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE online_hold_blocks ADD COLUMN during tstzrange "
            "GENERATED ALWAYS AS (tstzrange(occupied_start, occupied_end, '[)')) STORED"
        )
        op.execute(
            "ALTER TABLE online_hold_blocks ADD CONSTRAINT ex_online_hold_blocks_no_overlap "
            "EXCLUDE USING gist (schedule_id WITH =, during WITH &&)"
        )


def downgrade() -> None:
    for table in (
        "online_hold_blocks",
        "online_holds",
        "online_slot_removals",
        "online_slot_schedules",
        "online_time_slots",
    ):
        op.drop_table(table)
