"""A client's last session (the Clients hub sorted by it, `order_by: "last_session_time desc"`):
the sessions scheduling's events tell of (`client_sessions`) and each client's latest start
kept beside the client, with an index so a page by it is a range scan.

Clients that existed before this revision start with no last session (1970-01-01, the
`NO_SESSION` mark); they learn it from the next session event of theirs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_SESSION = datetime(1970, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    op.add_column("clients", sa.Column("last_session_at", UtcDateTime(), nullable=True))
    # bound through the column's type, so every row holds the mark as the service writes it
    clients = sa.table("clients", sa.column("last_session_at", UtcDateTime()))
    op.execute(clients.update().values(last_session_at=NO_SESSION))
    with op.batch_alter_table("clients") as batch:
        batch.alter_column("last_session_at", existing_type=UtcDateTime(), nullable=False)
    op.create_index("ix_clients_company_last_session", "clients", ["company_id", "last_session_at", "id"])
    op.create_table(
        "client_sessions",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("start_at", UtcDateTime(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_client_sessions_client", "client_sessions", ["company_id", "client_id", "start_at"])


def downgrade() -> None:
    op.drop_index("ix_client_sessions_client", table_name="client_sessions")
    op.drop_table("client_sessions")
    op.drop_index("ix_clients_company_last_session", table_name="clients")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("last_session_at")
