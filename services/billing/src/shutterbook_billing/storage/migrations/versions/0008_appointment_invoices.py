"""An appointment gets one invoice: appointment types with "Auto-Create Invoice" are invoiced
when booked (the `scheduling.appointment.booked` handler and EnsureAppointmentInvoice share it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("appointment_id", sa.String(36), nullable=True))
        batch.create_unique_constraint("uq_invoices_company_appointment", ["company_id", "appointment_id"])


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_constraint("uq_invoices_company_appointment", type_="unique")
        batch.drop_column("appointment_id")
