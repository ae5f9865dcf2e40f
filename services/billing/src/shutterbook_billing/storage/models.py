"""The billing service's tables. Money is integer minor units plus an ISO currency code."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shutterbook_kit.schema import UtcDateTime


class Base(DeclarativeBase):
    pass


class PriceListItemRow(Base):
    __tablename__ = "price_list_items"
    __table_args__ = (sa.UniqueConstraint("company_id", "sku", name="uq_price_list_items_company_sku"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    sku: Mapped[str] = mapped_column(sa.String(64))
    currency_code: Mapped[str] = mapped_column(sa.String(3))
    unit_price_minor: Mapped[int] = mapped_column(sa.BigInteger)
    tax_rate_bps: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InvoiceCounterRow(Base):
    """The last invoice number given out per company (numbers come from here, race-free)."""

    __tablename__ = "invoice_counters"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last_number: Mapped[int] = mapped_column(sa.BigInteger)


class InvoiceRow(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        sa.UniqueConstraint("company_id", "number", name="uq_invoices_company_number"),
        # one session fee invoice per session: a redelivered booking event finds it
        sa.UniqueConstraint("company_id", "session_fee_session_id", name="uq_invoices_company_session_fee"),
        # one invoice per appointment: a redelivered booking event, or the wizard, finds it
        sa.UniqueConstraint("company_id", "appointment_id", name="uq_invoices_company_appointment"),
        sa.Index("ix_invoices_company_client", "company_id", "client_id"),
        sa.Index("ix_invoices_company_session", "company_id", "session_id"),
        sa.CheckConstraint("paid_minor >= 0 AND paid_minor <= total_minor", name="ck_invoices_paid_within_total"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    number: Mapped[int] = mapped_column(sa.BigInteger)
    client_id: Mapped[str] = mapped_column(sa.String(36))
    client_display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    session_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    session_fee_session_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    appointment_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    session_number: Mapped[str] = mapped_column(sa.String(64), default="")
    session_type_id: Mapped[str] = mapped_column(sa.String(36), default="")
    session_type_display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    session_description: Mapped[str] = mapped_column(sa.Text, default="")
    session_start: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    session_end: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    location_id: Mapped[str] = mapped_column(sa.String(36), default="")
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="")
    location_display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    location_address: Mapped[str] = mapped_column(sa.String(400), default="")
    currency_code: Mapped[str] = mapped_column(sa.String(3))
    subtotal_minor: Mapped[int] = mapped_column(sa.BigInteger)
    discount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    tax_minor: Mapped[int] = mapped_column(sa.BigInteger)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger)
    paid_minor: Mapped[int] = mapped_column(sa.BigInteger)
    # taken off the total of a cancelled booking's invoice reduced to its fee
    credit_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    credit_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(16))
    promotion_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    promo_code: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    invoice_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    price_list_item_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    description: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column(sa.BigInteger)
    unit_price_minor: Mapped[int] = mapped_column(sa.BigInteger)
    tax_rate_bps: Mapped[int] = mapped_column(sa.Integer)
    subtotal_minor: Mapped[int] = mapped_column(sa.BigInteger)
    discount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    tax_minor: Mapped[int] = mapped_column(sa.BigInteger)
    total_minor: Mapped[int] = mapped_column(sa.BigInteger)


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (
        sa.Index("ix_payments_company_invoice", "company_id", "invoice_id"),
        sa.CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="ck_payments_refunded"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    invoice_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("invoices.id"))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    currency_code: Mapped[str] = mapped_column(sa.String(3))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    refunded_minor: Mapped[int] = mapped_column(sa.BigInteger)
    method: Mapped[str] = mapped_column(sa.String(16))
    provider_charge_id: Mapped[str] = mapped_column(sa.String(100), default="")
    deposit_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RefundRow(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    payment_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("payments.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    provider_refund_id: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DepositRow(Base):
    __tablename__ = "deposits"
    __table_args__ = (
        sa.Index("ix_deposits_company_client", "company_id", "client_id"),
        sa.CheckConstraint("applied_minor >= 0 AND applied_minor <= amount_minor", name="ck_deposits_applied"),
        # applied and refunded money together never exceed the deposit
        sa.CheckConstraint(
            "refunded_minor >= 0 AND applied_minor + refunded_minor <= amount_minor", name="ck_deposits_refunded"
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    currency_code: Mapped[str] = mapped_column(sa.String(3))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    applied_minor: Mapped[int] = mapped_column(sa.BigInteger)
    # refunded to the client, including reserved refunds the provider has not confirmed yet
    refunded_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    method: Mapped[str] = mapped_column(sa.String(16))
    provider_charge_id: Mapped[str] = mapped_column(sa.String(100), default="")
    session_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DepositRefundRow(Base):
    """One refund of a deposit. An online refund is written PENDING (its amount reserved on
    the deposit) before the provider is called and DONE once the provider confirmed it."""

    __tablename__ = "deposit_refunds"
    __table_args__ = (sa.UniqueConstraint("company_id", "request_id", name="uq_deposit_refunds_company_request"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    deposit_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("deposits.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(16))
    request_id: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    provider_refund_id: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PromotionRow(Base):
    __tablename__ = "promotions"
    __table_args__ = (sa.UniqueConstraint("company_id", "code", name="uq_promotions_company_code"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    display_name: Mapped[str] = mapped_column(sa.String(200))
    code: Mapped[str] = mapped_column(sa.String(64))
    percent_off_bps: Mapped[int] = mapped_column(sa.Integer)
    amount_off_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency_code: Mapped[str] = mapped_column(sa.String(3), default="")
    start_time: Mapped[datetime] = mapped_column(UtcDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    usage_limit: Mapped[int] = mapped_column(sa.Integer)
    usage_count: Mapped[int] = mapped_column(sa.Integer)
    eligible_session_types: Mapped[list[str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class KnownClientRow(Base):
    """Billing's directory of clients (names for invoices and documents), fed by the clients
    service's events; billing never reads the clients service's tables."""

    __tablename__ = "known_clients"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    source_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StudioProfileRow(Base):
    """Billing's copy of the company's profile (scheduling owns it), printed at the top of its
    documents; fed by `scheduling.company.changed`, which carries the whole profile and logo."""

    __tablename__ = "studio_profiles"

    company_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.Text)  # printable lines, "\n" between them
    contact: Mapped[str] = mapped_column(sa.Text)  # phone, email, web site, " - " between them
    logo_content_type: Mapped[str] = mapped_column(sa.String(40))
    logo_data: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    source_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
