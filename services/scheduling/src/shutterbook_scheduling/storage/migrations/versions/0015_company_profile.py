"""The company's profile (studio setup, company): the studio's name, address, contact, brand
colour, currency, default tax rate and logo.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_profiles",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("address_lines", sa.Text, nullable=False),
        sa.Column("locality", sa.String(80), nullable=False),
        sa.Column("administrative_area", sa.String(80), nullable=False),
        sa.Column("postal_code", sa.String(80), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("phone_number", sa.String(40), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("website_uri", sa.String(500), nullable=False),
        sa.Column("brand_color", sa.String(7), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("default_tax_rate_bps", sa.Integer, nullable=False),
        sa.Column("logo_content_type", sa.String(40), nullable=False),
        sa.Column("logo_etag", sa.String(64), nullable=False),
        sa.Column("logo_data", sa.LargeBinary, nullable=True),
        sa.Column("logo_updated_at", UtcDateTime, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("company_profiles")
