"""A session invoice keeps its location's name and address (from the session's snapshot), so the
confirmation and receipt PDFs name the studio instead of printing `locations/<id>`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("location_display_name", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("location_address", sa.String(400), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("location_address")
        batch.drop_column("location_display_name")
