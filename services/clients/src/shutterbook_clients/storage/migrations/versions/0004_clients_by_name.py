"""ListClients by name (`order_by: "family_name"`, the console's Clients hub): an index on the
name's sort key, so a page by name is a range scan like the default oldest-first one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_clients_company_sort", "clients", ["company_id", "sort_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_clients_company_sort", table_name="clients")
