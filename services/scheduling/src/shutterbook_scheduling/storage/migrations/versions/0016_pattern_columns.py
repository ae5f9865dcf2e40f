"""Standing time-slot patterns in columns: a pattern's fields, kept until now as its encoded
`TimeSlotPattern` message (`data`), become columns (the slot template as `template_*`, wall-clock
times in minutes after midnight, the first day) and child rows in the order given (weekdays,
breaks, the template's schedules); the blobs are decoded into them and dropped.

The blobs are decoded with the generated stubs (the format they were written in); the copy is
self-contained (it does not use the service's converters, which may change later).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

from shutterbook.scheduling.v1 import slot_patterns_pb2
from shutterbook_kit.schema import BigIntId

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PATTERNS = "time_slot_patterns"


def _text(name: str, length: int) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=False, server_default="")


def _number(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def _child(name: str, *columns: sa.Column[Any]) -> sa.Table:
    table = op.create_table(
        name,
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column("pattern_id", sa.String(36), sa.ForeignKey(f"{PATTERNS}.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *columns,
    )
    op.create_index(f"ix_{name}_pattern_id", name, ["pattern_id"])
    assert table is not None
    return table


def _minute(value: Any) -> int:
    """A TimeOfDay (checked when the pattern was created: hours 0-23, minutes 0-59)."""
    hours, minutes = int(value.hours), int(value.minutes)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ValueError(f"a stored pattern has the time {hours}:{minutes}")
    return hours * 60 + minutes


def _start_date(msg: Any) -> date | None:
    """The first day (unset or all zero: none; a stored one was checked to be a date)."""
    value = msg.start_date
    if (value.year, value.month, value.day) == (0, 0, 0):
        return None
    return date(value.year, value.month, value.day)


def upgrade() -> None:
    bind = op.get_bind()
    for column in (
        _text("template_location", 200),
        _text("template_session_type", 200),
        _text("template_appointment_type", 200),
        sa.Column("template_published", sa.Boolean, nullable=False, server_default=sa.false()),
        _number("template_minimum_notice_minutes"),
        _number("template_maximum_advance_days"),
        _number("start_minute"),
        _number("end_minute"),
        _number("slot_minutes"),
        _number("gap_minutes"),
        _number("weeks_ahead"),
        sa.Column("start_date", sa.Date, nullable=True),
    ):
        op.add_column(PATTERNS, column)
    weekdays = _child("time_slot_pattern_weekdays", sa.Column("weekday", sa.Integer, nullable=False))
    breaks = _child(
        "time_slot_pattern_breaks",
        sa.Column("start_minute", sa.Integer, nullable=False),
        sa.Column("end_minute", sa.Integer, nullable=False),
    )
    schedules = _child("time_slot_pattern_schedules", sa.Column("schedule", sa.String(200), nullable=False))

    patterns = sa.Table(PATTERNS, sa.MetaData(), autoload_with=bind)  # as it now is: values bind by type

    def insert(table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            bind.execute(table.insert(), rows)

    for row_id, data in list(bind.execute(sa.text(f"SELECT id, data FROM {PATTERNS} ORDER BY id"))):
        msg = slot_patterns_pb2.TimeSlotPattern.FromString(data)
        t = msg.template
        bind.execute(
            patterns.update()
            .where(patterns.c.id == row_id)
            .values(
                template_location=t.location,
                template_session_type=t.session_type,
                template_appointment_type=t.appointment_type,
                template_published=t.published,
                template_minimum_notice_minutes=t.minimum_notice_minutes,
                template_maximum_advance_days=t.maximum_advance_days,
                start_minute=_minute(msg.start_time),
                end_minute=_minute(msg.end_time),
                slot_minutes=msg.slot_minutes,
                gap_minutes=msg.gap_minutes,
                weeks_ahead=msg.weeks_ahead,
                start_date=_start_date(msg),
            )
        )
        insert(weekdays, [{"pattern_id": row_id, "position": i, "weekday": d} for i, d in enumerate(msg.weekdays)])
        insert(
            breaks,
            [
                {"pattern_id": row_id, "position": i, "start_minute": _minute(b.start), "end_minute": _minute(b.end)}
                for i, b in enumerate(msg.breaks)
            ],
        )
        insert(schedules, [{"pattern_id": row_id, "position": i, "schedule": x} for i, x in enumerate(t.schedules)])

    # in place on both backends (SQLite 3.35+): a batch copy of a parent table would fire the
    # ON DELETE CASCADE of its child rows (as 0006_relational)
    op.execute(f"ALTER TABLE {PATTERNS} DROP COLUMN data")


def downgrade() -> None:
    raise NotImplementedError("the blobs are not rebuilt: restore the backup taken before upgrading")
