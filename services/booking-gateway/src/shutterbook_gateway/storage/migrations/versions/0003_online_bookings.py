"""Online bookings made through the gateway, with their saga state.

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
        "online_bookings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("type_id", sa.String(36), nullable=False),
        sa.Column("slot_id", sa.String(36), nullable=False),
        sa.Column("location_id", sa.String(36), nullable=False),
        sa.Column("client", sa.String(80), nullable=False),
        sa.Column("hold", sa.String(80), nullable=False),
        sa.Column("payment_option", sa.String(32), nullable=False),
        sa.Column("payment_kind", sa.String(16), nullable=False),
        sa.Column("promo_code", sa.String(64), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("charged_minor", sa.BigInteger, nullable=False),
        sa.Column("invoice", sa.String(80), nullable=False),
        sa.Column("payment", sa.String(80), nullable=False),
        sa.Column("deposit", sa.String(80), nullable=False),
        sa.Column("manage_token_sha256", sa.String(64), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=False),
        sa.Column("lease_until", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("company_id", "request_id", name="uq_online_bookings_request"),
    )
    op.create_index("ix_online_bookings_open", "online_bookings", ["state", "lease_until"])


def downgrade() -> None:
    op.drop_table("online_bookings")
