"""Busy checks scan from their window's start: the schedule indexes of calendar blocks, hold
blocks and slot schedules lead with the end of the occupied time, so `end > window start AND
start < window end` is a range scan over what ends after the window starts (the future), not
over everything that started before it ends (the whole past).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    (
        "ix_calendar_blocks_schedule",
        "calendar_blocks",
        ["schedule_id", "occupied_start", "occupied_end"],
        ["schedule_id", "occupied_end", "occupied_start"],
    ),
    (
        "ix_online_hold_blocks_schedule",
        "online_hold_blocks",
        ["schedule_id", "occupied_start", "occupied_end"],
        ["schedule_id", "occupied_end", "occupied_start"],
    ),
    (
        "ix_online_slot_schedules_time",
        "online_slot_schedules",
        ["company_id", "schedule_id", "start_at", "end_at"],
        ["company_id", "schedule_id", "end_at", "start_at"],
    ),
)


def upgrade() -> None:
    for name, table, _old, new in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, new)


def downgrade() -> None:
    for name, table, old, _new in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, old)
