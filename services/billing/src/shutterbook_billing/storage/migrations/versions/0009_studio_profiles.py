"""Billing's copy of the company's profile (name, address, contact, logo) for its documents,
fed by scheduling's `scheduling.company.changed`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "studio_profiles",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("logo_content_type", sa.String(40), nullable=False),
        sa.Column("logo_data", sa.LargeBinary, nullable=True),
        sa.Column("source_updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("studio_profiles")
