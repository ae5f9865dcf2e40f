"""A type's online cancellation policy: what happens to the money taken online when the customer
cancels online (0 unset: the studio decides; 1 refund in full; 2 keep the deposit; 3 keep a fee).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("booking_types") as batch:
        batch.add_column(sa.Column("online_cancellation_policy", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("online_cancellation_fee_minor", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("online_cancellation_fee_currency", sa.String(8), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("booking_types") as batch:
        batch.drop_column("online_cancellation_fee_currency")
        batch.drop_column("online_cancellation_fee_minor")
        batch.drop_column("online_cancellation_policy")
