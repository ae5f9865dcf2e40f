"""Initial schema: form letters, triggers, projections, messages, and the kit's tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shutterbook_kit.schema import UtcDateTime, create_kit_tables, drop_kit_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "form_letters",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("standard_purpose", sa.String(40), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("built_in", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("company_id", "standard_purpose", name="uq_form_letters_company_purpose"),
    )
    op.create_index("ix_form_letters_company_id", "form_letters", ["company_id"])
    op.create_table(
        "triggers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("match_id", sa.String(64), nullable=False),
        sa.Column("form_letter_id", sa.String(36), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_triggers_company_id", "triggers", ["company_id"])
    op.create_table(
        "known_clients",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("given_name", sa.String(200), nullable=False),
        sa.Column("family_name", sa.String(200), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("source_updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "client_preferences",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("reminder_opt_out", sa.Boolean, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "known_sessions",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("session_number", sa.String(40), nullable=False),
        sa.Column("session_type_id", sa.String(64), nullable=False),
        sa.Column("type_name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status_id", sa.String(64), nullable=False),
        sa.Column("status_name", sa.String(200), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("start_time", UtcDateTime, nullable=False),
        sa.Column("end_time", UtcDateTime, nullable=False),
        sa.Column("on_hold", sa.Boolean, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("source_updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("form_letter_id", sa.String(36), nullable=False),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("session_id", sa.String(80), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("attachments", sa.JSON, nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", UtcDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("company_id", "dedupe_key", name="uq_messages_company_dedupe"),
    )
    op.create_index("ix_messages_due", "messages", ["state", "next_attempt_at"])
    op.create_index("ix_messages_client", "messages", ["company_id", "client_id", "created_at"])
    op.create_index("ix_messages_session", "messages", ["company_id", "session_id", "created_at"])


def downgrade() -> None:
    for name in ("messages", "known_sessions", "client_preferences", "known_clients", "triggers", "form_letters"):
        op.drop_table(name)
    drop_kit_tables()
