"""Bulk scheduling (issue 8): bulk jobs and their items.

Revision ID: 0003_bulk
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0003_bulk"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False, index=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("allow_conflicts", sa.Boolean, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", UtcDateTime, nullable=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("completed_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_bulk_jobs_runnable", "bulk_jobs", ["state", "lease_until"])
    op.create_table(
        "bulk_job_items",
        sa.Column("job_id", sa.String(36), sa.ForeignKey("bulk_jobs.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("start_at", UtcDateTime, nullable=False),
        sa.Column("end_at", UtcDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("session_id", sa.String(36), nullable=True),
        sa.Column("failure", sa.String(2000), nullable=False, server_default=""),
        sa.UniqueConstraint("job_id", "client_id", name="uq_bulk_job_items_client"),
    )
    op.create_index("ix_bulk_job_items_state", "bulk_job_items", ["job_id", "state", "position"])


def downgrade() -> None:
    op.drop_table("bulk_job_items")
    op.drop_table("bulk_jobs")
