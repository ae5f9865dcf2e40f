"""Initial schema: the known-clients projection, and the kit's tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime, create_kit_tables, drop_kit_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "known_clients",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("display_name", sa.String(400), nullable=False),
        sa.Column("primary_email", sa.String(320), nullable=False),
        sa.Column("source_updated_at", UtcDateTime, nullable=False),
        sa.Column("learned_at", UtcDateTime, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.create_index("ix_known_clients_company_learned", "known_clients", ["company_id", "learned_at", "client_id"])


def downgrade() -> None:
    op.drop_table("known_clients")
    drop_kit_tables()
