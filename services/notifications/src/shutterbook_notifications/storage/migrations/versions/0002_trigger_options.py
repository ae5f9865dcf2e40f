"""Triggers get a delay, a channel and a disabled flag (the console's trigger editor).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("triggers") as batch:
        batch.add_column(sa.Column("delay_minutes", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("channel", sa.String(10), nullable=False, server_default=""))
        batch.add_column(sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("triggers") as batch:
        batch.drop_column("disabled")
        batch.drop_column("channel")
        batch.drop_column("delay_minutes")
