"""What an online cancellation refunded under the type's cancellation policy (NULL: not
cancelled online, or its refund not settled yet).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("online_bookings") as batch:
        batch.add_column(sa.Column("cancel_refund_minor", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("online_bookings") as batch:
        batch.drop_column("cancel_refund_minor")
