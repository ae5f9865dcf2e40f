"""Picture days (issue 21): the day, its slots, families (with the hash of their access code),
member children and bookings.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _day_fk() -> sa.ForeignKey:
    return sa.ForeignKey("picture_days.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "picture_days",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("location_id", sa.String(36), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("siblings_per_slot", sa.Integer, nullable=False),
        sa.Column("open_at", UtcDateTime, nullable=False),
        sa.Column("close_at", UtcDateTime, nullable=False),
        sa.Column("close_action", sa.String(32), nullable=False),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", UtcDateTime, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_picture_days_company_created", "picture_days", ["company_id", "created_at", "id"])
    op.create_table(
        "picture_day_slots",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("picture_day_id", sa.String(36), _day_fk(), nullable=False),
        sa.Column("start_at", UtcDateTime, nullable=False),
        sa.Column("end_at", UtcDateTime, nullable=False),
        sa.Column("booking_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_picture_day_slots_day_start", "picture_day_slots", ["picture_day_id", "start_at", "id"])
    op.create_table(
        "picture_day_families",
        sa.Column("picture_day_id", sa.String(36), _day_fk(), primary_key=True),
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("display_name", sa.String(400), nullable=False),
        sa.Column("sort_name", sa.String(400), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("code_issued_at", UtcDateTime, nullable=True),
    )
    op.create_index(
        "ix_picture_day_families_order", "picture_day_families", ["picture_day_id", "sort_name", "client_id"]
    )
    op.create_table(
        "picture_day_children",
        sa.Column("picture_day_id", sa.String(36), _day_fk(), primary_key=True),
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("member_id", sa.String(36), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("display_name", sa.String(400), nullable=False),
        sa.Column("booking_id", sa.String(36), nullable=True),
    )
    op.create_table(
        "picture_day_bookings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("picture_day_id", sa.String(36), _day_fk(), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("slot_id", sa.String(36), nullable=False),
        sa.Column("children", sa.Text, nullable=False),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_picture_day_bookings_family", "picture_day_bookings", ["picture_day_id", "client_id"])


def downgrade() -> None:
    op.drop_table("picture_day_bookings")
    op.drop_table("picture_day_children")
    op.drop_index("ix_picture_day_families_order", table_name="picture_day_families")
    op.drop_table("picture_day_families")
    op.drop_index("ix_picture_day_slots_day_start", table_name="picture_day_slots")
    op.drop_table("picture_day_slots")
    op.drop_index("ix_picture_days_company_created", table_name="picture_days")
    op.drop_table("picture_days")
