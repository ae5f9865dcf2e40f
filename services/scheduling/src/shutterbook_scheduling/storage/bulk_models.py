"""Tables of bulk scheduling (issue 8): a job and one item per chosen client."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shutterbook_kit.schema import BigIntId, UtcDateTime
from shutterbook_scheduling.domain.bulk_jobs import ITEM_DONE as ITEM_DONE
from shutterbook_scheduling.domain.bulk_jobs import ITEM_FAILED as ITEM_FAILED
from shutterbook_scheduling.domain.bulk_jobs import ITEM_PENDING as ITEM_PENDING
from shutterbook_scheduling.domain.bulk_jobs import JOB_RUNNING as JOB_RUNNING
from shutterbook_scheduling.domain.bulk_jobs import JOB_SUCCEEDED as JOB_SUCCEEDED
from shutterbook_scheduling.storage.bulk_row_columns import TimeSlotRowColumns
from shutterbook_scheduling.storage.models import Base


class BulkJobRow(Base):
    """A bulk job: its session template (`template_*`, the names as given; `has_template`), its
    time-slot rows (child rows) and the lease of its runner."""

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
    has_template: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    template_location: Mapped[str] = mapped_column(sa.String(200), default="")
    template_description: Mapped[str] = mapped_column(sa.Text, default="")
    template_session_type: Mapped[str] = mapped_column(sa.String(200), default="")
    template_status: Mapped[str] = mapped_column(sa.String(200), default="")
    template_photographer: Mapped[str] = mapped_column(sa.String(200), default="")
    template_assistant: Mapped[str] = mapped_column(sa.String(200), default="")
    template_camera_room: Mapped[str] = mapped_column(sa.String(200), default="")
    rows: Mapped[list[BulkJobRowRow]] = relationship(
        "BulkJobRowRow", order_by="BulkJobRowRow.position", cascade="all, delete-orphan", lazy="selectin"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class BulkJobRowRow(TimeSlotRowColumns, Base):
    """One time-slot row of a job as given (times in minutes after midnight; NULL: not given)."""

    __tablename__ = "bulk_job_rows"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("bulk_jobs.id", ondelete="CASCADE"), index=True)


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
