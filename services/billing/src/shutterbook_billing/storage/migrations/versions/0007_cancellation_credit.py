"""An invoice keeps a cancellation credit: a cancelled booking whose studio keeps only a fee has
its invoice reduced to the fee (ReduceInvoiceToFee) instead of staying open at its full total.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("credit_minor", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("credit_reason", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("credit_reason")
        batch.drop_column("credit_minor")
