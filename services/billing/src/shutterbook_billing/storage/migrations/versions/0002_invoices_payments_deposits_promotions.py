"""Invoices and their lines, invoice numbers, payments, refunds, deposits, promotions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoice_counters",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("last_number", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("client_display_name", sa.String(200), nullable=False),
        sa.Column("session_id", sa.String(36), nullable=True),
        sa.Column("session_fee_session_id", sa.String(36), nullable=True),
        sa.Column("session_number", sa.String(64), nullable=False),
        sa.Column("session_type_id", sa.String(36), nullable=False),
        sa.Column("session_type_display_name", sa.String(200), nullable=False),
        sa.Column("session_description", sa.Text, nullable=False),
        sa.Column("session_start", UtcDateTime, nullable=True),
        sa.Column("session_end", UtcDateTime, nullable=True),
        sa.Column("location_id", sa.String(36), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger, nullable=False),
        sa.Column("discount_minor", sa.BigInteger, nullable=False),
        sa.Column("tax_minor", sa.BigInteger, nullable=False),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("paid_minor", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("promotion_id", sa.String(36), nullable=True),
        sa.Column("promo_code", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("company_id", "number", name="uq_invoices_company_number"),
        sa.UniqueConstraint("company_id", "session_fee_session_id", name="uq_invoices_company_session_fee"),
        sa.CheckConstraint("paid_minor >= 0 AND paid_minor <= total_minor", name="ck_invoices_paid_within_total"),
    )
    op.create_index("ix_invoices_company_client", "invoices", ["company_id", "client_id"])
    op.create_index("ix_invoices_company_session", "invoices", ["company_id", "session_id"])
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(36), sa.ForeignKey("invoices.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("price_list_item_id", sa.String(36), nullable=True),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger, nullable=False),
        sa.Column("tax_rate_bps", sa.Integer, nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger, nullable=False),
        sa.Column("discount_minor", sa.BigInteger, nullable=False),
        sa.Column("tax_minor", sa.BigInteger, nullable=False),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_invoice_lines_invoice_id", "invoice_lines", ["invoice_id"])
    op.create_table(
        "deposits",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("applied_minor", sa.BigInteger, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("provider_charge_id", sa.String(100), nullable=False),
        sa.Column("session_id", sa.String(36), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.CheckConstraint("applied_minor >= 0 AND applied_minor <= amount_minor", name="ck_deposits_applied"),
    )
    op.create_index("ix_deposits_company_client", "deposits", ["company_id", "client_id"])
    op.create_table(
        "payments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(36), sa.ForeignKey("invoices.id"), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("refunded_minor", sa.BigInteger, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("provider_charge_id", sa.String(100), nullable=False),
        sa.Column("deposit_id", sa.String(36), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="ck_payments_refunded"),
    )
    op.create_index("ix_payments_company_invoice", "payments", ["company_id", "invoice_id"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("payment_id", sa.String(36), sa.ForeignKey("payments.id"), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("provider_refund_id", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_refunds_payment_id", "refunds", ["payment_id"])
    op.create_table(
        "promotions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("percent_off_bps", sa.Integer, nullable=False),
        sa.Column("amount_off_minor", sa.BigInteger, nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("start_time", UtcDateTime, nullable=False),
        sa.Column("end_time", UtcDateTime, nullable=True),
        sa.Column("usage_limit", sa.Integer, nullable=False),
        sa.Column("usage_count", sa.Integer, nullable=False),
        sa.Column("eligible_session_types", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("company_id", "code", name="uq_promotions_company_code"),
    )


def downgrade() -> None:
    op.drop_table("promotions")
    op.drop_table("refunds")
    op.drop_table("payments")
    op.drop_table("deposits")
    op.drop_index("ix_invoice_lines_invoice_id", "invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_table("invoices")
    op.drop_table("invoice_counters")
