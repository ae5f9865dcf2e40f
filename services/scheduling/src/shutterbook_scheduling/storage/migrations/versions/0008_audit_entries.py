"""The audit trail: who changed which record how and when (the kit's `audit_entries`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from shutterbook_kit.schema import create_audit_table, drop_audit_table

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# scheduling keeps the history of sessions, appointments, types, time slots, locations,
# staff members, schedules and session statuses
upgrade, downgrade = create_audit_table, drop_audit_table
