"""Publishable keys: a key's kind and the origins a publishable key may be used from.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("partner_api_keys") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="secret"))
        batch.add_column(sa.Column("allowed_origins", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("partner_api_keys") as batch:
        batch.drop_column("allowed_origins")
        batch.drop_column("kind")
