"""Deposit refunds: what was refunded of each deposit, and one row per refund.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch: SQLite adds a CHECK constraint by copying the table; PostgreSQL alters it in place
    with op.batch_alter_table("deposits") as batch:
        batch.add_column(sa.Column("refunded_minor", sa.BigInteger, nullable=False, server_default="0"))
        batch.create_check_constraint(
            "ck_deposits_refunded", "refunded_minor >= 0 AND applied_minor + refunded_minor <= amount_minor"
        )
    op.create_table(
        "deposit_refunds",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("deposit_id", sa.String(36), sa.ForeignKey("deposits.id"), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("provider_refund_id", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("completed_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("company_id", "request_id", name="uq_deposit_refunds_company_request"),
    )
    op.create_index("ix_deposit_refunds_deposit_id", "deposit_refunds", ["deposit_id"])


def downgrade() -> None:
    op.drop_index("ix_deposit_refunds_deposit_id", "deposit_refunds")
    op.drop_table("deposit_refunds")
    with op.batch_alter_table("deposits") as batch:
        batch.drop_constraint("ck_deposits_refunded", type_="check")
        batch.drop_column("refunded_minor")
