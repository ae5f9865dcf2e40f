"""The open-slot read bounds every busy probe on both sides: a block at most a day long that
overlaps a slot ends before the slot's end + 1 day (a range scan on `ix_calendar_blocks_schedule`),
and the few blocks longer than that (time off, long sessions) are found through this partial
index. Its predicate is the text `storage.open_slots.long_block` puts in the query (SQLite uses a
partial index only for a query that repeats its WHERE term). On PostgreSQL 14+ the planner also
gets statistics of the blocks' lengths, so it estimates how few blocks are long.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_WHERE = "julianday(occupied_end) - julianday(occupied_start) > 0.9583"
POSTGRESQL_WHERE = "occupied_end - occupied_start > interval '23 hours'"


def upgrade() -> None:
    op.create_index(
        "ix_calendar_blocks_long",
        "calendar_blocks",
        ["schedule_id", "occupied_end"],
        sqlite_where=sa.text(SQLITE_WHERE),
        postgresql_where=sa.text(POSTGRESQL_WHERE),
    )
    if _postgresql_14():
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS calendar_blocks_length "
            "ON ((occupied_end - occupied_start)) FROM calendar_blocks"
        )


def downgrade() -> None:
    if _postgresql_14():
        op.execute("DROP STATISTICS IF EXISTS calendar_blocks_length")
    op.drop_index("ix_calendar_blocks_long", table_name="calendar_blocks")


def _postgresql_14() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return int(bind.exec_driver_sql("SHOW server_version_num").scalar() or 0) >= 140000
