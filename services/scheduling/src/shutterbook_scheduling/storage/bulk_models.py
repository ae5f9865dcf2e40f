"""Tables of bulk scheduling (issue 8): a job and one item per chosen client."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shutterbook_kit.schema import UtcDateTime
from shutterbook_scheduling.storage.models import Base

JOB_RUNNING = "running"
JOB_SUCCEEDED = "succeeded"
ITEM_PENDING = "pending"
ITEM_DONE = "done"
ITEM_FAILED = "failed"


class BulkJobRow(Base):
    """A bulk job: its BulkJob message (template, rows) in `data`; the lease of its runner."""

    __tablename__ = "bulk_jobs"
    __table_args__ = (sa.Index("ix_bulk_jobs_runnable", "state", "lease_until"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    allow_conflicts: Mapped[bool] = mapped_column(sa.Boolean)
    total: Mapped[int] = mapped_column(sa.Integer)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class BulkJobItemRow(Base):
    """One client of a job, its slot (UTC and local wall clock), and what became of it."""

    __tablename__ = "bulk_job_items"
    __table_args__ = (
        sa.UniqueConstraint("job_id", "client_id", name="uq_bulk_job_items_client"),
        sa.Index("ix_bulk_job_items_state", "job_id", "state", "position"),
    )

    job_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("bulk_jobs.id"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    company_id: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(sa.String(16))
    session_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    failure: Mapped[str] = mapped_column(sa.String(2000), default="")
