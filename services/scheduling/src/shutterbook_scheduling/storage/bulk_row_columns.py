"""A time-slot row of the bulk wizard's kind as stored: the columns a bulk job's rows
(`bulk_job_rows`) and a picture day's rows (`picture_day_rows`) share, and the row read into the
domain's `JobRow` (times in minutes after midnight; NULL: not given)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shutterbook_scheduling.domain.bulk_jobs import JobRow


class TimeSlotRowColumns:
    """The columns of one time-slot row as given, in its parent's order (`position`)."""

    position: Mapped[int] = mapped_column(sa.Integer)
    start_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    start_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    end_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    session_duration_minutes: Mapped[int] = mapped_column(sa.Integer, default=0)
    exclude_saturdays: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    exclude_sundays: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    break_start_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    break_end_minute: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    minutes_between_sessions: Mapped[int] = mapped_column(sa.Integer, default=0)


def job_row_of(row: TimeSlotRowColumns) -> JobRow:
    """The stored row as the domain's row."""
    return JobRow(
        start_date=row.start_date,
        end_date=row.end_date,
        start_minute=row.start_minute,
        end_minute=row.end_minute,
        session_duration_minutes=row.session_duration_minutes,
        exclude_saturdays=row.exclude_saturdays,
        exclude_sundays=row.exclude_sundays,
        break_start_minute=row.break_start_minute,
        break_end_minute=row.break_end_minute,
        minutes_between_sessions=row.minutes_between_sessions,
    )
