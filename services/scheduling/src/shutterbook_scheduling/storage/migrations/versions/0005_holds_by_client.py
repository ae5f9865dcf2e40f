"""An index of holds by client, for HoldSlot's count of a client's live holds.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_online_holds_client", "online_holds", ["company_id", "client_id", "state", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_online_holds_client", table_name="online_holds")
