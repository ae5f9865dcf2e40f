"""The audit trail: who changed which record how and when (the kit's `audit_entries`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from shutterbook_kit.schema import create_audit_table, drop_audit_table

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# billing keeps the history of invoices, payments, deposits, promotions and price list items
upgrade, downgrade = create_audit_table, drop_audit_table
