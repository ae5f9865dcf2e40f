"""Calendar feeds: a schedule's secret subscription URL served over HTTP (hash of the secret only).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("schedule_id", sa.String(36), nullable=False),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_calendar_feeds_company_id", "calendar_feeds", ["company_id"])


def downgrade() -> None:
    op.drop_index("ix_calendar_feeds_company_id", "calendar_feeds")
    op.drop_table("calendar_feeds")
