"""Marketing images uploaded for session and appointment types (reference page 05), and the
type's pointer to its image (the SHA-256 of the bytes, so a changed image gets a new URL).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("booking_types") as batch:
        batch.add_column(sa.Column("online_marketing_image_etag", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "marketing_images",
        sa.Column("type_id", sa.String(36), sa.ForeignKey("booking_types.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False, index=True),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("marketing_images")
    with op.batch_alter_table("booking_types") as batch:
        batch.drop_column("online_marketing_image_etag")
