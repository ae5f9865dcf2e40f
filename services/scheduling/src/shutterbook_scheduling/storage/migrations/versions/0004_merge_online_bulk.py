"""Merge the online-booking and bulk-scheduling branches, built side by side after 0002.

Revision ID: 0004
Revises: 0003_bulk, 0003_online
Create Date: 2026-11-21
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | Sequence[str] | None = ("0003_bulk", "0003_online")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
