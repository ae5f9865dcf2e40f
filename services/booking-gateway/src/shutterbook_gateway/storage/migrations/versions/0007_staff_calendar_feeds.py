"""A calendar feed of a staff member: every schedule they are on in one feed (schedule_id is
then empty; staff_member_id names them).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_feeds") as batch:
        batch.add_column(sa.Column("staff_member_id", sa.String(36), nullable=False, server_default=""))
        batch.alter_column("schedule_id", existing_type=sa.String(36), nullable=False, server_default="")


def downgrade() -> None:
    with op.batch_alter_table("calendar_feeds") as batch:
        batch.drop_column("staff_member_id")
