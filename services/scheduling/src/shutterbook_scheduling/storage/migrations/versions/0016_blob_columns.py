"""Standing time-slot patterns and picture days in columns, their last protobuf blobs gone:

- a pattern's fields, kept until now as its encoded `TimeSlotPattern` message (`data`), become
  columns (the slot template as `template_*`, wall-clock times in minutes after midnight, the
  first day) and child rows in the order given (weekdays, breaks, the template's schedules);
- a picture day's message as created (`data`) gives what the day's other columns did not hold:
  its title, its families' selector (`families_*`), its session template (`template_*`,
  `has_template`), how many families were left out, and its time-slot rows (child rows, as
  bulk jobs' rows: times in minutes after midnight, NULL when not given). Its name, zone,
  settings and create time were columns already (the same values the message held).

The blobs are decoded into them and dropped.

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

from shutterbook.scheduling.v1 import picture_day_pb2, slot_patterns_pb2
from shutterbook_kit.schema import BigIntId

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PATTERNS = "time_slot_patterns"
DAYS = "picture_days"


def _text(name: str, length: int) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=False, server_default="")


def _number(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def _child(name: str, *columns: sa.Column[Any], parent: str = PATTERNS, key: str = "pattern_id") -> sa.Table:
    table = op.create_table(
        name,
        sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
        sa.Column(key, sa.String(36), sa.ForeignKey(f"{parent}.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *columns,
    )
    op.create_index(f"ix_{name}_{key}", name, [key])
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


def _present_minute(msg: Any, field: str) -> int | None:
    """A TimeOfDay of a time-slot row as minutes after midnight; None when not given."""
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    return int(value.hours) * 60 + int(value.minutes)


def _present_date(msg: Any, field: str) -> date | None:
    """A Date of a time-slot row (checked when the day was created); None when not given."""
    if not msg.HasField(field):
        return None
    value = getattr(msg, field)
    return date(value.year, value.month, value.day)


def _picture_days(bind: Any) -> None:
    for column in (
        _text("display_name", 200),
        _text("families_group", 200),
        _text("families_saved_filter", 200),
        _text("families_organization", 200),
        _number("families_year"),
        sa.Column("has_template", sa.Boolean, nullable=False, server_default=sa.true()),
        _text("template_location", 200),
        sa.Column("template_description", sa.Text, nullable=False, server_default=""),
        _text("template_session_type", 200),
        _text("template_status", 200),
        _text("template_photographer", 200),
        _text("template_assistant", 200),
        _text("template_camera_room", 200),
        _number("skipped_families"),
    ):
        op.add_column(DAYS, column)
    rows = _child(
        "picture_day_rows",
        sa.Column("start_date", sa.Date, nullable=True),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.Column("start_minute", sa.Integer, nullable=True),
        sa.Column("end_minute", sa.Integer, nullable=True),
        _number("session_duration_minutes"),
        sa.Column("exclude_saturdays", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("exclude_sundays", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("break_start_minute", sa.Integer, nullable=True),
        sa.Column("break_end_minute", sa.Integer, nullable=True),
        _number("minutes_between_sessions"),
        parent=DAYS,
        key="picture_day_id",
    )
    days = sa.Table(DAYS, sa.MetaData(), autoload_with=bind)
    for row_id, data in list(bind.execute(sa.text(f"SELECT id, data FROM {DAYS} ORDER BY id"))):
        day = picture_day_pb2.PictureDay.FromString(data)
        t, families = day.template, day.families
        bind.execute(
            days.update()
            .where(days.c.id == row_id)
            .values(
                display_name=day.display_name,
                families_group=families.group,
                families_saved_filter=families.saved_filter,
                families_organization=families.organization,
                families_year=families.year,
                has_template=day.HasField("template"),
                template_location=t.location,
                template_description=t.description,
                template_session_type=t.session_type,
                template_status=t.status,
                template_photographer=t.photographer,
                template_assistant=t.assistant,
                template_camera_room=t.camera_room,
                skipped_families=day.skipped_families,
            )
        )
        found = [
            {
                "picture_day_id": row_id,
                "position": i,
                "start_date": _present_date(r, "start_date"),
                "end_date": _present_date(r, "end_date"),
                "start_minute": _present_minute(r, "start_time"),
                "end_minute": _present_minute(r, "end_time"),
                "session_duration_minutes": r.session_duration_minutes,
                "exclude_saturdays": r.exclude_saturdays,
                "exclude_sundays": r.exclude_sundays,
                "break_start_minute": _present_minute(r, "break_start"),
                "break_end_minute": _present_minute(r, "break_end"),
                "minutes_between_sessions": r.minutes_between_sessions,
            }
            for i, r in enumerate(day.time_slot_rows)
        ]
        if found:
            bind.execute(rows.insert(), found)
    op.execute(f"ALTER TABLE {DAYS} DROP COLUMN data")


def upgrade() -> None:
    bind = op.get_bind()
    _picture_days(bind)
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
