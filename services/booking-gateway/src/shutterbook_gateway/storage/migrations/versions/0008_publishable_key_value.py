"""A publishable key's full value kept with its row: it is public by design (every booking URL
carries it), so the studio can copy it again and the console's "Copy Online Booking URL" can
use it. Secret keys keep only their hash.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("partner_api_keys") as batch:
        batch.add_column(sa.Column("publishable_key", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("partner_api_keys") as batch:
        batch.drop_column("publishable_key")
