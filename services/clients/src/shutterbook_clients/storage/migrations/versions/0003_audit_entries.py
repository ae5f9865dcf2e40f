"""The audit trail: who changed which record how and when (the kit's `audit_entries`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from shutterbook_kit.schema import create_audit_table, drop_audit_table

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# clients keeps the history of clients, organizations and client groups (application.history)
upgrade, downgrade = create_audit_table, drop_audit_table
