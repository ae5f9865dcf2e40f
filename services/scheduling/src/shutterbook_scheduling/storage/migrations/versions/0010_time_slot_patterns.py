"""Standing time-slot patterns (issue 17): the patterns, and one key per slot a pattern
generated (primary key pattern + start: a slot is never generated twice).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "time_slot_patterns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False, index=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("generated_through", sa.Date, nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", UtcDateTime, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_time_slot_patterns_due", "time_slot_patterns", ["deleted", "lease_until"])
    op.create_table(
        "time_slot_pattern_slots",
        sa.Column(
            "pattern_id",
            sa.String(36),
            sa.ForeignKey("time_slot_patterns.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("start_at", UtcDateTime, primary_key=True),
        sa.Column("time_slot_id", sa.String(36), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("time_slot_pattern_slots")
    op.drop_index("ix_time_slot_patterns_due", table_name="time_slot_patterns")
    op.drop_table("time_slot_patterns")
