"""Initial schema: staff accounts, sessions, password resets, login throttles, OIDC, and the kit's tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
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
        "staff_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("location_ids", sa.JSON, nullable=False),
        sa.Column("staff_schedule_id", sa.String(36), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("company_id", "email_key", name="uq_staff_accounts_email"),
    )
    op.create_index("ix_staff_accounts_company_id", "staff_accounts", ["company_id"])
    op.create_index("ix_staff_accounts_email_key", "staff_accounts", ["email_key"])
    op.create_table(
        "console_sessions",
        sa.Column("id_sha256", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("staff_accounts.id"), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_console_sessions_staff_id", "console_sessions", ["staff_id"])
    op.create_table(
        "password_resets",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("staff_accounts.id"), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("used_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_password_resets_staff_id", "password_resets", ["staff_id"])
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", UtcDateTime, nullable=True),
        sa.Column("last_failure_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "oidc_providers",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(500), nullable=False),
        sa.Column("client_secret", sa.String(500), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "oidc_logins",
        sa.Column("state_sha256", sa.String(64), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(100), nullable=False),
        sa.Column("code_verifier", sa.String(200), nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "console_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "console_secrets",
        "oidc_logins",
        "oidc_providers",
        "login_throttles",
        "password_resets",
        "console_sessions",
        "staff_accounts",
    ):
        op.drop_table(table)
    drop_kit_tables()
