"""Billing's directory of clients, fed by clients.client.* events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "known_clients",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("source_updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("known_clients")
